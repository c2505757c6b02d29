// The player page (phone): join or play alone, the lobby quiz, each round's situation and
// decisions, what happened, and the end of the life.
import { t, tx, txOther, initLang, onLangChange, isEn, labelToggle } from './i18n.js';
import { money, yrs, num } from './format.js';
import {
  h, $, clear, icon, iconText, card, radios, announce, toast, msgId, serverNow, fmtClock, bar,
  refreshReadButtons,
} from './ui.js';
import { GameSocket, loadSession, saveSession, dropSession, rememberLast, lastCode } from './net.js';
import * as SC from './scenario.js';
import { timeline } from './chart.js';
import { BADGE_TEXT, badgeTitle } from './badges.js';
import { renderDecisions, stepsFor, keptLines, EXPLICIT } from './decision-cards.js';
import { eventList, stageSummary, outcomeText as outcomeOf } from './stage-result.js';
import { scoreCard, counterfactualCard, doItForReal } from './end-view.js';
import { sourceIn } from './sources.js';

const NICKS_ZH = ['向日葵', '小蜜蜂', '蒲公英', '小松鼠', '山茶花', '小海豚', '银杏叶', '小骆驼'];
const NICKS_EN = ['Sunflower', 'Bee', 'Dandelion', 'Squirrel', 'Camellia', 'Dolphin', 'Ginkgo', 'Camel'];

const S = {
  view: 'start',
  startMode: 'join',
  prefillCode: '',
  sc: null,
  scenarios: null,
  session: null,
  socket: null,
  room: { status: null, round: 0, roundState: 'none', deadline: 0, remaining: 0, pool: false, rounds: 0, playerCount: 0, mode: 'workshop', quizIds: [] },
  status: null,
  lastStage: null,
  lastClosed: null,
  lifeOver: null,
  draft: null,
  draftRound: -1,
  sentRound: null,
  ack: null,
  decideError: '',
  joining: false,
  formError: '',
  soloScenario: null,
  message: null,
  shareUrl: null,
};

// --- Start -------------------------------------------------------------------------------

async function init() {
  await initLang();
  setInterval(tick, 1000);
  onLangChange(() => { renderView(); renderStrip(); });
  const p = new URLSearchParams(location.search);
  const code = (p.get('room') || '').trim();
  if (/^\d{6}$/.test(code)) {
    const saved = loadSession(code);
    if (saved && saved.role === 'player' && saved.token) { resume(saved); return; }
    S.prefillCode = code;
    S.fromLink = true; // the QR link or the home page's code: only the nickname is left to give
  }
  if (p.has('solo')) S.startMode = 'solo';
  // Draw the start screen once, with its scenario list: a list arriving after the first paint
  // pushed the forms down (layout shift). A slow network waits at most 3 seconds.
  try {
    S.scenarios = await Promise.race([SC.listScenarios(), new Promise((resolve) => setTimeout(() => resolve(null), 3000))]);
  } catch (e) { S.scenarios = null; }
  go('start');
}

function defaultNickname() {
  try {
    const saved = localStorage.getItem('gl.nick');
    if (saved) return saved;
  } catch (e) { /* */ }
  const i = Math.floor(Math.random() * NICKS_ZH.length);
  return (isEn() ? NICKS_EN[i] : NICKS_ZH[i]) + (10 + Math.floor(Math.random() * 90));
}

function rememberNick(n) {
  try { localStorage.setItem('gl.nick', n); } catch (e) { /* */ }
}

function newSocket(session) {
  const resumeFirst = !!(session && session.cache && session.cache.status);
  const sock = new GameSocket({ session: session, onMessage: onMessage, onStatus: onStatus, resumeFirst: resumeFirst });
  S.socket = sock;
  sock.start();
  return sock;
}

function resume(session) {
  S.session = session;
  const c = session.cache;
  newSocket(session);
  if (c && c.status && session.scenario_id) {
    // Draw the saved screen at once; the socket brings it up to date (resumed events or a
    // fresh snapshot).
    Object.assign(S.room, c.room || {});
    S.status = c.status;
    S.lastStage = c.lastStage || null;
    S.lastClosed = c.lastClosed || null;
    S.lifeOver = c.lifeOver || null;
    S.draft = c.draft || null;
    S.draftRound = c.draftRound === undefined ? -1 : c.draftRound;
    S.sentRound = c.sentRound === undefined ? null : c.sentRound;
    S.ack = c.ack || null;
    S.step = c.step || 0;
    S.editing = !!c.editing;
    S.message = { title: t('net.connecting'), text: '' };
    go('message');
    ensureScenario(session.scenario_id).then(() => { if (S.view === 'message') chooseView(); }).catch(() => {});
  } else {
    S.message = { title: t('net.connecting'), text: '' };
    go('message');
    if (session.scenario_id) SC.getScenario(session.scenario_id).then((sc) => { S.sc = sc; }).catch(() => {});
  }
}

/** Keep what the screen shows in the session, so a refresh can draw it before reconnecting. */
function saveCache() {
  const s = S.session;
  if (!s || !S.status) return;
  s.cache = {
    room: S.room, status: S.status, lastStage: S.lastStage, lastClosed: S.lastClosed, lifeOver: S.lifeOver,
    draft: S.draft, draftRound: S.draftRound, sentRound: S.sentRound, ack: S.ack, step: S.step, editing: S.editing,
  };
  saveSession(s);
}

function startJoin(code, nickname) {
  S.formError = '';
  S.joining = true;
  rememberNick(nickname);
  if (S.socket) S.socket.stop();
  const sock = newSocket(null);
  sock.send({ type: 'join', client_msg_id: msgId('j'), code: code, nickname: nickname });
  renderStart();
}

function startSolo(scenarioId, nickname) {
  S.formError = '';
  S.joining = true;
  S.soloScenario = scenarioId;
  rememberNick(nickname);
  if (S.socket) S.socket.stop();
  const sock = newSocket(null);
  sock.send({ type: 'create_room', client_msg_id: msgId('c'), scenario_id: scenarioId, mode: 'solo', nickname: nickname });
  renderStart();
}

