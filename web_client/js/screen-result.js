// What happened in a stage: the event cards, the stage at a glance, the risk pool and the
// room's board (workshop), then the way on: "as before" in one tap, look first, or the end.
import { t, isEn } from './i18n.js';
import { money, num } from './format.js';
import { h, clear, icon, card, msgId } from './ui.js';
import * as SC from './scenario.js';
import { keptLines } from './decision-cards.js';
import { eventList, stageSummary } from './stage-result.js';
import { currentScore, previousSavings, roundOpenForMe } from './state.js';

export function deps(s) {
  return [s.sc, s.lastStage, s.lastClosed, s.room.mode, s.me];
}

/** The way on changes in place when a round opens or the life ends. */
export function partDeps(s) {
  return [s.lifeOver, s.room.status, s.room.round, s.room.roundState, s.status];
}

/** Whether a stage's choices differ from the stage before's (its cover; its cover or saving). */
function choicesChanged(s, st) {
  const before = s.life.history.find((r) => r.round === st.round - 1);
  const d = st.decisions || {};
  const cover = !before || before.cover !== SC.coverKey(d);
  return { cover: cover, any: cover || before.saving !== d.saving_rate };
}

/** The kept choices in one short line: no cover at all is said in a few characters. */
function keptShort(lines) {
  const rest = lines.filter((l) => l[0] !== 'work');
  const none = rest.filter((l) => l[0] === 'cross');
  if (none.length && none.length === rest.length - 1) return [t('pc.kept.nothing')].concat(rest.filter((l) => l[0] !== 'cross').map((l) => l[1]));
  return rest.map((l) => l[1]);
}

export function render(root, s) {
  clear(root);
  const st = s.lastStage;
  if (!s.sc || !st) { root.appendChild(h('p', null, t('loading'))); return; }
  root.appendChild(h('h1', { id: 'result-title', class: 'screen-title', 'data-testid': 'result-title' }, t('result.title', { a0: st.start_age, a1: st.end_age - 1 })));
  root.appendChild(eventList(s.sc, st));
  const year = s.status ? s.status.year - (st.end_age - st.start_age) : s.sc.start_year;
  const sc = currentScore(s);
  root.appendChild(stageSummary(s.sc, st, previousSavings(s, st.round), year,
    (sc.estimated ? (isEn() ? '≈' : '约') : '') + (sc.score === null ? '—' : num(sc.score)), choicesChanged(s, st).cover));
  const closed = s.lastClosed;
  if (closed && closed.round === st.round && closed.pool && s.me) {
    const pool = closed.pool;
    const mine = pool.losses ? pool.losses[s.me.player_id] : undefined;
    root.appendChild(card({ level: 'h2', title: t('pool.title'), icon: 'pool', id: 'pool-result', testid: 'pool-result' },
      h('p', null, t('pool.text', { n: pool.members, hit: pool.hit, each: money(pool.contribution, true) })),
      mine !== undefined ? h('p', { class: 'lead' }, t(mine > pool.contribution ? 'pool.mine.more' : mine < pool.contribution ? 'pool.mine.less' : 'pool.mine.same', { loss: money(mine, true), each: money(pool.contribution, true) })) : null,
      h('p', null, t('pool.worst', { alone: money(pool.worst_alone, true), pooled: money(pool.worst_pooled, true) }))));
  }
  if (s.room.mode === 'workshop' && closed && closed.round === st.round && closed.leaderboard && closed.leaderboard.length) {
    root.appendChild(card({ level: 'h2', title: t('board.title'), icon: 'people', id: 'leaderboard', testid: 'leaderboard' },
      h('ol', { class: 'board' }, closed.leaderboard.map((e) => h('li', { class: s.me && e.player_id === s.me.player_id ? 'me' : '' },
        h('span', { class: 'board-name' }, e.nickname), h('span', { class: 'board-score' }, num(e.score)))))));
  }
  root.appendChild(h('div', { class: 'action-bar', id: 'next-bar' }));
}

export function update(root, s, act) {
  const bar = root.querySelector('#next-bar');
  if (!bar) return;
  clear(bar);
  if (s.lifeOver) {
    bar.appendChild(h('button', {
      type: 'button', class: 'btn btn-primary btn-big', id: 'next-btn', 'data-testid': 'next-btn',
      onclick: () => act.dispatch({ type: 'to_end' }),
    }, icon('star'), h('span', null, t('next.end'))));
  } else if (roundOpenForMe(s)) {
    // The next round starts from these choices: keep them all with one tap, or look first.
    // What "as before" keeps is said when it is new (round 1, a change); the same again is not.
    if (s.lastStage && choicesChanged(s, s.lastStage).any) {
      bar.appendChild(h('p', { class: 'kept-line', id: 'kept-line', 'data-testid': 'kept-line' },
        t('pc.kept.line', { list: keptShort(keptLines(s.sc, s.status, Object.assign({}, s.status.defaults))).join(t('pc.dot')) })));
    }
    bar.appendChild(h('p', { class: 'countdown', role: 'timer', hidden: true }));
    bar.appendChild(h('div', { class: 'action-pair' },
      h('button', {
        type: 'button', class: 'btn btn-ghost', id: 'next-btn', 'data-testid': 'next-btn',
        onclick: () => act.dispatch({ type: 'look' }),
      }, h('span', null, t('pc.next.look'))),
      h('button', {
        type: 'button', class: 'btn btn-primary btn-big', id: 'keep-next', 'data-testid': 'keep-next',
        disabled: s.room.status === 'paused',
        onclick: () => act.dispatch({ type: 'keep_next', id: msgId('d') }),
      }, icon('check'), h('span', null, t('pc.keep.next', { n: s.room.round + 1 })))));
  } else {
    bar.appendChild(h('button', { type: 'button', class: 'btn btn-big', id: 'next-btn', 'data-testid': 'next-btn', disabled: true }, icon('clock'), h('span', null, t('next.wait'))));
  }
}
