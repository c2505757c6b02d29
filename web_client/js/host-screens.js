// The big screen's steps during the game, each one screen that fits a 1280×720 projector:
// the lobby, a round (timer, live choice bars, who is still choosing), what hit the room, the
// pool, the leaderboard; and the pieces around them (the join strip, the player list).
// Each screen function returns { title, body, next?, back? } for host.js to frame.
import { t } from './i18n.js';
import { money, num, pct } from './format.js';
import { h, icon, iconText, bar } from './ui.js';

const COVERS = ['employee', 'residents', 'none'];
const COVER_CLASS = { none: 'bad', residents: 'alt' };
const RECENT_NAMES = 8;
const CHOOSING_NAMES = 10;
const BIG_ROOM = 500;
const PANEL_ROWS_CLOSED = 300;

export function activePlayers(H) {
  return H.players.filter((p) => !p.kicked);
}

function codeLabel(code) {
  return t('host.code.label', { code: code.split('').join(' ') });
}

/** The join address, never broken inside the room code (the line may break before it). */
function urlText(url) {
  const at = url.indexOf('/?room=');
  if (at < 0) return url;
  return [url.slice(0, at), h('span', { class: 'nowrap' }, url.slice(at))];
}

function joinProblem(c) {
  const j = c.H.join;
  if (!j || !j.problem) return null;
  return h('div', { class: 'join-problem', id: 'join-problem', role: 'alert', 'data-testid': 'join-problem' },
    h('p', { class: 'join-problem-title' }, iconText('alert', t('host.join.problem.title'))),
    h('p', null, t('host.join.problem.' + j.problem)),
    h('p', null, t('host.join.problem.fix')));
}

// --- Lobby -------------------------------------------------------------------------------------

export function lobbyScreen(c) {
  const H = c.H;
  const code = H.session.code;
  const players = activePlayers(H);
  const recent = players.slice(-RECENT_NAMES).reverse();
  const body = h('div', { class: 'lobby-grid' },
    h('figure', { class: 'lobby-qr' },
      h('img', { class: 'host-qr qr-big', id: 'host-qr', 'data-testid': 'host-qr', src: c.qrSrc, alt: t('host.qr.alt', { url: c.joinUrl }), width: 380, height: 380 }),
      h('figcaption', { class: 'room-read' }, iconText('qr', t('host.lobby.scan')))),
    h('div', { class: 'lobby-join' },
      h('p', { class: 'room-read join-step', id: 'host-code-label' }, t('host.lobby.code')),
      h('p', { class: 'host-code host-code-big', id: 'host-code', 'data-testid': 'host-code', 'aria-label': codeLabel(code) }, code),
      h('p', { class: 'room-read join-step' }, t('host.lobby.or')),
      h('p', { class: 'join-url join-url-big', id: 'join-url', 'data-testid': 'join-url' }, urlText(c.joinUrl)),
      joinProblem(c),
      h('p', { class: 'lobby-count', id: 'host-count', 'data-testid': 'host-count' }, t('host.count', { n: players.length })),
      players.length ? h('ul', { class: 'recent-names', id: 'host-recent', 'data-testid': 'host-recent', 'aria-label': t('host.lobby.recent') },
        recent.map((p) => h('li', null, p.nickname)),
        players.length > RECENT_NAMES ? h('li', { class: 'more' }, t('host.more', { n: num(players.length - RECENT_NAMES) })) : null)
        : h('p', { class: 'room-read muted', id: 'host-recent' }, t('host.lobby.empty'))));
  return { title: t('host.lobby.title'), body };
}

/** During the game: the code and a small QR in the corner, for late joiners. */
export function joinStrip(c) {
  const H = c.H;
  return h('aside', { class: 'join-strip', id: 'join-strip', 'data-testid': 'join-strip', 'aria-label': t('host.join.label') },
    h('img', { class: 'host-qr qr-small', id: 'host-qr', 'data-testid': 'host-qr', src: c.qrSrc, alt: t('host.qr.alt', { url: c.joinUrl }), width: 96, height: 96 }),
    h('div', { class: 'join-strip-text' },
      h('p', { class: 'join-strip-label' }, h('span', null, t('host.join.title')), ' · ',
        h('span', { class: 'join-strip-count', id: 'host-count', 'data-testid': 'host-count' }, t('host.count', { n: activePlayers(H).length }))),
      h('p', { class: 'host-code', id: 'host-code', 'data-testid': 'host-code', 'aria-label': codeLabel(H.session.code) }, H.session.code),
      h('p', { class: 'join-url', id: 'join-url', 'data-testid': 'join-url' }, urlText(c.joinUrl))));
}

// --- Round -------------------------------------------------------------------------------------

function countBy(choices, field) {
  const out = {};
  for (const id of Object.keys(choices)) {
    const v = choices[id][field];
    if (v) out[v] = (out[v] || 0) + 1;
  }
  return out;
}

function choiceBars(counts, total, prefix, id) {
  return h('ul', { class: 'bars big-bars', id: id }, COVERS.map((k) => {
    const n = counts[k] || 0;
    return h('li', null, h('span', null, t(prefix + k)), bar(total ? n / total : 0, num(n) + ' · ' + pct(total ? n / total : 0), COVER_CLASS[k]));
  }));
}