function beginSession(m, mode) {
  const s = {
    code: m.code, token: m.player_token, role: 'player', player_id: m.player_id, nickname: m.nickname,
    scenario_id: m.scenario_id || null, mode: mode, seq: 0, outbox: {}, history: [],
    quiz: { pre: {}, post: {} }, introDone: false, seenRound: -1,
  };
  saveSession(s);
  rememberLast('player', s.code);
  S.session = s;
  S.socket.adopt(s);
  S.joining = false;
  try { history.replaceState(null, '', 'play.html?room=' + s.code); } catch (e) { /* */ }
}

// --- Messages ----------------------------------------------------------------------------

function onStatus(status) {
  const box = $('reconnecting');
  if (box) box.hidden = status !== 'reconnecting';
  if (status === 'reconnecting') announce(t('net.reconnecting'));
  if (S.joining && status === 'reconnecting') {
    S.joining = false;
    S.socket.stop();
    S.formError = t('err.connection');
    renderStart();
  }
  if (status === 'open' && S.wasDown) announce(t('net.back'));
  if (S.view === 'round') updateWaiting();
  S.wasDown = status === 'reconnecting';
}

function onMessage(m) {
  handle(m);
  if (S.session && m.type !== 'snapshot') saveCache();
}

function handle(m) {
  switch (m.type) {
    case 'room_created': beginSession(m, 'solo'); break;
    case 'joined': beginSession(m, 'workshop'); break;
    case 'snapshot': onSnapshot(m); break;
    case 'event': onEvent(m.event); break;
    case 'round_result': onRoundResult(m); break;
    case 'life_over': onLifeOver(m); break;
    case 'ack': onAck(m); break;
    case 'error': onError(m); break;
    default: break;
  }
}

async function ensureScenario(id) {
  if (S.sc && S.sc.id === id) return S.sc;
  S.sc = await SC.getScenario(id);
  return S.sc;
}

function mergeHistory(stage) {
  const s = S.session;
  if (!s || !stage) return;
  const digest = SC.stageDigest(stage);
  s.history = (s.history || []).filter((r) => r.round !== digest.round);
  s.history.push(digest);
  s.history.sort((a, b) => a.round - b.round);
  saveSession(s);
}

function setRoom(m) {
  Object.assign(S.room, {
    status: m.room_status, round: m.round, roundState: m.round_state, deadline: m.deadline,
    remaining: m.remaining, pool: m.pool, rounds: m.rounds, playerCount: m.player_count,
    mode: m.mode, quizIds: m.quiz_ids || [],
  });
}

function roundOpenForMe() {
  const st = S.status;
  return !!st && !!st.defaults && (S.room.status === 'playing' || S.room.status === 'paused')
    && S.room.roundState === 'open' && st.round === S.room.round;
}

async function onSnapshot(m) {
  const s = S.session;
  if (!s) return;
  s.scenario_id = m.scenario_id;
  s.mode = m.mode;
  s.nickname = m.nickname;
  s.player_id = m.player_id;
  saveSession(s);
  setRoom(m);
  S.status = m.status;
  if (m.last_stage) { S.lastStage = m.last_stage; mergeHistory(m.last_stage); }
  if (m.life_over) S.lifeOver = m.life_over;
  if (m.pending && roundOpenForMe()) {
    S.draft = Object.assign({}, m.status.defaults, m.pending);
    S.draftRound = m.round;
    S.sentRound = m.round;
    S.ack = { decided: m.decided, total: m.player_count };
  }
  saveCache();
  try {
    await ensureScenario(m.scenario_id);
  } catch (e) {
    S.message = { title: t('err.title'), text: t('err.scenario') };
    go('message');
    return;
  }
  chooseView();
}

/** The screen for the state we have (after a snapshot, or from the cache after a refresh). */
function chooseView() {
  const s = S.session;
  if (!s || !S.sc) return;
  if (S.lifeOver) {
    go(S.view === 'result' || (S.lastStage && s.seenRound < S.lastStage.round) ? 'result' : 'end');
  } else if (S.room.status === 'lobby') {
    go('lobby');
  } else if (roundOpenForMe()) {
    if (S.room.mode === 'solo' && !s.introDone && S.room.round === 0) go('lobby');
    else if (S.lastStage && (s.seenRound === undefined || s.seenRound < S.lastStage.round)) go('result');
    else go('round');
  } else if (S.lastStage) {
    go('result');
  } else {
    go('lobby');
  }
  renderStrip();
}

function onEvent(ev) {
  const r = S.room;
  switch (ev.kind) {
    case 'player_joined':
      r.playerCount += 1;
      if (S.view === 'lobby') updateLobbyCount();
      break;
    case 'game_started':
      r.status = 'playing';
      announce(t('ev.started'));
      break;
    case 'round_opened':
      r.status = 'playing';
      r.round = ev.round;
      r.roundState = 'open';
      r.deadline = ev.deadline;
      r.remaining = 0;
      r.pool = !!ev.pool;
      r.rounds = ev.rounds || r.rounds;
      S.sentRound = null;
      S.ack = null;
      S.decideError = '';
      if (S.room.mode === 'workshop') announce(t('ev.round_opened', { n: ev.round + 1 }));
      if (S.view === 'lobby' && S.room.mode === 'workshop' && roundOpenForMe()) go('round');
      else if (S.view === 'result') updateNext();
      else if (S.view === 'round') renderRound();
      break;
    case 'paused':
      r.status = 'paused';
      r.remaining = ev.remaining;
      r.deadline = 0;
      announce(t('ev.paused'));
      if (S.view === 'round') renderRound();
      break;
    case 'resumed':
      r.status = 'playing';
      r.deadline = ev.deadline;
      r.remaining = 0;
      announce(t('ev.resumed'));
      if (S.view === 'round') renderRound();
      break;
    case 'round_closed':
      r.roundState = 'closed';
      S.lastClosed = ev;
      break;
    case 'player_kicked':
      if (S.session && ev.player_id === S.session.player_id) kicked();
      break;
    case 'game_over':
      r.status = 'finished';
      break;
    default:
      break;
  }
  tick();
}

