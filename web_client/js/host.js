// The host page (the big screen): create a workshop room, then one screen per step of the game,
// read from the back of the room — lobby (huge code and QR) → round (timer, live choice bars,
// who is still choosing) → what hit the room (and the pool in a pool round) → leaderboard →
// next round; at the end the podium, talking points, the quiz before/after, where to enrol for
// real, and a printable one-page summary. The screens are drawn by host-screens.js and
// host-debrief.js; this module holds the state, the socket and the flow between the steps.
import { t, tx, initLang, loadCatalog, onLangChange } from './i18n.js';
import { h, $, clear, icon, announce, toast, msgId, serverNow, fmtClock, refreshReadButtons } from './ui.js';
import { GameSocket, loadSession, saveSession, dropSession, rememberLast, lastCode } from './net.js';
import * as SC from './scenario.js';
import { qrImageUrl } from './qr.js';
import { lobbyScreen, roundScreen, revealScreen, poolScreen, boardScreen, joinStrip, playersPanel, activePlayers } from './host-screens.js';
import { podiumScreen, talkScreen, quizScreen, realScreen, printSummary } from './host-debrief.js';

const H = {
  view: 'setup',
  step: null,
  session: null,
  socket: null,
  sc: null,
  scenarios: null,
  room: { status: null, round: 0, roundState: 'none', deadline: 0, remaining: 0, pool: false, rounds: 0, decided: null, playerCount: 0, quizIds: [] },
  players: [],
  choices: {},
  poolNext: false,
  seconds: 120,
  scenarioId: null,
  error: '',
  needPasscode: false,
  creating: false,
  endConfirm: false,
  warning: null, // 'server/busy' or 'server/unavailable' while the server refuses or fails writes
  panelOpen: false,
  report: null,
  reportError: '',
  qrUrl: null,
  join: null,
  boardFallback: null,
};

const AFTER_ROUND = ['pool', 'reveal', 'board'];
const AFTER_GAME = ['podium', 'talk', 'quiz', 'real'];

async function init() {
  // Both catalogs: the talking points show the other language under each point.
  await Promise.all([initLang(), loadCatalog('zh-CN'), loadCatalog('en')]);
  onLangChange(() => render());
  setInterval(tick, 500);
  setInterval(pollRoster, 5000);
  setInterval(pollReport, 5000);
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
    case 'snapshot': clearWarning(); onSnapshot(m); break;
    case 'event': clearWarning(); onEvent(m.event); break;
    case 'ack': clearWarning(); break;
    case 'error': onError(m); break;
    default: break;
  }
}

function rosterRow(p) {
  return { id: p.player_id, nickname: p.nickname, kicked: !!p.kicked, connected: p.connected !== false, decided: !!p.decided };
}

function takeChoices(rows) {
  H.choices = {};
  for (const p of rows) if (p.decided && p.pension) H.choices[p.player_id] = { pension: p.pension, medical: p.medical };
}

async function onSnapshot(m) {
  const s = H.session;
  Object.assign(H.room, {
    status: m.room_status, round: m.round, roundState: m.round_state, deadline: m.deadline,
    remaining: m.remaining, pool: m.pool, rounds: m.rounds, decided: m.decided,
    playerCount: m.player_count, quizIds: m.quiz_ids || [],
  });
  H.players = (m.players || []).map(rosterRow);
  takeChoices(m.players || []);
  s.scenario_id = m.scenario_id;
  saveSession(s);
  try {
    H.sc = await SC.getScenario(m.scenario_id);
  } catch (e) { /* shown without titles */ }
  if (!H.qrUrl) {
    qrImageUrl('/api/rooms/' + s.code + '/qr.svg').then((u) => {
      H.qrUrl = u;
      document.querySelectorAll('img.host-qr').forEach((img) => { img.src = u; });
    }).catch(() => {});
  }
  if (!H.join) fetchJoin();
  H.view = 'room';
  pollRoster();
  if (!H.step) H.step = H.room.status === 'finished' ? 'podium' : (lastClosed() ? firstAfterRound(lastClosed()) : null);
  if (H.room.status === 'finished') afterGameOver();
  render();
}

async function fetchJoin() {
  try {
    const r = await fetch('/api/rooms/' + H.session.code);
    if (!r.ok) return;
    const info = await r.json();
    H.join = { url: info.join_url, problem: info.join_problem || null, source: info.join_source };
    render();
  } catch (e) { /* the page's own address stays */ }
}