function barsBlock(counts, total, idPrefix) {
  return [
    h('section', { 'aria-labelledby': idPrefix + '-pension' },
      h('h2', { id: idPrefix + '-pension', class: 'bars-title' }, iconText('coin', t('host.bars.pension'))),
      choiceBars(counts.pension, total, 'host.pension.', idPrefix + '-pension-bars')),
    h('section', { 'aria-labelledby': idPrefix + '-medical' },
      h('h2', { id: idPrefix + '-medical', class: 'bars-title' }, iconText('medical', t('host.bars.medical'))),
      choiceBars(counts.medical, total, 'host.medical.', idPrefix + '-medical-bars')),
  ];
}

export function roundScreen(c) {
  const H = c.H;
  const r = H.room;
  const players = activePlayers(H);
  const decided = Object.keys(H.choices).length || r.decided || 0;
  const waiting = players.filter((p) => !H.choices[p.id] && !p.decided);
  const shown = waiting.filter((p) => p.connected).slice(0, CHOOSING_NAMES);
  const counts = { pension: countBy(H.choices, 'pension'), medical: countBy(H.choices, 'medical') };
  const body = h('div', { class: 'round-grid' },
    h('div', { class: 'round-clock' },
      h('p', { class: 'big-clock', id: 'host-countdown', 'data-testid': 'host-countdown', role: 'timer', 'aria-live': 'off' }, ''),
      h('p', { class: 'decided-big', id: 'host-decided', 'data-testid': 'host-decided' }, decided > 0 ? t('host.decided', { n: decided, total: players.length }) : t('host.deciding', { total: players.length })),
      r.pool ? h('p', { class: 'notice notice-pool room-read' }, iconText('pool', t('host.pool.now.short'))) : null,
      waiting.length ? h('div', { class: 'choosing', id: 'host-choosing', 'data-testid': 'host-choosing' },
        h('p', { class: 'room-read' }, t('host.choosing', { n: num(waiting.length) })),
        players.length < BIG_ROOM ? h('ul', { class: 'recent-names' }, shown.map((p) => h('li', null, p.nickname)),
          waiting.length > shown.length ? h('li', { class: 'more' }, t('host.more', { n: num(waiting.length - shown.length) })) : null) : null) : null),
    h('div', { class: 'round-bars', id: 'host-live', 'data-testid': 'host-live' },
      h('p', { class: 'room-read muted' }, t('host.live.so_far', { n: num(decided) })),
      barsBlock(counts, decided, 'live')));
  return { title: t('host.round.title', { n: r.round + 1, total: r.rounds }), body };
}

// --- After a round: what hit the room, the pool, the leaderboard ---------------------------------

function bigStat(id, ic, value, label, cls) {
  return h('div', { class: 'big-stat' + (cls ? ' ' + cls : ''), id: id, 'data-testid': id },
    h('p', { class: 'big-stat-value' }, icon(ic), h('span', null, value)),
    h('p', { class: 'big-stat-label' }, label));
}

export function revealScreen(c, ev) {
  const st = ev.stats || {};
  const total = ev.players || 0;
  const groups = st.by_medical || {};
  const rows = COVERS.filter((k) => groups[k] && groups[k].players);
  const body = h('div', { class: 'reveal-grid', id: 'host-round-results', 'data-testid': 'host-round-results' },
    h('div', { class: 'reveal-choices' },
      h('p', { class: 'room-read muted', id: 'host-defaulted' }, t('host.decided.closed', { n: ev.players - ev.defaulted, total: ev.players, d: ev.defaulted })),
      barsBlock({ pension: st.pension || {}, medical: st.medical || {} }, total, 'bars')),
    h('div', { class: 'reveal-hits', id: 'host-happened', 'data-testid': 'host-happened' },
      h('h2', { class: 'bars-title' }, iconText('alert', t('host.hit.title'))),
      h('div', { class: 'big-stats' },
        bigStat('hit-illness', 'medical', num(st.illness || 0) + ' / ' + num(total), t('host.hit.illness')),
        bigStat('hit-accidents', 'bolt', num(st.accidents || 0), t('host.hit.accidents', { c: num(st.accidents_covered || 0) })),
        bigStat('hit-covered', 'shield', money(st.covered || 0, true), t('host.hit.covered'), 'good'),
        bigStat('hit-oop', 'wallet', money(st.out_of_pocket || 0, true), t('host.hit.oop'), 'bad')),
      rows.length && st.bills > 0 ? h('table', { class: 'group-table', id: 'host-groups', 'data-testid': 'host-groups' },
        h('caption', { class: 'room-read' }, t('host.hit.by_group')),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('host.g.cover')),
          h('th', { scope: 'col' }, t('host.g.hit')),
          h('th', { scope: 'col' }, t('host.g.covered')),
          h('th', { scope: 'col' }, t('host.g.oop')))),
        h('tbody', null, rows.map((k) => {
          const g = groups[k];
          return h('tr', { 'data-group': k },
            h('th', { scope: 'row' }, t('host.medical.' + k) + ' (' + num(g.players) + ')'),
            h('td', null, num(g.hit)),
            h('td', null, money(g.covered, true)),
            h('td', { class: g.out_of_pocket > 0 ? 'bad' : '' }, money(g.hit ? g.out_of_pocket / g.hit : 0, true) + ' ' + t('host.g.each')));
        })))
        : h('p', { class: 'room-read calm', id: 'host-calm' }, iconText('check', t('host.hit.calm')))));
  return {
    title: t('host.reveal.title', { n: ev.round + 1 }),
    body,
    next: { step: 'board', label: t('host.next.board') },
    back: ev.pool ? { step: 'pool', label: t('host.back.pool') } : null,
  };
}