function onRoundResult(m) {
  S.status = m.status;
  S.lastStage = m.stage;
  mergeHistory(m.stage);
  S.sentRound = null;
  announce(t('ev.result', { a0: m.stage.start_age, a1: m.stage.end_age - 1 }));
  go('result');
  renderStrip();
}

function onLifeOver(m) {
  S.lifeOver = m.life_over;
  if (m.status) S.status = m.status;
  if (m.stage) {
    const fresh = !S.lastStage || S.lastStage.round !== m.stage.round;
    S.lastStage = m.stage;
    mergeHistory(m.stage);
    if (fresh && S.view !== 'result') { go('end'); renderStrip(); return; }
  }
  announce(t('ev.life_over'));
  if (S.view === 'result') updateNext();
  else go('end');
  renderStrip();
}

function onAck(m) {
  const req = m.request;
  if (!req) return;
  if (req.type === 'decide') {
    if (req.round === S.room.round && S.sentRound === req.round) {
      S.ack = { decided: m.decided, total: m.total };
      announce(t('pc.sent'));
      if (S.view === 'round') updateWaiting();
    }
  } else if (req.type === 'quiz_answer') {
    const s = S.session;
    if (req.phase === 'post') {
      s.quiz.post[req.question_id] = { answer: req.answer, correct: !!m.correct, right: m.answer };
    } else {
      s.quiz.pre[req.question_id] = req.answer;
    }
    saveSession(s);
    if (S.view === 'end') renderQuiz($('post-quiz'), 'post');
    if (S.view === 'lobby') renderQuiz($('pre-quiz'), 'pre');
  }
}

function errorText(m) {
  const key = 'err.' + m.code;
  const text = t(key);
  return text === key ? (m.message || m.code) : text;
}

function onError(m) {
  const req = m.request;
  if (m.code === 'room/kicked') { kicked(); return; }
  if (m.code === 'auth/bad_token' || m.code === 'room/gone'
      || (m.code === 'room/not_found' && S.session && !S.joining)) {
    if (S.session) dropSession(S.session.code);
    rememberLast('player', null);
    S.session = null;
    S.message = { title: t('err.expired.title'), text: t('err.expired') };
    go('message');
    return;
  }
  if (S.joining) {
    S.joining = false;
    S.fromLink = false; // the code may be wrong: show the full form to correct it
    S.formError = errorText(m);
    if (S.socket) S.socket.stop();
    renderStart();
    const f = $(S.startMode === 'solo' ? 'solo-btn' : 'join-code');
    if (f) f.focus();
    return;
  }
  if (req && req.type === 'decide') {
    if (m.code === 'rule/round_closed' && req.round !== S.room.round) return; // an old resend
    if (req.round === S.sentRound) S.sentRound = null;
    S.decideError = errorText(m);
    if (S.view === 'round') renderRound();
    toast(S.decideError, 'error');
    return;
  }
  if (m.code === 'protocol/rate_limited') return;
  toast(errorText(m), 'error');
}

function kicked() {
  if (S.session) dropSession(S.session.code);
  rememberLast('player', null);
  S.session = null;
  if (S.socket) S.socket.stop();
  S.message = { title: t('kicked.title'), text: t('kicked.text') };
  go('message');
}

// --- Views -------------------------------------------------------------------------------

const VIEWS = ['start', 'lobby', 'round', 'result', 'end', 'message'];

const IN_LIFE = ['round', 'result'];

function go(view) {
  const changed = S.view !== view;
  S.view = view;
  // In the middle of a life the top bar keeps the language button; the game's name is on the
  // first screens and the last (one word less to read on every round's screens).
  document.body.classList.toggle('in-life', IN_LIFE.indexOf(view) >= 0);
  labelToggle();
  for (const v of VIEWS) {
    const el = $('screen-' + v);
    if (el) el.hidden = v !== view;
  }
  renderView();
  renderStrip();
  if (changed) {
    window.scrollTo(0, 0);
    const head = document.querySelector('#screen-' + view + ' h2, #screen-' + view + ' h1');
    if (head && view !== 'start') { head.setAttribute('tabindex', '-1'); head.focus({ preventScroll: true }); }
  }
}

function renderView() {
  switch (S.view) {
    case 'start': renderStart(); break;
    case 'lobby': renderLobby(); break;
    case 'round': renderRound(); break;
    case 'result': renderResult(); break;
    case 'end': renderEnd(); break;
    case 'message': renderMessage(); break;
    default: break;
  }
  refreshReadButtons();
}

function tick() {
  const r = S.room;
  let text = '';
  if (r.status === 'paused') text = t('round.paused', { time: fmtClock(r.remaining) });
  else if (r.roundState === 'open' && r.deadline > 0) text = t('round.left', { time: fmtClock(r.deadline - serverNow()) });
  document.querySelectorAll('.countdown').forEach((el) => {
    el.textContent = text;
    el.hidden = !text;
    const left = r.deadline - serverNow();
    el.classList.toggle('urgent', r.status !== 'paused' && r.deadline > 0 && left < 15000);
  });
}

// The strip under the header: age, savings, health and the running score.
function renderStrip() {
  const strip = $('statusbar');
  if (!strip) return;
  const st = S.status;
  // Not on a stage's result: its summary shows the savings and the score itself.
  // Not at the end either: the end screen says the age and the score in big.
  const show = !!(S.session && st && S.sc && S.view === 'round');
  strip.hidden = !show;
  strip.setAttribute('aria-label', t('pc.strip.label'));
  if (!show) return;
  clear(strip);
  const score = currentScore();
  strip.appendChild(h('span', { class: 'strip-item' }, icon('user'), t('strip.age', { age: st.age })));
  strip.appendChild(h('span', { class: 'strip-item' + (st.savings < 0 ? ' neg' : '') }, icon('wallet'), money(st.savings)));
  strip.appendChild(h('span', { class: 'strip-item' }, icon('heart'), t('strip.health', { health: Math.round(st.health) })));
  if (score !== null) strip.appendChild(h('span', { class: 'strip-item strip-score' }, icon('shield'),
    h('span', null, t('strip.score') + ' '), S.scoreEstimated ? h('span', { class: 'approx', 'aria-hidden': 'true' }, isEn() ? '≈' : '约') : null,
    h('strong', { id: 'score', 'data-testid': 'score', 'data-estimate': S.scoreEstimated ? 'true' : 'false' }, score === null ? '—' : num(score))));
}

