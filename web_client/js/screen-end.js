// The end of a life, lesson first: the score and what decided it, the same life insured / not
// (the timeline on demand), do it for real, the quiz again, the share picture.
import { t, isEn } from './i18n.js';
import { h, clear, icon, iconText, card, announce } from './ui.js';
import { timeline } from './chart.js';
import { BADGE_TEXT, badgeTitle } from './badges.js';
import { outcomeText } from './stage-result.js';
import { scoreCard, counterfactualCard, doItForReal } from './end-view.js';
import { renderQuiz, deps as quizDeps } from './quiz.js';
import { lifePoints } from './state.js';

let shareUrl = null; // the share picture's object URL: this screen's own resource

export function deps(s) {
  return [s.sc, s.lifeOver, s.status];
}

export function partDeps(s) {
  return quizDeps(s);
}

export function render(root, s) {
  clear(root);
  const lo = s.lifeOver;
  const sc = s.sc;
  if (!sc || !lo) { root.appendChild(h('p', null, t('loading'))); return; }
  const sum = lo.summary;
  // The age the life ended at (the title says it: no "you lived to" line below).
  const endAge = sum.death_age || (s.status ? s.status.age : sc.end_age);
  root.appendChild(h('h1', { id: 'end-title', class: 'screen-title', 'data-testid': 'end-title' }, t('end.title', { age: endAge })));

  const earned = sum.badges || [];
  const others = Object.keys(BADGE_TEXT).filter((b) => earned.indexOf(b) < 0);
  const badges = h('details', { class: 'more', id: 'badges', 'data-testid': 'badges' },
    h('summary', null, t('end.badges', { n: earned.length })),
    earned.length ? h('ul', { class: 'badges' }, earned.map((b) => badgeItem(b, true))) : h('p', null, t('end.nobadge')),
    others.length ? h('details', null, h('summary', null, t('end.morebadges')), h('ul', { class: 'badges badges-off' }, others.map((b) => badgeItem(b, false)))) : null);
  root.appendChild(scoreCard(lo, outcomeText(sc, sum.pension_outcome, sum.monthly_pension, null), badges));

  root.appendChild(counterfactualCard(lo.counterfactual));
  const points = lifePoints(s);
  const startAge = sc.start_year - sc.persona.birth_year;
  root.appendChild(h('details', { class: 'card more', id: 'timeline', 'data-testid': 'timeline' },
    h('summary', null, iconText('chart', t('chart.title'))),
    timeline({ start: { age: startAge, savings: sc.persona.start_savings, health: sc.persona.start_health }, points: points, retireAge: sum.retirement_age }),
    points.length < (s.status ? s.status.rounds : 0) ? h('p', { class: 'hint' }, t('chart.partial')) : null));

  root.appendChild(doItForReal(sc));

  root.appendChild(h('section', { class: 'quiz-block', 'aria-labelledby': 'quiz-post-title' },
    h('h2', { id: 'quiz-post-title', class: 'card-title' }, iconText('question', t('quiz.post.title'))),
    h('div', { id: 'post-quiz', 'data-testid': 'post-quiz' })));

  root.appendChild(card({ title: t('share.title'), icon: 'download', id: 'share', testid: 'share', level: 'h2' },
    h('button', { type: 'button', class: 'btn btn-primary', id: 'share-btn', 'data-testid': 'share-btn', onclick: () => makeShare(s, points) }, icon('download'), h('span', null, t('share.make'))),
    h('div', { id: 'share-out', class: 'share-out' })));

  root.appendChild(h('div', { class: 'action-bar' },
    h('a', { class: 'btn', href: 'play.html?solo=1', id: 'again-btn', 'data-testid': 'again-btn' }, icon('play'), h('span', null, t('end.again'))),
    h('a', { class: 'btn btn-ghost', href: 'guide.html' }, icon('book'), h('span', null, t('end.guide')))));
}

export function update(root, s, act) {
  renderQuiz(root.querySelector('#post-quiz'), s, 'post', act.dispatch);
}

function badgeItem(id, on) {
  return h('li', { class: 'badge' + (on ? '' : ' off'), 'data-badge': id },
    icon(on ? 'star' : 'question'),
    h('span', { class: 'badge-text' },
      h('strong', null, badgeTitle(id, isEn())),
      h('span', { class: 'badge-how' }, t('badge.' + id + '.how'))));
}

async function makeShare(s, points) {
  const out = document.getElementById('share-out');
  const btn = document.getElementById('share-btn');
  btn.disabled = true;
  clear(out).appendChild(h('p', null, t('share.drawing')));
  try {
    const mod = await import('./sharecard.js');
    const canvas = h('canvas', { class: 'sr-only', 'aria-hidden': 'true' });
    const sum = s.lifeOver.summary;
    const blob = await mod.drawShareCard(canvas, {
      sc: s.sc, summary: sum, nickname: s.me ? s.me.nickname : '',
      points: [{ savings: s.sc.persona.start_savings }].concat(points), endAge: s.status ? s.status.age : s.sc.end_age,
    });
    if (shareUrl) URL.revokeObjectURL(shareUrl);
    shareUrl = URL.createObjectURL(blob);
    clear(out).appendChild(h('img', { id: 'share-img', 'data-testid': 'share-img', src: shareUrl, alt: t('share.alt', { score: sum.score }) }));
    out.appendChild(h('p', { class: 'hint' }, t('share.hold')));
    out.appendChild(h('a', { class: 'btn btn-primary', id: 'share-download', 'data-testid': 'share-download', href: shareUrl, download: 'gig-life-' + sum.score + '.png' }, icon('download'), h('span', null, t('share.save'))));
    announce(t('share.ready'));
  } catch (e) {
    clear(out).appendChild(h('p', { class: 'form-error' }, t('share.failed')));
  }
  btn.disabled = false;
}