export function poolScreen(c, ev) {
  const p = ev.pool;
  const max = Math.max(p.worst_alone, p.contribution, p.worst_pooled, 1);
  const body = h('div', { class: 'pool-screen', id: 'host-pool-reveal', 'data-testid': 'host-pool-reveal' },
    h('p', { class: 'pool-lead', id: 'host-pool-total', 'data-testid': 'host-pool-total', 'data-total': String(p.total_losses) },
      t('host.pool.text', { n: num(p.members), hit: num(p.hit), total: money(p.total_losses) })),
    h('p', { class: 'room-read muted' }, t('host.pool.real')),
    h('ul', { class: 'bars big-bars pool-compare' },
      h('li', null, h('span', null, t('host.pool.alone')), bar(p.worst_alone / max, money(p.worst_alone), 'bad')),
      h('li', null, h('span', null, t('host.pool.each')), bar(p.contribution / max, money(p.contribution), 'good')),
      h('li', null, h('span', null, t('host.pool.pooled')), bar(p.worst_pooled / max, money(p.worst_pooled), 'alt'))),
    // With a room that met the same bills, pooling changes nothing: say so rather than preach.
    h('p', { class: 'pool-lesson room-read' }, iconText('pool', t(p.worst_alone > p.contribution ? 'host.pool.lesson' : 'host.pool.same'))));
  return { title: t('host.pool.title', { n: ev.round + 1 }), body, next: { step: 'reveal', label: t('host.next.reveal') } };
}

export function boardScreen(c, ev) {
  const rows = ev.leaderboard || [];
  const body = h('div', { class: 'board-screen' },
    rows.length ? h('ol', { class: 'board board-big', id: 'host-leaderboard', 'data-testid': 'host-leaderboard' },
      rows.map((e, i) => h('li', null, h('span', { class: 'board-rank' }, String(i + 1)), h('span', { class: 'board-name' }, e.nickname), h('span', { class: 'board-score' }, num(e.score)))))
      : h('p', { class: 'room-read' }, t('host.nopodium')));
  return { title: t('host.board.title', { n: ev.round + 1 }), body, back: { step: 'reveal', label: t('host.back.reveal') } };
}

// --- The player list ---------------------------------------------------------------------------

export function playersPanel(c, close) {
  const H = c.H;
  const open = H.panelOpen;
  const players = H.players;
  const live = H.room.roundState === 'open' || H.room.status === 'paused';
  // A closed panel over a big room is not drawn row by row: decisions redraw the screen often.
  const rows = open || players.length <= PANEL_ROWS_CLOSED ? players : [];
  const list = h('ul', { class: 'player-list', id: 'host-players', 'data-testid': 'host-players' },
    rows.length ? rows.map((p) => h('li', { class: p.kicked ? 'kicked' : '', 'data-player': p.id },
      h('span', { class: 'dot ' + (p.connected ? 'on' : 'off'), title: t(p.connected ? 'host.p.on' : 'host.p.off') }, h('span', { class: 'sr-only' }, t(p.connected ? 'host.p.on' : 'host.p.off'))),
      h('span', { class: 'player-name' }, p.nickname),
      live && !p.kicked ? h('span', { class: 'player-state' + (p.decided || H.choices[p.id] ? ' done' : '') }, t(p.decided || H.choices[p.id] ? 'host.p.decided' : 'host.p.choosing')) : null,
      p.kicked ? h('span', { class: 'player-state' }, t('host.p.kicked')) : null,
      p.kicked || H.room.status === 'finished' ? null : h('button', {
        type: 'button', class: 'kick-btn', 'data-testid': 'kick-' + p.id, 'aria-label': t('host.kick.label', { name: p.nickname }),
        onclick: () => c.kick(p.id),
      }, t('host.kick')))) : (players.length ? null : h('li', { class: 'empty' }, t('host.nobody'))));
  return h('div', { class: 'players-panel', id: 'host-players-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'host-players-title', hidden: !open },
    h('div', { class: 'players-panel-head' },
      h('h2', { id: 'host-players-title' }, iconText('people', t('host.players', { n: activePlayers(H).length }))),
      h('button', { type: 'button', class: 'btn btn-small', id: 'host-players-close', onclick: close }, t('host.p.close'))),
    h('p', { class: 'muted' }, t('host.p.legend')),
    list);
}