/** The security score so far: the life summary's at the end, else the server's (the status
 * carries it; the room leaderboard's when this player is on it). Never worked out here: the score
 * is the engine's rule. */
function currentScore() {
  S.scoreEstimated = false;
  if (S.lifeOver) return S.lifeOver.summary.score;
  if (S.status && typeof S.status.score === 'number') return S.status.score; // if the server sends it
  const lb = S.lastClosed && S.lastClosed.leaderboard;
  const me = lb && S.session && lb.find((e) => e.player_id === S.session.player_id);
  if (me && S.lastStage && S.lastClosed.round === S.lastStage.round) return me.score;
  return null;
}

// --- Start screen --------------------------------------------------------------------------

function renderStart() {
  const root = clear($('screen-start'));
  root.appendChild(h('h1', { class: 'page-title' }, t('play.title')));
  const last = lastCode('player');
  const saved = last && loadSession(last);
  if (saved && saved.token) {
    root.appendChild(h('div', { class: 'card resume-card' },
      h('p', null, t('start.resume', { code: saved.code })),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'resume-btn', 'data-testid': 'resume-btn', onclick: () => resume(saved) },
        icon('play'), h('span', null, t('start.resume.btn')))));
  }
  if (S.fromLink && S.startMode !== 'solo') { root.appendChild(joinCard()); return; }
  const join = joinCard();
  const solo = soloCard();
  // Playing alone, the room form waits behind one line (a code typed there opens it).
  if (S.startMode === 'solo') {
    root.appendChild(solo);
    root.appendChild(h('details', { class: 'more join-more', id: 'join-more' }, h('summary', null, iconText('people', t('start.join.title'))), join));
  } else { root.appendChild(join); root.appendChild(solo); }
}

function joinCard() {
  const nick = h('input', { id: 'nickname', name: 'nickname', type: 'text', maxlength: 24, autocomplete: 'nickname', value: S.joinNick || defaultNickname(), 'data-testid': 'nickname' });
  const linked = S.fromLink && S.startMode !== 'solo';
  const code = linked ? h('input', { id: 'join-code', name: 'code', type: 'hidden', value: S.prefillCode, 'data-testid': 'join-code' }) : h('input', {
    id: 'join-code', name: 'code', type: 'text', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: 6,
    autocomplete: 'off', value: S.prefillCode, 'aria-describedby': 'join-code-hint', 'data-testid': 'join-code', required: true,
  });
  const err = h('p', { id: 'join-error', class: 'form-error', role: 'alert', 'data-testid': 'join-error' }, S.startMode !== 'solo' ? S.formError : '');
  const form = h('form', {
    id: 'join-form', class: 'form', novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      const c = code.value.replace(/\D/g, '');
      S.prefillCode = c;
      S.joinNick = nick.value.trim();
      if (!/^\d{6}$/.test(c)) { S.formError = t('err.code'); S.startMode = 'join'; renderStart(); $('join-code').focus(); return; }
      S.startMode = 'join';
      startJoin(c, nick.value.trim() || defaultNickname());
    },
  },
  linked ? code : [h('label', { for: 'join-code' }, t('start.code')), code, h('p', { class: 'hint', id: 'join-code-hint' }, t('start.code.hint'))],
  h('label', { for: 'nickname' }, t('start.nickname')),
  nick,
  err,
  h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'join-btn', 'data-testid': 'join-btn', disabled: S.joining },
    icon('people'), h('span', null, S.joining && S.startMode === 'join' ? t('start.joining') : t('start.join'))));
  const title = linked ? t('start.link.title', { code: S.prefillCode }) : t('start.join.title');
  return h('section', { class: 'card', 'aria-labelledby': 'join-title' }, h('h2', { id: 'join-title' }, iconText('people', title)), form,
    linked ? h('p', { class: 'link-other' },
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'join-other', 'data-testid': 'join-other', onclick: () => { S.fromLink = false; renderStart(); const f = $('join-code'); if (f) f.focus(); } }, t('start.link.other')),
      ' ', h('a', { href: 'play.html?solo=1', id: 'join-solo-link' }, t('start.link.solo'))) : null);
}

function soloCard() {
  const box = h('div', { id: 'solo-scenarios', class: 'scenario-list' }, h('p', null, t('loading')));
  const nick = h('input', { id: 'solo-nickname', name: 'solo-nickname', type: 'text', maxlength: 24, value: S.soloNick || defaultNickname(), 'data-testid': 'solo-nickname' });
  const err = h('p', { id: 'solo-error', class: 'form-error', role: 'alert' }, S.startMode === 'solo' ? S.formError : '');
  const form = h('form', {
    id: 'solo-form', class: 'form',
    onsubmit: (e) => {
      e.preventDefault();
      const chosen = form.querySelector('input[name="scenario"]:checked');
      S.soloNick = nick.value.trim();
      S.startMode = 'solo';
      if (!chosen) { S.formError = t('err.pick'); renderStart(); return; }
      startSolo(chosen.value, nick.value.trim() || defaultNickname());
    },
  },
  h('fieldset', null, h('legend', null, t('start.pick')), box),
  h('label', { for: 'solo-nickname' }, t('start.nickname')),
  nick,
  err,
  h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'solo-btn', 'data-testid': 'solo-btn', disabled: S.joining },
    icon('user'), h('span', null, S.joining && S.startMode === 'solo' ? t('start.joining') : t('start.solo'))));
  fillScenarios(box);
  return h('section', { class: 'card', 'aria-labelledby': 'solo-title' }, h('h2', { id: 'solo-title' }, iconText('user', t('start.solo.title'))), form);
}