function onEvent(ev) {
  const r = H.room;
  const s = H.session;
  switch (ev.kind) {
    case 'player_joined':
      if (!H.players.some((p) => p.id === ev.player_id)) H.players.push({ id: ev.player_id, nickname: ev.nickname, kicked: false, connected: true, decided: false });
      r.playerCount = activePlayers(H).length;
      announce(t('host.ev.joined', { name: ev.nickname }));
      renderLight();
      return;
    case 'player_kicked': {
      const p = H.players.find((x) => x.id === ev.player_id);
      if (p) p.kicked = true;
      delete H.choices[ev.player_id];
      r.playerCount = activePlayers(H).length;
      renderLight();
      return;
    }
    case 'game_started': r.status = 'playing'; break;
    case 'round_opened':
      r.status = 'playing'; r.round = ev.round; r.roundState = 'open'; r.deadline = ev.deadline;
      r.remaining = 0; r.pool = !!ev.pool; r.rounds = ev.rounds || r.rounds; r.decided = 0;
      H.poolNext = false;
      H.choices = {};
      H.players.forEach((p) => { p.decided = false; });
      H.step = null;
      announce(t('host.ev.opened', { n: ev.round + 1 }));
      break;
    case 'decided': // passing, unnumbered: who decided, with which cover
      if (ev.round !== r.round) return;
      r.decided = ev.decided;
      if (ev.player_id) {
        H.choices[ev.player_id] = { pension: ev.pension, medical: ev.medical };
        const p = H.players.find((x) => x.id === ev.player_id);
        if (p) p.decided = true;
      }
      renderLight();
      return;
    case 'paused': r.status = 'paused'; r.remaining = ev.remaining; r.deadline = 0; break;
    case 'resumed': r.status = 'playing'; r.deadline = ev.deadline; r.remaining = 0; break;
    case 'round_closed':
      r.roundState = 'closed';
      s.closed = s.closed || {};
      s.closed[ev.round] = ev;
      saveSession(s);
      H.step = firstAfterRound(ev);
      announce(t('host.ev.closed', { n: ev.round + 1 }));
      break;
    case 'game_over':
      r.status = 'finished';
      s.gameOver = ev;
      saveSession(s);
      H.step = 'podium';
      announce(t('host.ev.over'));
      afterGameOver();
      break;
    default:
      return;
  }
  H.endConfirm = false;
  render();
}

function firstAfterRound(ev) { return ev && ev.pool ? 'pool' : 'reveal'; }

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
  if (m.code === 'auth/bad_token' || m.code === 'room/gone'
      || (m.code === 'room/not_found' && H.session)) {
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
  if (m.code === 'server/busy' || m.code === 'server/unavailable') {
    // The server's storage refuses or fails writes: a banner that stays until it writes again
    // (an ack or an event), not a toast that the trainer may miss while facing the room.
    if (H.warning !== m.code) announce(t('host.warn.' + m.code));
    H.warning = m.code;
    render();
    return;
  }
  const key = 'err.' + m.code;
  toast(t(key) === key ? (m.message || m.code) : t(key), 'error');
}

function clearWarning() {
  if (!H.warning) return;
  H.warning = null;
  renderLight();
}

function warningBanner() {
  if (!H.warning) return null;
  return h('div', { class: 'host-warning', id: 'host-warning', role: 'alert', 'data-testid': 'host-warning', 'data-code': H.warning },
    h('strong', null, t('host.warn.title')), ' ', h('span', null, t('host.warn.' + H.warning)));
}

// --- The roster and the quiz report, polled ---------------------------------------------------

function authHeaders() {
  return { Authorization: 'Bearer ' + H.session.token };
}

async function pollRoster() {
  if (H.view !== 'room' || !H.session || H.room.status === 'finished') return;
  // Who is connected is not an event: read it every few seconds (big rooms less often).
  if (H.players.length > 300 && !H.panelOpen && (Date.now() / 5000 | 0) % 3) return;
  try {
    const r = await fetch('/api/rooms/' + H.session.code + '/players', { headers: authHeaders() });
    if (!r.ok) return;
    const rows = await r.json();
    H.players = rows.map(rosterRow);
    if (H.room.roundState === 'open' || H.room.status === 'paused') takeChoices(rows);
    renderLight();
  } catch (e) { /* next time */ }
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
  if (H.view === 'room' && H.room.status === 'finished') renderDebriefData();
}

