// The host page (big screen): create a workshop room, show the join code and QR, run the
// rounds, show the room's choices and what happened, the risk pool, the podium and a debrief.
import { t, tx, tIn, initLang, loadCatalog, onLangChange, isEn, getLang } from './i18n.js';
import { money, num, pct } from './format.js';
import { h, $, clear, icon, iconText, card, announce, toast, msgId, serverNow, fmtClock, bar, refreshReadButtons } from './ui.js';
import { GameSocket, loadSession, saveSession, dropSession, rememberLast, lastCode } from './net.js';
import * as SC from './scenario.js';
import { qrImageUrl } from './qr.js';
import { badgeTitle } from './badges.js';

const H = {
  view: 'setup',
  session: null,
  socket: null,
  sc: null,
  scenarios: null,
  room: { status: null, round: 0, roundState: 'none', deadline: 0, remaining: 0, pool: false, rounds: 0, decided: null, playerCount: 0, quizIds: [] },
  players: [],
  poolNext: false,
  seconds: 120,
  scenarioId: null,
  error: '',
  needPasscode: false,
  creating: false,
  endConfirm: false,
  report: null,
  reportError: '',
  qrUrl: null,
  boardFallback: null,
};

async function init() {
  // Both catalogs: the debrief shows its discussion prompts in both languages.
  await Promise.all([initLang(), loadCatalog('zh-CN'), loadCatalog('en')]);
  onLangChange(() => render());
  setInterval(tick, 500);
  const p = new URLSearchParams(location.search);
  const code = (p.get('room') || '').trim();
  const saved = /^\d{6}$/.test(code) ? loadSession('host.' + code) : null;
  if (saved && saved.token) { resume(saved); return; }
  H.view = 'setup';
  render();
}

function resume(session) {
  H.session = session;
  H.seconds = session.seconds || H.seconds;
  H.view = 'connecting';
  render();
  H.socket = new GameSocket({ session: session, onMessage: onMessage, onStatus: onStatus });
  H.socket.start();
  try { history.replaceState(null, '', 'host.html?room=' + session.code); } catch (e) { /* */ }
}

function create() {
  H.error = '';
  H.creating = true;
  const pass = $('host-passcode');
  const msg = { type: 'create_room', client_msg_id: msgId('c'), scenario_id: H.scenarioId, mode: 'workshop', round_seconds: H.seconds };
  if (pass && pass.value) msg.passcode = pass.value;
  if (H.socket) H.socket.stop();
  H.socket = new GameSocket({ session: null, onMessage: onMessage, onStatus: onStatus });
  H.socket.start();
  H.socket.send(msg);
  render();
}

function action(name, extra) {
  const msg = Object.assign({ type: 'host', client_msg_id: msgId('h'), action: name }, extra || {});
  H.socket.send(msg);
}

// --- Messages ----------------------------------------------------------------------------

function onStatus(status) {
  const box = $('reconnecting');
  if (box) box.hidden = status !== 'reconnecting';
  if (status === 'reconnecting') announce(t('net.reconnecting'));
  if (H.creating && status === 'reconnecting') {
    H.creating = false;
    H.socket.stop();
    H.error = t('err.connection');
    render();
  }
}

function onMessage(m) {
  switch (m.type) {
    case 'room_created': {
      const s = {
        key: 'host.' + m.code, code: m.code, token: m.host_token, role: 'host', seq: 0, outbox: {},
        scenario_id: m.scenario_id, seconds: H.seconds, closed: {}, gameOver: null, joinUrl: m.join_url || null,
      };
      saveSession(s);
      rememberLast('host', m.code);
      H.session = s;
      H.socket.adopt(s);
      H.creating = false;
      try { history.replaceState(null, '', 'host.html?room=' + m.code); } catch (e) { /* */ }
      break;
    }
    case 'snapshot': onSnapshot(m); break;
    case 'event': onEvent(m.event); break;
    case 'ack': break;
    case 'error': onError(m); break;
    default: break;
  }
}