async function fillScenarios(box) {
  try {
    const list = S.scenarios || (S.scenarios = await SC.listScenarios());
    clear(box);
    const wanted = S.soloScenario || (list.find((s) => s.id === 'hangzhou-rider') || list[0]).id;
    for (const s of list) {
      const id = 'scenario-' + s.id;
      box.appendChild(h('label', { class: 'scenario-option', for: id },
        h('input', { type: 'radio', name: 'scenario', id: id, value: s.id, checked: s.id === wanted, 'data-testid': id, onchange: () => { S.soloScenario = s.id; } }),
        h('span', { class: 'scenario-body' },
          h('strong', null, tx(s.title)),
          h('span', { class: 'scenario-who' }, t('start.persona', { name: tx(s.persona.name), age: s.start_age })))));
    }
  } catch (e) {
    clear(box).appendChild(h('p', { class: 'form-error' }, t('err.scenarios')));
  }
}

// --- Lobby (and the solo intro) ------------------------------------------------------------

function renderLobby() {
  const root = clear($('screen-lobby'));
  const sc = S.sc;
  const solo = S.room.mode === 'solo';
  if (!sc) { root.appendChild(h('p', null, t('loading'))); return; }
  root.appendChild(h('h1', { id: 'lobby-title', class: 'screen-title' }, solo ? tx(sc.title) : t('lobby.in', { code: S.session ? S.session.code : '' })));
  if (!solo) {
    root.appendChild(h('p', { class: 'lead' }, iconText('clock', t('lobby.wait'))));
    root.appendChild(h('p', { id: 'player-count', class: 'muted', 'data-testid': 'player-count' }, t('lobby.count', { n: S.room.playerCount })));
  }
  root.appendChild(card({ level: 'h2', title: tx(sc.persona.name), icon: 'user', id: 'persona-card', testid: 'persona-card' },
    h('p', null, tx(sc.persona.story)),
    h('p', { class: 'muted' }, t('lobby.persona.start', { age: sc.start_year - sc.persona.birth_year, year: sc.start_year }))));
  root.appendChild(h('section', { 'aria-labelledby': 'quiz-pre-title', class: 'quiz-block' },
    h('h2', { id: 'quiz-pre-title', class: 'card-title' }, iconText('question', t('quiz.pre.title'))),
    h('p', { class: 'muted' }, t('quiz.pre.intro')),
    h('div', { id: 'pre-quiz', 'data-testid': 'pre-quiz' })));
  renderQuiz($('pre-quiz'), 'pre');
  if (solo) {
    root.appendChild(h('div', { class: 'action-bar' },
      h('button', {
        type: 'button', class: 'btn btn-primary btn-big', id: 'start-life-btn', 'data-testid': 'start-life-btn',
        onclick: () => { S.session.introDone = true; saveSession(S.session); if (roundOpenForMe()) go('round'); },
      }, icon('play'), h('span', null, t('lobby.start')))));
  }
}

function updateLobbyCount() {
  const el = $('player-count');
  if (el) el.textContent = t('lobby.count', { n: S.room.playerCount });
}

function quizQuestions() {
  const ids = S.room.quizIds && S.room.quizIds.length ? S.room.quizIds : S.sc.quiz.slice(0, 3).map((q) => q.id);
  return ids.map((id) => S.sc.quiz.find((q) => q.id === id)).filter(Boolean);
}

function renderQuiz(box, phase) {
  if (!box || !S.sc || !S.session) return;
  clear(box);
  const s = S.session;
  // One question at a time: the answered ones, then the first open one.
  let open = 0;
  quizQuestions().forEach((q, qi) => {
    const done = phase === 'pre' ? s.quiz.pre[q.id] : s.quiz.post[q.id];
    if (done === undefined && open++ > 0) return;
    const pending = phase === 'pre' ? done === undefined && isQuizPending(q.id, phase) : !done && isQuizPending(q.id, phase);
    const name = phase + '-q' + qi;
    const body = [];
    const list = h('div', { class: 'choices quiz-options' });
    q.options.forEach((o, oi) => {
      const id = name + '-' + oi;
      let mark = null;
      let cls = 'choice';
      if (phase === 'post' && done) {
        if (oi === done.right) { cls += ' right'; mark = h('span', { class: 'mark-right' }, icon('check'), t('quiz.right.answer')); }
        else if (oi === done.answer) { cls += ' wrong'; mark = h('span', { class: 'mark-wrong' }, icon('cross'), t('quiz.your.answer')); }
      }
      const chosen = phase === 'pre' ? done === oi : done && done.answer === oi;
      list.appendChild(h('label', { class: cls, for: id },
        h('input', { type: 'radio', name: name, id: id, value: oi, checked: chosen, disabled: done !== undefined || pending, 'data-testid': id }),
        h('span', { class: 'choice-body' }, h('span', { class: 'choice-main' }, tx(o)), mark)));
    });
    body.push(h('fieldset', null, h('legend', { class: 'quiz-q' }, (qi + 1) + '. ' + tx(q.question)), list));
    if (phase === 'pre' && done !== undefined) {
      body.push(h('p', { class: 'ok-note' }, iconText('check', t('quiz.pre.thanks'))));
    } else if (phase === 'post' && done) {
      body.push(h('p', { class: done.correct ? 'ok-note' : 'warn-note' }, iconText(done.correct ? 'check' : 'alert', done.correct ? t('quiz.right') : t('quiz.wrong', { answer: tx(q.options[done.right]) }))));
      const before = s.quiz.pre[q.id];
      if (before !== undefined) body.push(h('p', { class: 'muted' }, t('quiz.before', { answer: tx(q.options[before]) })));
      body.push(h('p', { class: 'explain' }, tx(q.explanation)));
      body.push(h('p', { class: 'source' }, t('source') + ' ' + sourceIn(q.source, isEn())));
    } else {
      body.push(h('button', {
        type: 'button', class: 'btn', 'data-testid': name + '-submit', id: name + '-submit', disabled: pending,
        onclick: () => {
          const picked = box.querySelector('input[name="' + name + '"]:checked');
          if (!picked) { toast(t('quiz.pick'), 'error'); return; }
          S.socket.send({ type: 'quiz_answer', client_msg_id: msgId('q'), phase: phase, question_id: q.id, answer: Number(picked.value) });
          renderQuiz(box, phase);
        },
      }, pending ? t('quiz.sending') : t('quiz.answer')));
    }
    box.appendChild(card({ class: 'quiz-card', testid: 'quiz-' + q.id }, body));
  });
}

