// The lobby (and the solo intro): the persona, the quiz before the life, the players in the
// room (workshop) or "start my life" (alone).
import { t, tx } from './i18n.js';
import { h, clear, icon, iconText, card } from './ui.js';
import { renderQuiz, deps as quizDeps } from './quiz.js';

export function deps(s) {
  return [s.sc, s.room.mode, s.me && s.me.code];
}

/** The parts that change in place: the player count and the quiz. */
export function partDeps(s) {
  return [s.room.playerCount].concat(quizDeps(s));
}

export function render(root, s, act) {
  clear(root);
  const sc = s.sc;
  const solo = s.room.mode === 'solo';
  if (!sc) { root.appendChild(h('p', null, t('loading'))); return; }
  root.appendChild(h('h1', { id: 'lobby-title', class: 'screen-title' }, solo ? tx(sc.title) : t('lobby.in', { code: s.me ? s.me.code : '' })));
  if (!solo) {
    root.appendChild(h('p', { class: 'lead' }, iconText('clock', t('lobby.wait'))));
    root.appendChild(h('p', { id: 'player-count', class: 'muted', 'data-testid': 'player-count' }));
  }
  root.appendChild(card({ level: 'h2', title: tx(sc.persona.name), icon: 'user', id: 'persona-card', testid: 'persona-card' },
    h('p', null, tx(sc.persona.story)),
    h('p', { class: 'muted' }, t('lobby.persona.start', { age: sc.start_year - sc.persona.birth_year, year: sc.start_year }))));
  root.appendChild(h('section', { 'aria-labelledby': 'quiz-pre-title', class: 'quiz-block' },
    h('h2', { id: 'quiz-pre-title', class: 'card-title' }, iconText('question', t('quiz.pre.title'))),
    h('p', { class: 'muted' }, t('quiz.pre.intro')),
    h('div', { id: 'pre-quiz', 'data-testid': 'pre-quiz' })));
  if (solo) {
    root.appendChild(h('div', { class: 'action-bar' },
      h('button', {
        type: 'button', class: 'btn btn-primary btn-big', id: 'start-life-btn', 'data-testid': 'start-life-btn',
        onclick: () => act.dispatch({ type: 'intro_done' }),
      }, icon('play'), h('span', null, t('lobby.start')))));
  }
}

export function update(root, s, act) {
  const count = root.querySelector('#player-count');
  if (count) count.textContent = t('lobby.count', { n: s.room.playerCount });
  renderQuiz(root.querySelector('#pre-quiz'), s, 'pre', act.dispatch);
}
