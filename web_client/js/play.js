// The player page (phone), the shell: the socket's messages and the taps go to one reducer
// (state.js) as actions; the new state is drawn by the view of its screen (screen-*.js), and
// what the reducer asks to happen outside (`fx`: send, announce, open a socket, save) is done
// here. No screen logic lives in this file.
import { t, initLang, onLangChange, labelToggle } from './i18n.js';
import { $, announce, toast, serverNow, refreshReadButtons } from './ui.js';
import { GameSocket, loadSession, saveSession, dropSession, rememberLast } from './net.js';
import * as SC from './scenario.js';
import { initialState, reduce, cacheOf } from './state.js';
import { errorText } from './screen-text.js';
import { paint } from './countdown.js';
import * as Strip from './strip.js';
import * as Start from './screen-start.js';
import * as Lobby from './screen-lobby.js';
import * as Round from './screen-round.js';
import * as Result from './screen-result.js';
import * as End from './screen-end.js';
import * as Message from './screen-message.js';

const SCREENS = { start: Start, lobby: Lobby, round: Round, result: Result, end: End, message: Message };
const IN_LIFE = ['round', 'result'];

let state = initialState();
let socket = null;
let session = null; // the stored session (token, seq, outbox: net.js keeps those up to date)
const drawn = { view: null, deps: null, part: null, strip: null };
const act = { dispatch: dispatch, resume: resume };

/** One action: the new state, its effects, the session saved, the screen drawn. */
function dispatch(action) {
  const prev = state;
  state = reduce(state, action);
  const focus = run(state.fx);
  persist();
  draw(prev, false);
  if (focus) { const el = $(focus); if (el) el.focus(); }
}

/** The actions of a server message carry the stage's digest (worked out here, not in the
 * reducer: it needs the national rules). */
function onMessage(m) {
  const stage = m.stage || m.last_stage;
  dispatch({ type: 'msg', m: m, digest: stage ? SC.stageDigest(stage) : null });
}

function onStatus(status) {
  const box = $('reconnecting');
  if (box) box.hidden = status !== 'reconnecting';
  dispatch({ type: 'net', status: status });
}

function newSocket(s) {
  if (socket) socket.stop();
  const resumeFirst = !!(s && s.cache && s.cache.status);
  socket = new GameSocket({ session: s, onMessage: onMessage, onStatus: onStatus, resumeFirst: resumeFirst });
  socket.start();
}

function resume(saved) {
  session = saved;
  newSocket(saved);
  dispatch({ type: 'resume', session: saved });
}

/** The effects the reducer listed; returns the id of an element to focus, if any. */
function run(effects) {
  let focus = null;
  for (const e of effects) {
    switch (e.kind) {
      case 'send': if (socket) socket.send(e.msg); break;
      case 'announce': announce(t(e.key, e.vars)); break;
      case 'toast': toast(e.key ? t(e.key) : errorText(e.error), e.level); break;
      case 'connect':
        try { localStorage.setItem('gl.nick', e.nick); } catch (err) { /* */ }
        session = null;
        newSocket(null);
        socket.send(e.first);
        break;
      case 'stop': if (socket) socket.stop(); break;
      case 'drop': dropSession(e.code); session = null; break;
      case 'remember': rememberLast('player', e.code); break;
      case 'begin': begin(); break;
      case 'scenario':
        SC.getScenario(e.id).then((sc) => dispatch({ type: 'scenario', sc: sc }), () => dispatch({ type: 'scenario_failed' }));
        break;
      case 'focus': focus = e.id; break;
      default: break;
    }
  }
  return focus;
}

/** In a room now (room_created, joined): the stored session, the socket's resume, the URL. */
function begin() {
  const me = state.me;
  session = {
    code: me.code, token: me.token, role: 'player', player_id: me.player_id, nickname: me.nickname,
    scenario_id: me.scenario_id, mode: me.mode, seq: 0, outbox: {},
  };
  saveSession(session);
  rememberLast('player', me.code);
  socket.adopt(session);
  try { history.replaceState(null, '', 'play.html?room=' + me.code); } catch (e) { /* */ }
}

/** The state's life and screen kept in the stored session (beside net.js's seq and outbox). */
function persist() {
  const me = state.me;
  if (!session || !me || session.code !== me.code) return;
  Object.assign(session, {
    scenario_id: me.scenario_id, mode: me.mode, nickname: me.nickname, player_id: me.player_id,
    history: state.life.history, quiz: state.life.quiz, quizPending: state.life.quizPending,
    introDone: state.life.introDone, seenRound: state.life.seenRound,
  });
  if (state.status) session.cache = cacheOf(state);
  saveSession(session);
}

function same(a, b) {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Draw what changed: the screen on show (all of it when its inputs changed, else its parts
 * that change in place), the strip, the clock. `force` after a language switch. */
function draw(prev, force) {
  const view = state.view;
  const screen = SCREENS[view];
  const root = $('screen-' + view);
  const changed = drawn.view !== view;
  if (changed) {
    document.body.classList.toggle('in-life', IN_LIFE.indexOf(view) >= 0);
    labelToggle();
    for (const v of Object.keys(SCREENS)) { const el = $('screen-' + v); if (el) el.hidden = v !== view; }
  }
  const deps = screen.deps(state);
  const part = screen.partDeps ? screen.partDeps(state) : null;
  if (force || changed || !same(deps, drawn.deps)) {
    screen.render(root, state, act, changed ? null : prev);
    if (screen.update) screen.update(root, state, act);
    refreshReadButtons();
  } else if (screen.update && !same(part, drawn.part)) {
    screen.update(root, state, act);
  }
  Object.assign(drawn, { view: view, deps: deps, part: part });
  const stripDeps = Strip.deps(state);
  if (force || !same(stripDeps, drawn.strip)) { Strip.render($('statusbar'), state); drawn.strip = stripDeps; }
  paint(state.room, serverNow());
  if (changed) {
    window.scrollTo(0, 0);
    const head = document.querySelector('#screen-' + view + ' h2, #screen-' + view + ' h1');
    if (head && view !== 'start') { head.setAttribute('tabindex', '-1'); head.focus({ preventScroll: true }); }
  }
}

async function init() {
  await initLang();
  setInterval(() => paint(state.room, serverNow()), 1000);
  onLangChange(() => draw(state, true));
  const p = new URLSearchParams(location.search);
  const code = (p.get('room') || '').trim();
  const linked = /^\d{6}$/.test(code);
  if (linked) {
    const saved = loadSession(code);
    if (saved && saved.role === 'player' && saved.token) { resume(saved); return; }
  }
  // The QR link or the home page's code: only the nickname is left to give.
  state = reduce(state, { type: 'boot', code: linked ? code : '', solo: p.has('solo') });
  // Draw the start screen once, with its scenario list (a list arriving after the first paint
  // pushed the forms down). A slow network waits at most 3 seconds, then the list comes later.
  const list = SC.listScenarios();
  const first = await Promise.race([list.catch(() => false), new Promise((resolve) => setTimeout(() => resolve(null), 3000))]);
  dispatch({ type: 'scenarios', list: first });
  if (first === null) list.then((l) => dispatch({ type: 'scenarios', list: l }), () => dispatch({ type: 'scenarios', list: false }));
}

init();