function isQuizPending(qid, phase) {
  const box = S.session && S.session.outbox;
  if (!box) return false;
  return Object.keys(box).some((k) => box[k].type === 'quiz_answer' && box[k].question_id === qid && box[k].phase === phase);
}

// --- A round: one decision per card ------------------------------------------------------

function draftFor() {
  const st = S.status;
  if (S.draftRound !== S.room.round || !S.draft) {
    S.draft = Object.assign({}, st.defaults);
    S.draftRound = S.room.round;
    S.step = 0;
    // The first round asks for each insurance choice: nothing is chosen for the player.
    const first = st.stage.index === 0;
    if (first) for (const k of EXPLICIT) S.draft[k] = null;
    S.editing = first;
  }
  return S.draft;
}

function renderRound() {
  const root = clear($('screen-round'));
  const st = S.status;
  if (!S.sc || !st || !st.stage) { root.appendChild(h('p', null, t('loading'))); return; }
  draftFor();
  root.appendChild(h('p', { class: 'countdown', id: 'countdown', 'data-testid': 'countdown', role: 'timer', hidden: true }));
  if (S.room.pool) root.appendChild(h('p', { class: 'notice notice-pool', id: 'pool-notice' }, iconText('pool', t('round.pool'))));
  if (S.room.status === 'paused') root.appendChild(h('p', { class: 'notice', id: 'paused-notice' }, iconText('pause', t('round.paused.note'))));
  root.appendChild(h('div', { id: 'waiting', class: 'waiting', 'aria-live': 'polite', hidden: true }));
  root.appendChild(decisionForm());
  tick();
  updateWaiting();
}

function decisionForm() {
  const st = S.status;
  const steps = stepsFor(st);
  if (S.step >= steps.length) S.step = steps.length - 1;
  const prev = S.lastStage && S.lastStage.round === st.stage.index - 1 ? S.lastStage.decisions : null;
  return renderDecisions({
    sc: S.sc, st: st, d: S.draft, steps: steps, step: S.step || 0, editing: !!S.editing, prev: prev,
    lastPhase: S.lastStage ? S.lastStage.phase : null,
    paused: S.room.status === 'paused', error: S.decideError,
    complete: EXPLICIT.every((k) => S.draft[k] !== null && S.draft[k] !== undefined),
    change: changeDraft,
    goStep: (n) => { S.step = n; rerenderForm(true); saveCache(); },
    edit: () => { S.editing = true; S.step = 0; rerenderForm(true); saveCache(); },
    send: sendDecision,
  });
}

function changeDraft(field, value) {
  const d = S.draft;
  const sc = S.sc;
  d[field] = value;
  const c = SC.cityOfDecision(sc, d, S.status);
  if (field === 'pension') {
    if (value === 'residents' && !d.residents_tier) d.residents_tier = c.residents_pension_tiers[Math.min(4, c.residents_pension_tiers.length - 1)];
    if (value === 'none') d.personal_pension = 0;
    if (value === 'employee' && !d.pension_base_pct) d.pension_base_pct = 60;
  }
  if (field === 'job') {
    const open = (S.status.options && S.status.options.jobs && S.status.options.jobs[value]) || null;
    if (open && d.pension && open.pension.indexOf(d.pension) < 0) { d.pension = 'none'; d.personal_pension = 0; }
    if (d.pension === 'residents' && c.residents_pension_tiers.indexOf(d.residents_tier) < 0) d.residents_tier = c.residents_pension_tiers[0];
  }
  S.decideError = '';
  rerenderForm(false);
  saveCache();
}

function rerenderForm(newCard) {
  const active = document.activeElement && document.activeElement.id;
  const old = $('decision-form');
  if (!old) return;
  old.replaceWith(decisionForm());
  refreshReadButtons();
  if (newCard) {
    window.scrollTo(0, 0);
    const q = $('card-q');
    if (q) { q.setAttribute('tabindex', '-1'); q.focus({ preventScroll: true }); }
  } else if (active && $(active)) {
    $(active).focus({ preventScroll: true });
  }
}

function cleanDecisions() {
  const d = Object.assign({}, S.draft);
  const working = S.status.stage.phase === 'working';
  for (const k of ['pension_base_pct', 'residents_tier', 'saving_rate', 'personal_pension']) d[k] = Math.round(Number(d[k]) || 0);
  if (!d.pension_base_pct) d.pension_base_pct = 60;
  d.accident_insurance = !!d.accident_insurance;
  if (!working) {
    d.job = null; d.accident_insurance = false; d.personal_pension = 0; d.residents_tier = 0;
    if (d.pension === 'residents') d.pension = 'none';
  }
  if (d.pension !== 'residents') d.residents_tier = 0;
  if (d.pension === 'none') d.personal_pension = 0;
  return d;
}

function sendDecision() {
  if (S.room.status === 'paused') { toast(t('round.paused.note'), 'error'); return; }
  const round = S.room.round;
  S.decideError = '';
  S.sentRound = round;
  S.ack = null;
  S.socket.send({ type: 'decide', client_msg_id: msgId('d'), round: round, decisions: cleanDecisions() });
  saveCache();
  // Only the server's ack says it is in: offline, the choice waits in the outbox.
  announce(S.socket.status === 'open' ? t('pc.sending') : t('pc.queued'));
  updateWaiting();
}

function updateWaiting() {
  const box = $('waiting');
  const form = $('decision-form');
  if (!box || !form) return;
  const sent = S.sentRound === S.room.round && S.room.roundState === 'open';
  box.hidden = !sent;
  form.hidden = sent;
  if (!sent) return;
  clear(box);
  const solo = S.room.mode === 'solo';
  box.appendChild(h('div', { class: 'card waiting-card', id: 'waiting-card', 'data-testid': 'waiting' },
    h('p', { class: 'lead' }, iconText(S.ack ? 'check' : 'clock', S.ack ? t('wait.in') : S.socket && S.socket.status === 'open' ? t('wait.sending') : t('pc.queued'))),
    !solo && S.ack ? h('p', { id: 'decided-count', 'data-testid': 'decided-count' }, t('wait.count', { n: S.ack.decided, total: S.ack.total })) : null,
    !solo ? h('p', { class: 'muted' }, t('wait.others')) : null,
    h('button', { type: 'button', class: 'btn', id: 'change-btn', 'data-testid': 'change-btn', onclick: () => { S.sentRound = null; updateWaiting(); $('decide-btn').focus(); } }, t('wait.change'))));
}