async function onSnapshot(m) {
  const s = H.session;
  Object.assign(H.room, {
    status: m.room_status, round: m.round, roundState: m.round_state, deadline: m.deadline,
    remaining: m.remaining, pool: m.pool, rounds: m.rounds, decided: m.decided,
    playerCount: m.player_count, quizIds: m.quiz_ids || [],
  });
  H.players = (m.players || []).map((p) => ({ id: p.player_id, nickname: p.nickname, kicked: p.kicked }));
  s.scenario_id = m.scenario_id;
  saveSession(s);
  try {
    H.sc = await SC.getScenario(m.scenario_id);
  } catch (e) { /* shown without titles */ }
  if (!H.qrUrl) {
    qrImageUrl('/api/rooms/' + s.code + '/qr.svg').then((u) => { H.qrUrl = u; const img = $('host-qr'); if (img) img.src = u; }).catch(() => {});
  }
  H.view = 'room';
  if (H.room.status === 'finished') afterGameOver();
  render();
}

function onEvent(ev) {
  const r = H.room;
  const s = H.session;
  switch (ev.kind) {
    case 'player_joined':
      if (!H.players.some((p) => p.id === ev.player_id)) H.players.push({ id: ev.player_id, nickname: ev.nickname, kicked: false });
      r.playerCount = H.players.filter((p) => !p.kicked).length;
      announce(t('host.ev.joined', { name: ev.nickname }));
      renderPlayers();
      renderSideCount();
      return;
    case 'player_kicked': {
      const p = H.players.find((x) => x.id === ev.player_id);
      if (p) p.kicked = true;
      r.playerCount = H.players.filter((x) => !x.kicked).length;
      renderPlayers();
      renderSideCount();
      return;
    }
    case 'game_started': r.status = 'playing'; break;
    case 'round_opened':
      r.status = 'playing'; r.round = ev.round; r.roundState = 'open'; r.deadline = ev.deadline;
      r.remaining = 0; r.pool = !!ev.pool; r.rounds = ev.rounds || r.rounds; r.decided = 0;
      H.poolNext = false;
      announce(t('host.ev.opened', { n: ev.round + 1 }));
      break;
    case 'decided': // optional live count, if the server sends it
      if (ev.round === r.round) { r.decided = ev.decided; if (ev.total) r.playerCount = ev.total; }
      renderLive();
      return;
    case 'paused': r.status = 'paused'; r.remaining = ev.remaining; r.deadline = 0; break;
    case 'resumed': r.status = 'playing'; r.deadline = ev.deadline; r.remaining = 0; break;
    case 'round_closed':
      r.roundState = 'closed';
      s.closed = s.closed || {};
      s.closed[ev.round] = ev;
      saveSession(s);
      announce(t('host.ev.closed', { n: ev.round + 1 }));
      break;
    case 'game_over':
      r.status = 'finished';
      s.gameOver = ev;
      saveSession(s);
      announce(t('host.ev.over'));
      afterGameOver();
      break;
    default:
      return;
  }
  H.endConfirm = false;
  render();
}

function onError(m) {
  if (m.code === 'auth/passcode') {
    H.creating = false;
    H.needPasscode = true;
    H.error = t('err.auth/passcode');
    if (H.socket) H.socket.stop();
    render();
    const p = $('host-passcode');
    if (p) p.focus();
    return;
  }
  if (m.code === 'auth/bad_token' || (m.code === 'room/not_found' && H.session)) {
    if (H.session) dropSession('host.' + H.session.code);
    rememberLast('host', null);
    H.session = null;
    H.view = 'setup';
    H.error = t('err.expired');
    render();
    return;
  }
  if (H.creating) {
    H.creating = false;
    const key = 'err.' + m.code;
    H.error = t(key) === key ? m.message : t(key);
    if (H.socket) H.socket.stop();
    render();
    return;
  }
  const key = 'err.' + m.code;
  toast(t(key) === key ? (m.message || m.code) : t(key), 'error');
}

// --- Rendering ---------------------------------------------------------------------------

