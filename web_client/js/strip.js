// The strip under the header on a round's screens: age, savings, health and the running score.
import { t, isEn } from './i18n.js';
import { money, num } from './format.js';
import { h, clear, icon } from './ui.js';
import { currentScore } from './state.js';

export function deps(s) {
  return [s.view, s.me, s.status, s.sc, s.lifeOver, s.lastClosed, s.lastStage];
}

export function render(strip, s) {
  if (!strip) return;
  const st = s.status;
  // Only on a round: a result's summary and the end show the savings and the score themselves.
  const show = !!(s.me && st && s.sc && s.view === 'round');
  strip.hidden = !show;
  strip.setAttribute('aria-label', t('pc.strip.label'));
  if (!show) return;
  clear(strip);
  const sc = currentScore(s);
  strip.appendChild(h('span', { class: 'strip-item' }, icon('user'), t('strip.age', { age: st.age })));
  // The running balance of the game, shown on every screen: its sums carry 约 where they are
  // told (results, end, twin table); here a mark on each of ~17 screens would only add reading.
  strip.appendChild(h('span', { class: 'strip-item' + (st.savings < 0 ? ' neg' : '') }, icon('wallet'), money(st.savings)));
  strip.appendChild(h('span', { class: 'strip-item' }, icon('heart'), t('strip.health', { health: Math.round(st.health) })));
  if (sc.score !== null) {
    strip.appendChild(h('span', { class: 'strip-item strip-score' }, icon('shield'),
      h('span', null, t('strip.score') + ' '), sc.estimated ? h('span', { class: 'approx', 'aria-hidden': 'true' }, isEn() ? '≈' : '约') : null,
      h('strong', { id: 'score', 'data-testid': 'score', 'data-estimate': sc.estimated ? 'true' : 'false' }, num(sc.score))));
  }
}