// --- What happened ------------------------------------------------------------------------

function renderResult() {
  const root = clear($('screen-result'));
  const st = S.lastStage;
  if (!S.sc || !st) { root.appendChild(h('p', null, t('loading'))); return; }
  root.appendChild(h('h1', { id: 'result-title', class: 'screen-title', 'data-testid': 'result-title' }, t('result.title', { a0: st.start_age, a1: st.end_age - 1 })));
  root.appendChild(eventList(S.sc, st));
  const year = S.status ? S.status.year - (st.end_age - st.start_age) : S.sc.start_year;
  const score = currentScore();
  const coverChanged = choicesChanged(st).cover;
  root.appendChild(stageSummary(S.sc, st, previousSavings(st.round), year,
    (S.scoreEstimated ? (isEn() ? '≈' : '约') : '') + (score === null ? '—' : num(score)), coverChanged));
  // Pool round
  const closed = S.lastClosed;
  if (closed && closed.round === st.round && closed.pool && S.session) {
    const pool = closed.pool;
    const mine = pool.losses ? pool.losses[S.session.player_id] : undefined;
    root.appendChild(card({ level: 'h2', title: t('pool.title'), icon: 'pool', id: 'pool-result', testid: 'pool-result' },
      h('p', null, t('pool.text', { n: pool.members, hit: pool.hit, each: money(pool.contribution) })),
      mine !== undefined ? h('p', { class: 'lead' }, t(mine > pool.contribution ? 'pool.mine.more' : mine < pool.contribution ? 'pool.mine.less' : 'pool.mine.same', { loss: money(mine), each: money(pool.contribution) })) : null,
      h('p', null, t('pool.worst', { alone: money(pool.worst_alone), pooled: money(pool.worst_pooled) }))));
  }
  // The running score is in the status strip; the room's leaderboard in a workshop.
  if (S.room.mode === 'workshop' && closed && closed.round === st.round && closed.leaderboard && closed.leaderboard.length) {
    root.appendChild(card({ level: 'h2', title: t('board.title'), icon: 'people', id: 'leaderboard', testid: 'leaderboard' },
      h('ol', { class: 'board' }, closed.leaderboard.map((e) => h('li', { class: S.session && e.player_id === S.session.player_id ? 'me' : '' },
        h('span', { class: 'board-name' }, e.nickname), h('span', { class: 'board-score' }, num(e.score)))))));
  }
  root.appendChild(h('div', { class: 'action-bar', id: 'next-bar' }));
  updateNext();
}

/** The played stages for the chart: the rounds this phone saw, or — when it missed some (a
 * reload, another phone) — the server's timeline of every stage (in snapshots and life_over). */
function lifePoints() {
  const seen = (S.session ? S.session.history : []).slice().sort((a, b) => a.round - b.round);
  const full = S.status && S.status.timeline;
  return full && full.length > seen.length ? full.slice() : seen;
}

function previousSavings(round) {
  const hist = S.session ? S.session.history : [];
  const before = hist.find((r) => r.round === round - 1);
  if (before) return before.savings;
  return round === 0 && S.sc ? S.sc.persona.start_savings : 0;
}

function markSeen() {
  if (S.session && S.lastStage) { S.session.seenRound = S.lastStage.round; saveSession(S.session); }
}

/** Whether a stage's choices differ from the stage before's (its cover; its cover or saving). */
function choicesChanged(st) {
  const before = S.session ? S.session.history.find((r) => r.round === st.round - 1) : null;
  const d = st.decisions || {};
  const cover = !before || before.cover !== SC.coverKey(d);
  return { cover: cover, any: cover || before.saving !== d.saving_rate };
}

/** The kept choices in one short line: no cover at all is said in four characters. */
function keptShort(lines) {
  const rest = lines.filter((l) => l[0] !== 'work');
  const none = rest.filter((l) => l[0] === 'cross');
  if (none.length && none.length === rest.length - 1) return [t('pc.kept.nothing')].concat(rest.filter((l) => l[0] !== 'cross').map((l) => l[1]));
  return rest.map((l) => l[1]);
}

function updateNext() {
  const bar0 = $('next-bar');
  if (!bar0) return;
  clear(bar0);
  if (S.lifeOver) {
    bar0.appendChild(h('button', {
      type: 'button', class: 'btn btn-primary btn-big', id: 'next-btn', 'data-testid': 'next-btn',
      onclick: () => { markSeen(); go('end'); },
    }, icon('star'), h('span', null, t('next.end'))));
  } else if (roundOpenForMe()) {
    // The next round starts from these choices: keep them all with one tap, or look first.
    // What "as before" keeps is said when it is new (round 1, a change); the same again is not.
    const d = Object.assign({}, S.status.defaults);
    if (S.lastStage && choicesChanged(S.lastStage).any) bar0.appendChild(h('p', { class: 'kept-line', id: 'kept-line', 'data-testid': 'kept-line' },
      t('pc.kept.line', { list: keptShort(keptLines(S.sc, S.status, d)).join(t('pc.dot')) })));
    bar0.appendChild(h('p', { class: 'countdown', role: 'timer', hidden: true }));
    bar0.appendChild(h('div', { class: 'action-pair' },
      h('button', {
        type: 'button', class: 'btn btn-ghost', id: 'next-btn', 'data-testid': 'next-btn',
        onclick: () => { markSeen(); go('round'); },
      }, h('span', null, t('pc.next.look'))),
      h('button', {
        type: 'button', class: 'btn btn-primary btn-big', id: 'keep-next', 'data-testid': 'keep-next',
        disabled: S.room.status === 'paused',
        onclick: () => { markSeen(); draftFor(); S.editing = false; go('round'); sendDecision(); },
      }, icon('check'), h('span', null, t('pc.keep.next', { n: S.room.round + 1 })))));
  } else {
    bar0.appendChild(h('button', { type: 'button', class: 'btn btn-big', id: 'next-btn', 'data-testid': 'next-btn', disabled: true }, icon('clock'), h('span', null, t('next.wait'))));
  }
  tick();
}