function render() {
  const root = clear($('host'));
  if (H.view === 'setup') renderSetup(root);
  else if (H.view === 'connecting') root.appendChild(h('p', { class: 'lead' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', t('net.connecting')));
  else renderRoom(root);
  refreshReadButtons();
  tick();
}

function renderSetup(root) {
  root.appendChild(h('h1', { class: 'page-title' }, t('host.title')));
  root.appendChild(h('p', { class: 'lead' }, t('host.intro')));
  const last = lastCode('host');
  const saved = last && loadSession('host.' + last);
  if (saved && saved.token) {
    root.appendChild(h('p', { class: 'card resume-card' },
      h('button', { type: 'button', class: 'btn', id: 'host-resume', 'data-testid': 'host-resume', onclick: () => resume(saved) },
        icon('play'), h('span', null, t('host.resume', { code: saved.code })))));
  }
  const list = h('div', { class: 'scenario-list', id: 'host-scenarios' }, h('p', null, t('loading')));
  const seconds = h('select', { id: 'host-seconds', 'data-testid': 'host-seconds', onchange: () => { H.seconds = Number(seconds.value); } },
    [60, 90, 120, 180, 300, 600].map((v) => h('option', { value: String(v), selected: v === H.seconds }, t('host.seconds.option', { min: fmtClock(v * 1000) }))));
  const form = h('form', {
    class: 'form card', id: 'host-form',
    onsubmit: (e) => {
      e.preventDefault();
      const chosen = form.querySelector('input[name="host-scenario"]:checked');
      if (!chosen) { H.error = t('err.pick'); render(); return; }
      H.scenarioId = chosen.value;
      create();
    },
  },
  h('fieldset', null, h('legend', null, icon('user'), h('span', null, t('host.pick'))), list),
  h('label', { for: 'host-seconds' }, t('host.seconds')),
  seconds,
  h('details', { open: H.needPasscode, id: 'host-passcode-box' },
    h('summary', null, t('host.passcode.toggle')),
    h('label', { for: 'host-passcode' }, t('host.passcode')),
    h('input', { type: 'text', id: 'host-passcode', autocomplete: 'off', 'data-testid': 'host-passcode' })),
  h('p', { class: 'form-error', role: 'alert', id: 'host-error' }, H.error),
  h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'host-create', 'data-testid': 'host-create', disabled: H.creating },
    icon('people'), h('span', null, H.creating ? t('start.joining') : t('host.create'))));
  root.appendChild(form);
  fillScenarios(list);
}

async function fillScenarios(box) {
  try {
    const list = H.scenarios || (H.scenarios = await SC.listScenarios());
    clear(box);
    const wanted = H.scenarioId || (list.find((s) => s.id === 'hangzhou-rider') || list[0]).id;
    for (const s of list) {
      const id = 'host-scenario-' + s.id;
      box.appendChild(h('label', { class: 'scenario-option', for: id },
        h('input', { type: 'radio', name: 'host-scenario', id: id, value: s.id, checked: s.id === wanted, 'data-testid': id, onchange: () => { H.scenarioId = s.id; } }),
        h('span', { class: 'scenario-body' },
          h('strong', null, tx(s.title)),
          h('span', { class: 'scenario-who' }, t('start.persona', { name: tx(s.persona.name), age: s.start_age })),
          h('span', { class: 'scenario-story' }, t('host.teaches') + ' ' + tx(s.teaches)))));
    }
  } catch (e) {
    clear(box).appendChild(h('p', { class: 'form-error' }, t('err.scenarios')));
  }
}

function joinUrl() {
  return H.session.joinUrl || location.origin + '/?room=' + H.session.code;
}

function renderRoom(root) {
  const s = H.session;
  const r = H.room;
  const grid = h('div', { class: 'host-grid' });
  const side = h('aside', { class: 'host-side', 'aria-label': t('host.join.label') },
    h('div', { class: 'card' },
      h('h2', null, t('host.join.title')),
      h('p', { class: 'host-code', id: 'host-code', 'data-testid': 'host-code', 'aria-label': t('host.code.label', { code: s.code.split('').join(' ') }) }, s.code),
      h('img', { class: 'qr-img', id: 'host-qr', 'data-testid': 'host-qr', src: H.qrUrl || ('/api/rooms/' + s.code + '/qr.svg'), alt: t('host.qr.alt', { url: joinUrl() }), width: 260, height: 260 }),
      h('p', { class: 'join-url', id: 'join-url', 'data-testid': 'join-url' }, joinUrl()),
      h('p', { class: 'lead', id: 'host-count', 'data-testid': 'host-count' }, t('host.count', { n: H.players.filter((p) => !p.kicked).length }))));
  const mainCol = h('div', { class: 'host-main' });
  mainCol.appendChild(h('h1', { class: 'page-title' }, H.sc ? tx(H.sc.title) : t('host.title')));
  mainCol.appendChild(h('p', { class: 'lead', id: 'host-status', 'data-testid': 'host-status' }, statusText()));
  if (r.status !== 'finished') mainCol.appendChild(controls());
  if (r.status === 'lobby') {
    mainCol.appendChild(card({ title: t('host.lobby.title'), icon: 'people', id: 'host-lobby', read: false },
      h('p', null, t('host.lobby.text')),
      h('ul', { class: 'player-list', id: 'host-players', 'data-testid': 'host-players' })));
  } else if (r.status !== 'finished' && (r.roundState === 'open' || r.roundState === 'closing' || r.status === 'paused')) {
    mainCol.appendChild(liveCard());
  }
  const closedRound = lastClosed();
  if (r.status === 'finished') {
    mainCol.appendChild(podiumCard());
    mainCol.appendChild(debriefCard());
  } else if (closedRound) {
    if (closedRound.pool) mainCol.appendChild(poolCard(closedRound));
    mainCol.appendChild(roundResultsCard(closedRound));
  }
  if (r.status !== 'lobby') {
    mainCol.appendChild(h('details', { class: 'card', id: 'host-players-box' },
      h('summary', null, t('host.players', { n: H.players.filter((p) => !p.kicked).length })),
      h('ul', { class: 'player-list', id: 'host-players', 'data-testid': 'host-players' })));
  }
  grid.appendChild(side);
  grid.appendChild(mainCol);
  root.appendChild(grid);
  renderPlayers();
}

function renderSideCount() {
  const el = $('host-count');
  if (el) el.textContent = t('host.count', { n: H.players.filter((p) => !p.kicked).length });
  const sum = document.querySelector('#host-players-box summary');
  if (sum) sum.textContent = t('host.players', { n: H.players.filter((p) => !p.kicked).length });
}

function renderPlayers() {
  const list = $('host-players');
  if (!list) return;
  clear(list);
  if (!H.players.length) { list.appendChild(h('li', { class: 'empty' }, t('host.nobody'))); return; }
  for (const p of H.players) {
    list.appendChild(h('li', { class: p.kicked ? 'kicked' : '', 'data-player': p.id },
      h('span', null, p.nickname),
      p.kicked || H.room.status === 'finished' ? null : h('button', {
        type: 'button', class: 'kick-btn', 'data-testid': 'kick-' + p.id, 'aria-label': t('host.kick.label', { name: p.nickname }),
        onclick: () => action('kick', { player_id: p.id }),
      }, t('host.kick'))));
  }
}

function statusText() {
  const r = H.room;
  if (r.status === 'lobby') return t('host.st.lobby');
  if (r.status === 'finished') return t('host.st.finished');
  if (r.status === 'paused') return t('host.st.paused', { n: r.round + 1, total: r.rounds });
  if (r.roundState === 'open') return t('host.st.open', { n: r.round + 1, total: r.rounds }) + (r.pool ? ' · ' + t('host.pool.on') : '');
  if (r.roundState === 'closing') return t('host.st.closing', { n: r.round + 1 });
  return t('host.st.closed', { n: r.round + 1, total: r.rounds });
}

function controls() {
  const r = H.room;
  const box = h('div', { class: 'card controls', id: 'host-controls', 'data-testid': 'host-controls' });
  const poolToggle = () => {
    const input = h('input', { type: 'checkbox', id: 'host-pool', 'data-testid': 'host-pool', checked: H.poolNext, onchange: () => { H.poolNext = input.checked; } });
    return h('label', { class: 'switch', for: 'host-pool' }, input, icon('pool'), h('span', null, t('host.pool.toggle')));
  };
  const secondsSel = () => {
    const sel = h('select', { id: 'host-round-seconds', 'data-testid': 'host-round-seconds', 'aria-label': t('host.seconds'), onchange: () => { H.seconds = Number(sel.value); H.session.seconds = H.seconds; saveSession(H.session); } },
      [60, 90, 120, 180, 300, 600].map((v) => h('option', { value: String(v), selected: v === H.seconds }, t('host.seconds.option', { min: fmtClock(v * 1000) }))));
    return sel;
  };
  if (r.status === 'lobby') {
    box.appendChild(h('button', { type: 'button', class: 'btn btn-primary', id: 'host-start', 'data-testid': 'host-start', onclick: () => action('start', { seconds: H.seconds, pool: H.poolNext }) }, icon('play'), h('span', null, t('host.start'))));
    box.appendChild(poolToggle());
    box.appendChild(secondsSel());
  } else if (r.status === 'playing' && r.roundState === 'open') {
    box.appendChild(h('button', { type: 'button', class: 'btn btn-primary', id: 'host-close-round', 'data-testid': 'host-close-round', onclick: () => action('close_round') }, icon('stop'), h('span', null, t('host.close'))));
    box.appendChild(h('button', { type: 'button', class: 'btn', id: 'host-pause', 'data-testid': 'host-pause', onclick: () => action('pause') }, icon('pause'), h('span', null, t('host.pause'))));
  } else if (r.status === 'paused') {
    box.appendChild(h('button', { type: 'button', class: 'btn btn-primary', id: 'host-resume-round', 'data-testid': 'host-resume-round', onclick: () => action('resume') }, icon('play'), h('span', null, t('host.resumeRound'))));
    box.appendChild(h('button', { type: 'button', class: 'btn', id: 'host-close-round', 'data-testid': 'host-close-round', onclick: () => action('close_round') }, icon('stop'), h('span', null, t('host.close'))));
  } else if (r.status === 'playing' && r.roundState === 'closed' && r.round + 1 < r.rounds) {
    box.appendChild(h('button', { type: 'button', class: 'btn btn-primary', id: 'host-open-round', 'data-testid': 'host-open-round', onclick: () => action('open_round', { seconds: H.seconds, pool: H.poolNext }) }, icon('play'), h('span', null, t('host.open', { n: r.round + 2 }))));
    box.appendChild(poolToggle());
    box.appendChild(secondsSel());
  } else if (r.status === 'playing') {
    box.appendChild(h('p', null, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', t('host.closing')));
  }
  if (r.status !== 'finished') {
    if (!H.endConfirm) {
      box.appendChild(h('button', { type: 'button', class: 'btn btn-danger', id: 'host-end', 'data-testid': 'host-end', onclick: () => { H.endConfirm = true; render(); const c = $('host-end-confirm'); if (c) c.focus(); } }, icon('stop'), h('span', null, t('host.end'))));
    } else {
      box.appendChild(h('span', { class: 'warn-note' }, t('host.end.sure')));
      box.appendChild(h('button', { type: 'button', class: 'btn btn-danger btn-primary', id: 'host-end-confirm', 'data-testid': 'host-end-confirm', onclick: () => { H.endConfirm = false; action('end'); } }, t('host.end.yes')));
      box.appendChild(h('button', { type: 'button', class: 'btn btn-ghost', id: 'host-end-cancel', onclick: () => { H.endConfirm = false; render(); } }, t('host.end.no')));
    }
  }
  return box;
}

function liveCard() {
  const r = H.room;
  const open = r.roundState === 'open' || r.status === 'paused';
  return card({ title: open ? t('host.live.title', { n: r.round + 1 }) : t('host.between'), icon: 'clock', id: 'host-live', read: false },
    open ? h('p', { class: 'big-clock', id: 'host-countdown', 'data-testid': 'host-countdown', role: 'timer', 'aria-live': 'off' }, '') : null,
    h('p', { class: 'lead', id: 'host-decided', 'data-testid': 'host-decided' }, decidedText()),
    open && r.pool ? h('p', { class: 'notice notice-pool' }, iconText('pool', t('host.pool.now'))) : null);
}

function decidedText() {
  const r = H.room;
  const n = H.players.filter((p) => !p.kicked).length;
  if (r.roundState === 'open' || r.status === 'paused') {
    if (r.decided !== null && r.decided !== undefined && r.decided > 0) return t('host.decided', { n: r.decided, total: n });
    return t('host.deciding', { total: n });
  }
  const c = lastClosed();
  if (c) return t('host.decided.closed', { n: c.players - c.defaulted, total: c.players, d: c.defaulted });
  return '';
}

function renderLive() {
  const el = $('host-decided');
  if (el) el.textContent = decidedText();
}

function tick() {
  const r = H.room;
  const el = $('host-countdown');
  if (!el) return;
  let left = 0;
  if (r.status === 'paused') left = r.remaining;
  else if (r.deadline > 0) left = r.deadline - serverNow();
  el.textContent = r.status === 'paused' ? t('host.paused.clock', { time: fmtClock(left) }) : (r.deadline > 0 ? fmtClock(left) : '—');
  el.classList.toggle('urgent', r.status !== 'paused' && r.deadline > 0 && left < 15000);
}

function lastClosed() {
  const c = H.session && H.session.closed;
  if (!c) return null;
  const keys = Object.keys(c).map(Number).sort((a, b) => b - a);
  return keys.length ? c[keys[0]] : null;
}

function choiceBars(counts, keys, total, prefix, cls) {
  return h('ul', { class: 'bars' }, keys.map((k) => {
    const n = counts[k] || 0;
    return h('li', null, h('span', null, t(prefix + k)), bar(total ? n / total : 0, num(n) + ' · ' + pct(total ? n / total : 0), cls && cls[k]));
  }));
}

function roundResultsCard(ev) {
  const st = ev.stats || {};
  const total = ev.players || 0;
  return card({ title: t('host.results.title', { n: ev.round + 1 }), icon: 'chart', id: 'host-round-results', testid: 'host-round-results' },
    h('p', { class: 'muted', id: 'host-defaulted' }, t('host.decided.closed', { n: ev.players - ev.defaulted, total: ev.players, d: ev.defaulted })),
    h('div', { class: 'host-two' },
      h('section', { 'aria-labelledby': 'bars-pension' },
        h('h3', { id: 'bars-pension' }, iconText('coin', t('host.bars.pension'))),
        choiceBars(st.pension || {}, ['employee', 'residents', 'none'], total, 'host.pension.', { none: 'bad', residents: 'alt' })),
      h('section', { 'aria-labelledby': 'bars-medical' },
        h('h3', { id: 'bars-medical' }, iconText('medical', t('host.bars.medical'))),
        choiceBars(st.medical || {}, ['employee', 'residents', 'none'], total, 'host.medical.', { none: 'bad', residents: 'alt' }),
        h('h3', null, iconText('shield', t('host.bars.injury'))),
        h('ul', { class: 'bars' }, h('li', null, h('span', null, t('host.injury.covered')), bar(total ? st.injury_covered / total : 0, num(st.injury_covered || 0) + ' / ' + num(total), 'good'))))),
    h('div', { class: 'stat-grid', id: 'host-happened', 'data-testid': 'host-happened' },
      stat(t('host.stat.hit'), num(st.hit_by_bills || 0) + ' / ' + num(total)),
      stat(t('host.stat.catastrophic'), num(st.catastrophic || 0)),
      stat(t('host.stat.bills'), money(st.bills || 0)),
      stat(t('host.stat.median'), money(st.median_savings || 0))),
    leaderboard(ev.leaderboard || []));
}

function stat(label, value) {
  return h('div', { class: 'stat card' }, h('p', { class: 'big-number' }, value), h('p', null, label));
}

function leaderboard(rows) {
  if (!rows.length) return null;
  return h('section', { 'aria-labelledby': 'host-board-title' },
    h('h3', { id: 'host-board-title' }, iconText('star', t('board.title'))),
    h('ol', { class: 'board', id: 'host-leaderboard', 'data-testid': 'host-leaderboard' },
      rows.map((e) => h('li', null, h('span', { class: 'board-name' }, e.nickname), h('span', { class: 'board-score' }, num(e.score))))));
}

function poolCard(ev) {
  const p = ev.pool;
  const max = Math.max(p.worst_alone, p.contribution, p.worst_pooled, 1);
  return card({ title: t('host.pool.title', { n: ev.round + 1 }), icon: 'pool', id: 'host-pool-reveal', testid: 'host-pool-reveal' },
    h('p', { class: 'lead' }, t('host.pool.text', { n: p.members, hit: p.hit, total: money(p.total_losses) })),
    h('ul', { class: 'bars pool-compare' },
      h('li', null, h('span', null, t('host.pool.alone')), bar(p.worst_alone / max, money(p.worst_alone), 'bad')),
      h('li', null, h('span', null, t('host.pool.each')), bar(p.contribution / max, money(p.contribution), 'good')),
      h('li', null, h('span', null, t('host.pool.pooled')), bar(p.worst_pooled / max, money(p.worst_pooled), 'alt'))),
    h('p', null, t('host.pool.lesson')));
}

function podiumCard() {
  const go = H.session.gameOver || {};
  let top = go.podium;
  if (!top || !top.length) {
    const c = lastClosed();
    top = (c && c.leaderboard ? c.leaderboard.slice(0, 3) : null) || H.boardFallback || [];
  }
  const order = [1, 0, 2].filter((i) => top[i]);
  return card({ title: t('host.podium'), icon: 'star', id: 'host-podium', read: false },
    go.reason === 'host' ? h('p', { class: 'muted' }, t('host.ended.early')) : null,
    top.length ? h('ol', { class: 'podium', id: 'podium', 'data-testid': 'podium' }, order.map((i) => h('li', { class: 'p' + (i + 1) },
      h('p', { class: 'who' }, top[i].nickname),
      h('p', { class: 'pts' }, t('host.points', { n: num(top[i].score) })),
      h('div', { class: 'step', 'aria-label': t('host.place', { n: i + 1 }) }, String(i + 1))))) : h('p', { id: 'podium', 'data-testid': 'podium' }, t('host.nopodium')));
}

const PROMPTS = 5;

function debriefCard() {
  const go = H.session.gameOver || {};
  const st = go.stats || {};
  const sc = H.sc;
  const box = card({ title: t('host.debrief'), icon: 'book', id: 'debrief', testid: 'debrief', read: false });
  if (st.players) {
    box.appendChild(h('div', { class: 'stat-grid', id: 'debrief-stats' },
      stat(t('host.d.mean'), num(st.mean_score)),
      stat(t('host.d.pension'), num(st.with_monthly_pension) + ' / ' + num(st.players)),
      stat(t('host.d.catastrophic'), num(st.catastrophic)),
      stat(t('host.d.median'), money(st.median_pension))));
    const badges = Object.keys(st.badges || {}).sort((a, b) => st.badges[b] - st.badges[a]);
    if (badges.length) {
      box.appendChild(h('h3', null, iconText('star', t('host.d.badges'))));
      box.appendChild(h('ul', { class: 'bars' }, badges.map((b) => h('li', null, h('span', null, badgeTitle(b, isEn())), bar(st.badges[b] / st.players, num(st.badges[b]) + ' / ' + num(st.players), 'alt')))));
    }
  }
  // Cover over the rounds
  const closed = H.session.closed || {};
  const rounds = Object.keys(closed).map(Number).sort((a, b) => a - b);
  if (rounds.length) {
    box.appendChild(h('h3', null, iconText('chart', t('host.d.cover'))));
    box.appendChild(h('ul', { class: 'bars', id: 'debrief-cover' }, rounds.map((r) => {
      const ev = closed[r];
      const n = ev.players || 0;
      const none = (ev.stats && ev.stats.pension && ev.stats.pension.none) || 0;
      return h('li', null, h('span', null, t('host.d.round', { n: r + 1 })), bar(n ? (n - none) / n : 0, t('host.d.insured', { share: pct(n ? (n - none) / n : 0) })));
    })));
  }
  // Quiz before and after
  const quiz = h('section', { id: 'debrief-quiz', 'data-testid': 'debrief-quiz', 'aria-labelledby': 'debrief-quiz-title' },
    h('h3', { id: 'debrief-quiz-title' }, iconText('question', t('host.d.quiz'))));
  if (H.report && H.report.length) {
    const ids = H.room.quizIds && H.room.quizIds.length ? H.room.quizIds : H.report.map((q) => q.question_id);
    for (const id of ids) {
      const rep = H.report.find((q) => q.question_id === id) || { pre_count: 0, post_count: 0, pre_share_correct: null, post_share_correct: null };
      const q = sc && sc.quiz.find((x) => x.id === id);
      quiz.appendChild(h('div', { class: 'card' },
        h('p', { class: 'explain' }, q ? tx(q.question) : id),
        q ? h('p', { class: 'muted' }, t('host.d.answer', { answer: tx(q.options[q.answer]) })) : null,
        h('ul', { class: 'bars' },
          h('li', null, h('span', null, t('host.d.before', { n: rep.pre_count })), bar(rep.pre_share_correct || 0, rep.pre_share_correct === null ? '—' : pct(rep.pre_share_correct), 'alt')),
          h('li', null, h('span', null, t('host.d.after', { n: rep.post_count })), bar(rep.post_share_correct || 0, rep.post_share_correct === null ? '—' : pct(rep.post_share_correct), 'good')))));
    }
  } else {
    quiz.appendChild(h('p', { class: 'muted' }, H.reportError || t('host.d.quiz.wait')));
  }
  quiz.appendChild(h('button', { type: 'button', class: 'btn btn-small', id: 'debrief-refresh', 'data-testid': 'debrief-refresh', onclick: fetchReport }, t('host.d.refresh')));
  box.appendChild(quiz);
  // Discussion prompts in both languages
  const other = getLang() === 'en' ? 'zh-CN' : 'en';
  const prompts = [];
  for (let i = 1; i <= PROMPTS; i++) {
    prompts.push(h('li', null, t('host.prompt.' + i), h('span', { class: 'other', lang: other }, tIn(other, 'host.prompt.' + i))));
  }
  box.appendChild(h('h3', null, iconText('people', t('host.d.prompts'))));
  box.appendChild(h('ol', { class: 'prompts', id: 'debrief-prompts' }, prompts));
  // Exports
  box.appendChild(h('h3', null, iconText('download', t('host.export'))));
  box.appendChild(h('div', { class: 'controls', id: 'host-export' },
    h('button', { type: 'button', class: 'btn', id: 'host-export-csv', 'data-testid': 'host-export-csv', onclick: () => download('csv') }, icon('download'), h('span', null, t('host.export.csv'))),
    h('button', { type: 'button', class: 'btn', id: 'host-export-json', 'data-testid': 'host-export-json', onclick: () => download('json') }, icon('download'), h('span', null, t('host.export.json')))));
  box.appendChild(h('p', { class: 'hint' }, t('host.export.note')));
  box.appendChild(h('p', null, h('a', { href: 'host.html', id: 'host-new', onclick: () => rememberLast('host', null) }, t('host.new'))));
  return box;
}

function authHeaders() {
  return { Authorization: 'Bearer ' + H.session.token };
}

async function fetchReport() {
  if (!H.session) return;
  try {
    const r = await fetch('/api/rooms/' + H.session.code + '/report', { headers: authHeaders() });
    if (!r.ok) throw new Error(String(r.status));
    H.report = await r.json();
    H.reportError = '';
  } catch (e) {
    H.reportError = t('host.d.quiz.error');
  }
  if (H.view === 'room' && H.room.status === 'finished') render();
}

let reportTimers = [];
function afterGameOver() {
  reportTimers.forEach(clearTimeout);
  fetchReport();
  // Post-game answers come in over the next minute or two: look again a few times.
  reportTimers = [20000, 60000, 120000].map((ms) => setTimeout(fetchReport, ms));
  const go = H.session.gameOver;
  if ((!go || !go.podium) && !lastClosed()) {
    setTimeout(async () => {
      try {
        const r = await fetch('/api/rooms/' + H.session.code + '/leaderboard');
        if (r.ok) { H.boardFallback = (await r.json()).slice(0, 3); render(); }
      } catch (e) { /* */ }
    }, 1500);
  }
}

async function download(kind) {
  try {
    const r = await fetch('/api/rooms/' + H.session.code + '/export.' + kind, { headers: authHeaders() });
    if (!r.ok) throw new Error(String(r.status));
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: 'gig-life-' + H.session.code + '.' + kind });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    announce(t('host.export.done'));
  } catch (e) {
    toast(t('host.export.error'), 'error');
  }
}

init();
