// A round: the decision cards (one decision each) or, once sent, "waiting" (sent, or waiting
// to send while offline). Drawn from the state; every tap is an action.
import { t } from './i18n.js';
import { h, clear, iconText, refreshReadButtons, msgId } from './ui.js';
import { renderDecisions, stepsFor } from './decision-cards.js';
import { EXPLICIT, sentNow } from './state.js';
import { errorText } from './screen-text.js';

export function deps(s) {
  return [s.sc, s.status, s.room.pool, s.room.status, s.draft, s.step, s.editing, s.decideError, s.lastStage];
}

/** The waiting card changes in place (sent, acknowledged, offline). */
export function partDeps(s) {
  return [s.sentRound, s.ack, s.net, s.room.round, s.room.roundState, s.room.mode];
}

export function render(root, s, act, prev) {
  const st = s.status;
  if (!s.sc || !st || !st.stage || !s.draft) { clear(root).appendChild(h('p', null, t('loading'))); return; }
  const sameCard = prev && prev.view === 'round' && prev.step === s.step && prev.editing === s.editing && prev.draftRound === s.draftRound;
  const active = document.activeElement && document.activeElement.id;
  clear(root);
  root.appendChild(h('p', { class: 'countdown', id: 'countdown', 'data-testid': 'countdown', role: 'timer', hidden: true }));
  if (s.room.pool) root.appendChild(h('p', { class: 'notice notice-pool', id: 'pool-notice' }, iconText('pool', t('round.pool'))));
  if (s.room.status === 'paused') root.appendChild(h('p', { class: 'notice', id: 'paused-notice' }, iconText('pause', t('round.paused.note'))));
  root.appendChild(h('div', { id: 'waiting', class: 'waiting', 'aria-live': 'polite', hidden: true }));
  root.appendChild(form(s, act));
  refreshReadButtons();
  if (prev && prev.view === 'round') {
    if (sameCard) {
      // A choice on the same card: the focus stays where it was.
      const el = active && document.getElementById(active);
      if (el) el.focus({ preventScroll: true });
    } else {
      window.scrollTo(0, 0);
      const q = document.getElementById('card-q');
      if (q) { q.setAttribute('tabindex', '-1'); q.focus({ preventScroll: true }); }
    }
  }
}

function form(s, act) {
  const st = s.status;
  const steps = stepsFor(st);
  const step = Math.min(s.step || 0, steps.length - 1);
  const prev = s.lastStage && s.lastStage.round === st.stage.index - 1 ? s.lastStage.decisions : null;
  return renderDecisions({
    sc: s.sc, st: st, d: s.draft, steps: steps, step: step, editing: !!s.editing, prev: prev,
    lastPhase: s.lastStage ? s.lastStage.phase : null,
    paused: s.room.status === 'paused', error: errorText(s.decideError),
    complete: EXPLICIT.every((k) => s.draft[k] !== null && s.draft[k] !== undefined),
    change: (field, value) => act.dispatch({ type: 'draft', field: field, value: value }),
    goStep: (n) => act.dispatch({ type: 'step', n: n }),
    edit: () => act.dispatch({ type: 'edit' }),
    send: () => act.dispatch({ type: 'send', id: msgId('d') }),
  });
}

export function update(root, s, act) {
  const box = root.querySelector('#waiting');
  const f = root.querySelector('#decision-form');
  if (!box || !f) return;
  const sent = sentNow(s);
  box.hidden = !sent;
  f.hidden = sent;
  if (!sent) return;
  clear(box);
  const solo = s.room.mode === 'solo';
  const text = s.ack ? t('wait.in') : s.net === 'open' ? t('wait.sending') : t('pc.queued');
  box.appendChild(h('div', { class: 'card waiting-card', id: 'waiting-card', 'data-testid': 'waiting' },
    h('p', { class: 'lead' }, iconText(s.ack ? 'check' : 'clock', text)),
    !solo && s.ack ? h('p', { id: 'decided-count', 'data-testid': 'decided-count' }, t('wait.count', { n: s.ack.decided, total: s.ack.total })) : null,
    !solo ? h('p', { class: 'muted' }, t('wait.others')) : null,
    h('button', { type: 'button', class: 'btn', id: 'change-btn', 'data-testid': 'change-btn', onclick: () => act.dispatch({ type: 'unsend' }) }, t('wait.change'))));
}