// --- The end of a life ----------------------------------------------------------------------

function renderEnd() {
  const root = clear($('screen-end'));
  const lo = S.lifeOver;
  const sc = S.sc;
  if (!sc || !lo) { root.appendChild(h('p', null, t('loading'))); return; }
  const s = lo.summary;
  // The age the life ended at (the title says it: no "you lived to" line below).
  const endAge = s.death_age || (S.status ? S.status.age : sc.end_age);
  root.appendChild(h('h1', { id: 'end-title', class: 'screen-title', 'data-testid': 'end-title' }, t('end.title', { age: endAge })));

  // 1. The score and what decided it (the parts, the badges on demand).
  const earned = s.badges || [];
  const others = Object.keys(BADGE_TEXT).filter((b) => earned.indexOf(b) < 0);
  const badges = h('details', { class: 'more', id: 'badges', 'data-testid': 'badges' },
    h('summary', null, t('end.badges', { n: earned.length })),
    earned.length ? h('ul', { class: 'badges' }, earned.map((b) => badgeItem(b, true))) : h('p', null, t('end.nobadge')),
    others.length ? h('details', null, h('summary', null, t('end.morebadges')), h('ul', { class: 'badges badges-off' }, others.map((b) => badgeItem(b, false)))) : null);
  root.appendChild(scoreCard(lo, outcomeOf(sc, s.pension_outcome, s.monthly_pension, null), badges));

  // 2. The same life, insured and not insured; the timeline on demand.
  root.appendChild(counterfactualCard(lo.counterfactual));
  const points = lifePoints();
  const startAge = sc.start_year - sc.persona.birth_year;
  root.appendChild(h('details', { class: 'card more', id: 'timeline', 'data-testid': 'timeline' },
    h('summary', null, iconText('chart', t('chart.title'))),
    timeline({ start: { age: startAge, savings: sc.persona.start_savings, health: sc.persona.start_health }, points: points, retireAge: s.retirement_age }),
    points.length < (S.status ? S.status.rounds : 0) ? h('p', { class: 'hint' }, t('chart.partial')) : null));

  // 3. Do it for real.
  root.appendChild(doItForReal(sc));

  // 4. The quiz again.
  root.appendChild(h('section', { class: 'quiz-block', 'aria-labelledby': 'quiz-post-title' },
    h('h2', { id: 'quiz-post-title', class: 'card-title' }, iconText('question', t('quiz.post.title'))),
    h('div', { id: 'post-quiz', 'data-testid': 'post-quiz' })));
  renderQuiz($('post-quiz'), 'post');

  // 5. Share.
  root.appendChild(card({ title: t('share.title'), icon: 'download', id: 'share', testid: 'share', level: 'h2' },
    h('button', { type: 'button', class: 'btn btn-primary', id: 'share-btn', 'data-testid': 'share-btn', onclick: makeShare }, icon('download'), h('span', null, t('share.make'))),
    h('div', { id: 'share-out', class: 'share-out' })));

  root.appendChild(h('div', { class: 'action-bar' },
    h('a', { class: 'btn', href: 'play.html?solo=1', id: 'again-btn', 'data-testid': 'again-btn' }, icon('play'), h('span', null, t('end.again'))),
    h('a', { class: 'btn btn-ghost', href: 'guide.html' }, icon('book'), h('span', null, t('end.guide')))));
}

function badgeItem(id, on) {
  return h('li', { class: 'badge' + (on ? '' : ' off'), 'data-badge': id },
    icon(on ? 'star' : 'question'),
    h('span', { class: 'badge-text' },
      h('strong', null, badgeTitle(id, isEn())),
      h('span', { class: 'badge-how' }, t('badge.' + id + '.how'))));
}

async function makeShare() {
  const out = $('share-out');
  const btn = $('share-btn');
  btn.disabled = true;
  clear(out).appendChild(h('p', null, t('share.drawing')));
  try {
    const mod = await import('./sharecard.js');
    const canvas = h('canvas', { class: 'sr-only', 'aria-hidden': 'true' });
    const points = lifePoints();
    const start = { savings: S.sc.persona.start_savings };
    const blob = await mod.drawShareCard(canvas, {
      sc: S.sc, summary: S.lifeOver.summary, nickname: S.session ? S.session.nickname : '',
      points: [start].concat(points), endAge: S.status ? S.status.age : S.sc.end_age,
    });
    if (S.shareUrl) URL.revokeObjectURL(S.shareUrl);
    S.shareUrl = URL.createObjectURL(blob);
    clear(out).appendChild(h('img', { id: 'share-img', 'data-testid': 'share-img', src: S.shareUrl, alt: t('share.alt', { score: S.lifeOver.summary.score }) }));
    out.appendChild(h('p', { class: 'hint' }, t('share.hold')));
    out.appendChild(h('a', { class: 'btn btn-primary', id: 'share-download', 'data-testid': 'share-download', href: S.shareUrl, download: 'gig-life-' + S.lifeOver.summary.score + '.png' }, icon('download'), h('span', null, t('share.save'))));
    announce(t('share.ready'));
  } catch (e) {
    clear(out).appendChild(h('p', { class: 'form-error' }, t('share.failed')));
  }
  btn.disabled = false;
}

// --- Messages (kicked, expired, connecting) -------------------------------------------------

function renderMessage() {
  const root = clear($('screen-message'));
  const m = S.message || { title: t('net.connecting'), text: '' };
  root.appendChild(h('h1', { id: 'message-title', class: 'screen-title' }, m.title));
  if (m.text) root.appendChild(h('p', { class: 'lead' }, m.text));
  if (S.session && S.socket && S.socket.status !== 'closed') {
    root.appendChild(h('p', { class: 'muted' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', t('loading')));
  } else {
    root.appendChild(h('div', { class: 'action-bar' },
      h('a', { class: 'btn btn-primary', href: 'play.html', id: 'restart-btn' }, icon('play'), h('span', null, t('end.new'))),
      h('a', { class: 'btn btn-ghost', href: './' }, icon('home'), h('span', null, t('nav.home')))));
  }
}

init();