function pollReport() {
  // Live: the after-game answers come in over the debrief; no refresh button to press.
  if (H.view === 'room' && H.room.status === 'finished' && (H.step === 'quiz' || H.step === 'talk')) fetchReport();
}

function afterGameOver() {
  fetchReport();
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

// --- Rendering ---------------------------------------------------------------------------

function lastClosed() {
  const c = H.session && H.session.closed;
  if (!c) return null;
  const keys = Object.keys(c).map(Number).sort((a, b) => b - a);
  return keys.length ? c[keys[0]] : null;
}

function joinUrl() {
  if (H.join && H.join.url) return H.join.url;
  return H.session.joinUrl || location.origin + '/?room=' + H.session.code;
}

/** What the screens need, read-only: the state and the page's actions. */
function ctx() {
  return {
    H, lastClosed: lastClosed(), joinUrl: joinUrl(), qrSrc: H.qrUrl || ('/api/rooms/' + H.session.code + '/qr.svg'),
    action, kick: (id) => action('kick', { player_id: id }), download,
    go: (step) => { H.step = step; render(); const f = $('stage-title'); if (f) f.focus(); },
  };
}

function render() {
  const root = clear($('host'));
  document.documentElement.classList.toggle('host-stage-on', H.view === 'room');
  if (H.view === 'setup') renderSetup(root);
  else if (H.view === 'connecting') root.appendChild(h('p', { class: 'lead' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', t('net.connecting')));
  else renderRoom(root);
  refreshReadButtons();
  tick();
}

/** A change that does not move the step: redraw the room in place (counts, lists, bars). */
let lightTimer = null;
function renderLight() {
  // Joins and decisions come in bursts (hundreds in a second in a big room): one redraw per burst.
  if (H.view !== 'room' || lightTimer) return;
  lightTimer = setTimeout(() => {
    lightTimer = null;
    if (H.view !== 'room') return;
    const focused = document.activeElement && document.activeElement.id;
    render();
    if (focused) { const f = $(focused); if (f) f.focus(); }
  }, 250);
}

function renderDebriefData() {
  if (H.step === 'quiz' || H.step === 'talk' || H.step === 'real') renderLight();
}

function currentStep() {
  const r = H.room;
  if (r.status === 'finished') return AFTER_GAME.indexOf(H.step) >= 0 ? H.step : 'podium';
  if (r.status === 'lobby') return 'lobby';
  if (r.roundState === 'open' || r.roundState === 'closing' || r.status === 'paused') return 'round';
  const c = lastClosed();
  if (!c) return 'round';
  if (H.step === 'pool' && !c.pool) return 'reveal';
  return AFTER_ROUND.indexOf(H.step) >= 0 ? H.step : firstAfterRound(c);
}

function renderRoom(root) {
  const c = ctx();
  const step = currentStep();
  const stage = h('div', { class: 'stage stage-' + step, id: 'stage', 'data-step': step, 'data-testid': 'stage' });
  let screen;
  switch (step) {
    case 'lobby': screen = lobbyScreen(c); break;
    case 'round': screen = roundScreen(c); break;
    case 'pool': screen = poolScreen(c, c.lastClosed); break;
    case 'reveal': screen = revealScreen(c, c.lastClosed); break;
    case 'board': screen = boardScreen(c, c.lastClosed); break;
    case 'podium': screen = podiumScreen(c); break;
    case 'talk': screen = talkScreen(c); break;
    case 'quiz': screen = quizScreen(c); break;
    default: screen = realScreen(c); break;
  }
  const head = h('header', { class: 'stage-head' },
    h('div', { class: 'stage-titles' },
      h('p', { class: 'stage-kicker', id: 'host-status', 'data-testid': 'host-status' }, statusText()),
      h('h1', { class: 'stage-title', id: 'stage-title', tabindex: '-1' }, screen.title)),
    step === 'lobby' ? null : joinStrip(c));
  const warning = warningBanner();
  if (warning) stage.appendChild(warning);
  stage.appendChild(head);
  stage.appendChild(h('section', { class: 'stage-body', 'aria-labelledby': 'stage-title' }, screen.body));
  stage.appendChild(h('footer', { class: 'stage-foot' }, controls(step, screen)));
  root.appendChild(stage);
  root.appendChild(playersPanel(c, () => { H.panelOpen = false; render(); const b = $('host-players-btn'); if (b) b.focus(); }));
  // Outside #host: the print stylesheet hides the stage and prints only this.
  const print = clear($('host-print-area'));
  if (H.room.status === 'finished') print.appendChild(printSummary(c));
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

function controls(step, screen) {
  const r = H.room;
  const box = h('div', { class: 'controls', id: 'host-controls', 'data-testid': 'host-controls' });
  const poolToggle = () => {
    const input = h('input', { type: 'checkbox', id: 'host-pool', 'data-testid': 'host-pool', checked: H.poolNext, onchange: () => { H.poolNext = input.checked; } });
    return h('label', { class: 'switch', for: 'host-pool', title: t('host.pool.toggle') }, input, icon('pool'), h('span', null, t('host.pool.toggle.short')));
  };
  const secondsSel = () => {
    const sel = h('select', { id: 'host-round-seconds', 'data-testid': 'host-round-seconds', 'aria-label': t('host.seconds'), onchange: () => { H.seconds = Number(sel.value); H.session.seconds = H.seconds; saveSession(H.session); } },
      [60, 90, 120, 180, 300, 600].map((v) => h('option', { value: String(v), selected: v === H.seconds }, t('host.seconds.option', { min: fmtClock(v * 1000) }))));
    return sel;
  };
  const btn = (id, cls, ic, label, onclick) => h('button', { type: 'button', class: 'btn ' + cls, id: id, 'data-testid': id, onclick: onclick }, ic ? icon(ic) : null, h('span', null, label));
  const openNext = (primary) => btn('host-open-round', primary ? 'btn-primary' : '', 'play', t('host.open', { n: r.round + 2 }), () => action('open_round', { seconds: H.seconds, pool: H.poolNext }));
  if (screen.next) box.appendChild(btn('host-next', 'btn-primary', 'arrow', screen.next.label, () => ctx().go(screen.next.step)));
  if (step === 'lobby') {
    box.appendChild(btn('host-start', 'btn-primary', 'play', t('host.start'), () => action('start', { seconds: H.seconds, pool: H.poolNext })));
    box.appendChild(poolToggle());
    box.appendChild(secondsSel());
  } else if (step === 'round' && r.status === 'paused') {
    box.appendChild(btn('host-resume-round', 'btn-primary', 'play', t('host.resumeRound'), () => action('resume')));
    box.appendChild(btn('host-close-round', '', 'stop', t('host.close'), () => action('close_round')));
  } else if (step === 'round' && r.roundState === 'open') {
    box.appendChild(btn('host-close-round', 'btn-primary', 'stop', t('host.close'), () => action('close_round')));
    box.appendChild(btn('host-pause', '', 'pause', t('host.pause'), () => action('pause')));
  } else if (step === 'round') {
    box.appendChild(h('p', { class: 'closing-note' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', t('host.closing')));
  } else if (r.status === 'playing' && r.roundState === 'closed' && r.round + 1 < r.rounds) {
    box.appendChild(openNext(!screen.next));
    box.appendChild(poolToggle());
    box.appendChild(secondsSel());
  }
  if (screen.back) box.appendChild(btn('host-back', 'btn-ghost', null, screen.back.label, () => ctx().go(screen.back.step)));
  if (r.status !== 'finished') {
    box.appendChild(h('button', {
      type: 'button', class: 'btn btn-ghost', id: 'host-players-btn', 'data-testid': 'host-players-btn', 'aria-expanded': H.panelOpen ? 'true' : 'false', 'aria-controls': 'host-players-panel',
      onclick: () => { H.panelOpen = !H.panelOpen; render(); const p = $('host-players-close'); if (H.panelOpen && p) p.focus(); },
    }, icon('people'), h('span', null, t('host.players', { n: activePlayers(H).length }))));
    if (!H.endConfirm) {
      box.appendChild(btn('host-end', 'btn-danger', 'stop', t('host.end'), () => { H.endConfirm = true; render(); const c = $('host-end-confirm'); if (c) c.focus(); }));
    } else {
      box.appendChild(h('span', { class: 'warn-note' }, t('host.end.sure')));
      box.appendChild(btn('host-end-confirm', 'btn-danger btn-primary', null, t('host.end.yes'), () => { H.endConfirm = false; action('end'); }));
      box.appendChild(btn('host-end-cancel', 'btn-ghost', null, t('host.end.no'), () => { H.endConfirm = false; render(); }));
    }
  }
  return box;
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

// --- Setup -----------------------------------------------------------------------------------

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

init();
