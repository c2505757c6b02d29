// The player's state and its one reducer: reduce(state, action) → a new state, for every server
// message, every change of the connection and every tap. Pure: no DOM, no socket, no clock, no
// storage, no imports — what it needs from outside comes in the action (a message id, a stage's
// digest, the scenario). What should happen outside (send a message, announce, open a socket)
// is listed in the new state's `fx`, which the shell (play.js) carries out.

/** The insurance fields a first round cannot pass without a tap. */
export const EXPLICIT = ['pension', 'medical', 'accident_insurance'];

const ROOM = {
  status: null, round: 0, roundState: 'none', deadline: 0, remaining: 0, pool: false, rounds: 0,
  playerCount: 0, mode: 'workshop', quizIds: [],
};

const LIFE = { history: [], quiz: { pre: {}, post: {} }, quizPending: {}, introDone: false, seenRound: -1 };

/** The state of a fresh page. */
export function initialState() {
  return {
    view: 'start', startMode: 'join', prefillCode: '', fromLink: false, joinNick: '', soloNick: '',
    soloScenario: null, scenarios: null, sc: null, joining: false, formError: '', message: null,
    net: 'idle', wasDown: false,
    me: null, // { code, player_id, nickname, scenario_id, mode } once in a room
    life: LIFE,
    room: ROOM, status: null, lastStage: null, lastClosed: null, lifeOver: null,
    draft: null, draftRound: -1, step: 0, editing: false, sentRound: null, ack: null, decideError: '',
    chooseOnScenario: false, fx: [],
  };
}

/** The part of the state kept with the session, so a refresh draws the screen at once. */
export function cacheOf(s) {
  return {
    room: s.room, status: s.status, lastStage: s.lastStage, lastClosed: s.lastClosed, lifeOver: s.lifeOver,
    draft: s.draft, draftRound: s.draftRound, sentRound: s.sentRound, ack: s.ack, step: s.step, editing: s.editing,
  };
}

// --- What the state says (selectors) ----------------------------------------------------------

/** The open round is this player's to decide. */
export function roundOpenForMe(s) {
  const st = s.status;
  return !!st && !!st.defaults && (s.room.status === 'playing' || s.room.status === 'paused')
    && s.room.roundState === 'open' && st.round === s.room.round;
}

/** The decision has been sent for the open round (acknowledged or not). */
export function sentNow(s) {
  return s.sentRound === s.room.round && s.room.roundState === 'open';
}

/** The security score so far: the life summary's at the end, else the server's (status.score),
 * else the room leaderboard's for this round; null when none is known. */
export function currentScore(s) {
  if (s.lifeOver) return { score: s.lifeOver.summary.score, estimated: false };
  if (s.status && typeof s.status.score === 'number') return { score: s.status.score, estimated: false };
  const lb = s.lastClosed && s.lastClosed.leaderboard;
  const me = lb && s.me && lb.find((e) => e.player_id === s.me.player_id);
  if (me && s.lastStage && s.lastClosed.round === s.lastStage.round) return { score: me.score, estimated: false };
  return { score: null, estimated: false };
}

/** The quiz questions of the room (or the scenario's first three). */
export function quizQuestions(s) {
  if (!s.sc) return [];
  const ids = s.room.quizIds && s.room.quizIds.length ? s.room.quizIds : s.sc.quiz.slice(0, 3).map((q) => q.id);
  return ids.map((id) => s.sc.quiz.find((q) => q.id === id)).filter(Boolean);
}

/** The stages this phone saw for the chart, or the server's timeline when it missed some. */
export function lifePoints(s) {
  const seen = s.life.history.slice().sort((a, b) => a.round - b.round);
  const full = s.status && s.status.timeline;
  return full && full.length > seen.length ? full.slice() : seen;
}

/** Savings before a round (the round before's end, or the persona's start). */
export function previousSavings(s, round) {
  const before = s.life.history.find((r) => r.round === round - 1);
  if (before) return before.savings;
  return round === 0 && s.sc ? s.sc.persona.start_savings : 0;
}

// --- Helpers ----------------------------------------------------------------------------------

function fx(s, effect) { s.fx = s.fx.concat([effect]); }

function withHistory(s, digest) {
  if (!digest) return;
  const history = s.life.history.filter((r) => r.round !== digest.round).concat([digest]).sort((a, b) => a.round - b.round);
  s.life = Object.assign({}, s.life, { history: history });
}

function cityOf(sc, d, st) {
  const j = d.job ? sc.jobs.find((x) => x.id === d.job) : null;
  const id = j ? j.city : st.city || sc.persona.hukou_city;
  return sc.cities.find((c) => c.id === id) || sc.cities[0];
}

/** The draft of the open round: last round's choices, or nothing chosen in round 1. */
function ensureDraft(s) {
  const st = s.status;
  if (!st || !st.defaults || (s.draftRound === s.room.round && s.draft)) return;
  const first = st.stage && st.stage.index === 0;
  const d = Object.assign({}, st.defaults);
  if (first) for (const k of EXPLICIT) d[k] = null;
  s.draft = d;
  s.draftRound = s.room.round;
  s.step = 0;
  s.editing = !!first;
}

/** The screen for the state we have (after a snapshot, or from the cache after a refresh). */
function chooseView(s) {
  if (!s.me || !s.sc) return s.view;
  const seen = s.life.seenRound;
  if (s.lifeOver) return s.view === 'result' || (s.lastStage && seen < s.lastStage.round) ? 'result' : 'end';
  if (s.room.status === 'lobby') return 'lobby';
  if (roundOpenForMe(s)) {
    if (s.room.mode === 'solo' && !s.life.introDone && s.room.round === 0) return 'lobby';
    if (s.lastStage && seen < s.lastStage.round) return 'result';
    return 'round';
  }
  return s.lastStage ? 'result' : 'lobby';
}

function go(s, view) {
  s.view = view;
  if (view === 'round') ensureDraft(s);
}

function markSeen(s) {
  if (s.lastStage) s.life = Object.assign({}, s.life, { seenRound: s.lastStage.round });
}

function endSession(s, title, text) {
  if (s.me) fx(s, { kind: 'drop', code: s.me.code });
  fx(s, { kind: 'remember', code: null });
  s.me = null;
  s.message = { title: title, text: text };
  go(s, 'message');
}

function cleanDecisions(s) {
  const d = Object.assign({}, s.draft);
  const working = s.status.stage.phase === 'working';
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

function send(s, id) {
  if (s.room.status === 'paused') { fx(s, { kind: 'toast', key: 'round.paused.note', level: 'error' }); return; }
  s.decideError = '';
  s.sentRound = s.room.round;
  s.ack = null;
  fx(s, { kind: 'send', msg: { type: 'decide', client_msg_id: id, round: s.room.round, decisions: cleanDecisions(s) } });
  // Only the server's ack says it is in: offline, the choice waits in the outbox.
  fx(s, { kind: 'announce', key: s.net === 'open' ? 'pc.sending' : 'pc.queued' });
}

function setRoom(s, m) {
  s.room = Object.assign({}, s.room, {
    status: m.room_status, round: m.round, roundState: m.round_state, deadline: m.deadline,
    remaining: m.remaining, pool: m.pool, rounds: m.rounds, playerCount: m.player_count,
    mode: m.mode, quizIds: m.quiz_ids || [],
  });
}

// --- Server messages --------------------------------------------------------------------------

function begin(s, m, mode) {
  s.me = { code: m.code, player_id: m.player_id, nickname: m.nickname, scenario_id: m.scenario_id || null, mode: mode, token: m.player_token };
  s.life = LIFE;
  s.joining = false;
  fx(s, { kind: 'begin' });
}

function onSnapshot(s, m, a) {
  if (!s.me) return;
  s.me = Object.assign({}, s.me, { scenario_id: m.scenario_id, mode: m.mode, nickname: m.nickname, player_id: m.player_id });
  setRoom(s, m);
  s.status = m.status;
  if (m.last_stage) { s.lastStage = m.last_stage; withHistory(s, a.digest); }
  if (m.life_over) s.lifeOver = m.life_over;
  if (m.pending && roundOpenForMe(s)) {
    s.draft = Object.assign({}, m.status.defaults, m.pending);
    s.draftRound = m.round;
    s.sentRound = m.round;
    s.ack = { decided: m.decided, total: m.player_count };
  }
  if (!s.sc || s.sc.id !== m.scenario_id) {
    // The screen is chosen when the scenario is in.
    s.chooseOnScenario = true;
    fx(s, { kind: 'scenario', id: m.scenario_id });
    return;
  }
  go(s, chooseView(s));
}

function onEvent(s, ev) {
  const r = Object.assign({}, s.room);
  s.room = r;
  switch (ev.kind) {
    case 'player_joined':
      r.playerCount += 1;
      break;
    case 'game_started':
      r.status = 'playing';
      fx(s, { kind: 'announce', key: 'ev.started' });
      break;
    case 'round_opened':
      r.status = 'playing';
      r.round = ev.round;
      r.roundState = 'open';
      r.deadline = ev.deadline;
      r.remaining = 0;
      r.pool = !!ev.pool;
      r.rounds = ev.rounds || r.rounds;
      s.sentRound = null;
      s.ack = null;
      s.decideError = '';
      if (r.mode === 'workshop') fx(s, { kind: 'announce', key: 'ev.round_opened', vars: { n: ev.round + 1 } });
      if (s.view === 'lobby' && r.mode === 'workshop' && roundOpenForMe(s)) go(s, 'round');
      else if (s.view === 'round') ensureDraft(s);
      break;
    case 'paused':
      r.status = 'paused';
      r.remaining = ev.remaining;
      r.deadline = 0;
      fx(s, { kind: 'announce', key: 'ev.paused' });
      break;
    case 'resumed':
      r.status = 'playing';
      r.deadline = ev.deadline;
      r.remaining = 0;
      fx(s, { kind: 'announce', key: 'ev.resumed' });
      break;
    case 'round_closed':
      r.roundState = 'closed';
      s.lastClosed = ev;
      break;
    case 'player_kicked':
      if (s.me && ev.player_id === s.me.player_id) kicked(s);
      break;
    case 'game_over':
      r.status = 'finished';
      break;
    default:
      break;
  }
}

function kicked(s) {
  fx(s, { kind: 'stop' });
  endSession(s, 'kicked.title', 'kicked.text');
}

function onRoundResult(s, m, a) {
  s.status = m.status;
  s.lastStage = m.stage;
  withHistory(s, a.digest);
  s.sentRound = null;
  fx(s, { kind: 'announce', key: 'ev.result', vars: { a0: m.stage.start_age, a1: m.stage.end_age - 1 } });
  go(s, 'result');
}

function onLifeOver(s, m, a) {
  s.lifeOver = m.life_over;
  if (m.status) s.status = m.status;
  if (m.stage) {
    const fresh = !s.lastStage || s.lastStage.round !== m.stage.round;
    s.lastStage = m.stage;
    withHistory(s, a.digest);
    if (fresh && s.view !== 'result') { go(s, 'end'); return; }
  }
  fx(s, { kind: 'announce', key: 'ev.life_over' });
  if (s.view !== 'result') go(s, 'end');
}

function onAck(s, m) {
  const req = m.request;
  if (!req) return;
  if (req.type === 'decide') {
    if (req.round === s.room.round && s.sentRound === req.round) {
      s.ack = { decided: m.decided, total: m.total };
      fx(s, { kind: 'announce', key: 'pc.sent' });
    }
  } else if (req.type === 'quiz_answer') {
    const quiz = { pre: Object.assign({}, s.life.quiz.pre), post: Object.assign({}, s.life.quiz.post) };
    if (req.phase === 'post') quiz.post[req.question_id] = { answer: req.answer, correct: !!m.correct, right: m.answer };
    else quiz.pre[req.question_id] = req.answer;
    const pending = Object.assign({}, s.life.quizPending);
    delete pending[req.phase + ':' + req.question_id];
    s.life = Object.assign({}, s.life, { quiz: quiz, quizPending: pending });
  }
}

function onError(s, m) {
  const req = m.request;
  if (m.code === 'room/kicked') { kicked(s); return; }
  if (m.code === 'auth/bad_token' || m.code === 'room/gone' || (m.code === 'room/not_found' && s.me && !s.joining)) {
    endSession(s, 'err.expired.title', 'err.expired');
    return;
  }
  if (s.joining) {
    s.joining = false;
    s.fromLink = false; // the code may be wrong: show the full form to correct it
    s.formError = { code: m.code, message: m.message };
    fx(s, { kind: 'stop' });
    fx(s, { kind: 'focus', id: s.startMode === 'solo' ? 'solo-btn' : 'join-code' });
    return;
  }
  if (req && req.type === 'decide') {
    if (m.code === 'rule/round_closed' && req.round !== s.room.round) return; // an old resend
    if (req.round === s.sentRound) s.sentRound = null;
    s.decideError = { code: m.code, message: m.message };
    fx(s, { kind: 'toast', error: s.decideError, level: 'error' });
    return;
  }
  if (req && req.type === 'quiz_answer') {
    // Refused: the question can be answered again.
    const pending = Object.assign({}, s.life.quizPending);
    delete pending[req.phase + ':' + req.question_id];
    s.life = Object.assign({}, s.life, { quizPending: pending });
  }
  if (m.code === 'protocol/rate_limited') return;
  fx(s, { kind: 'toast', error: { code: m.code, message: m.message }, level: 'error' });
}

function onMessage(s, a) {
  const m = a.m;
  switch (m.type) {
    case 'room_created': begin(s, m, 'solo'); break;
    case 'joined': begin(s, m, 'workshop'); break;
    case 'snapshot': onSnapshot(s, m, a); break;
    case 'event': onEvent(s, m.event); break;
    case 'round_result': onRoundResult(s, m, a); break;
    case 'life_over': onLifeOver(s, m, a); break;
    case 'ack': onAck(s, m); break;
    case 'error': onError(s, m); break;
    default: break;
  }
}

// --- Taps ---------------------------------------------------------------------------------------

function changeDraft(s, field, value) {
  const d = Object.assign({}, s.draft);
  d[field] = value;
  const c = cityOf(s.sc, d, s.status);
  const tiers = c.residents_pension_tiers || [];
  if (field === 'pension') {
    if (value === 'residents' && !d.residents_tier) d.residents_tier = tiers[Math.min(4, tiers.length - 1)];
    if (value === 'none') d.personal_pension = 0;
    if (value === 'employee' && !d.pension_base_pct) d.pension_base_pct = 60;
  }
  if (field === 'job') {
    const open = (s.status.options && s.status.options.jobs && s.status.options.jobs[value]) || null;
    if (open && d.pension && open.pension.indexOf(d.pension) < 0) { d.pension = 'none'; d.personal_pension = 0; }
    if (d.pension === 'residents' && tiers.indexOf(d.residents_tier) < 0) d.residents_tier = tiers[0];
  }
  s.draft = d;
  s.decideError = '';
}

function fromCache(s, a) {
  const session = a.session;
  const c = session.cache;
  s.me = { code: session.code, player_id: session.player_id, nickname: session.nickname, scenario_id: session.scenario_id || null, mode: session.mode, token: session.token };
  s.life = {
    history: session.history || [], quiz: session.quiz || { pre: {}, post: {} }, quizPending: session.quizPending || {},
    introDone: !!session.introDone, seenRound: session.seenRound === undefined ? -1 : session.seenRound,
  };
  if (c && c.status) {
    s.room = Object.assign({}, ROOM, c.room || {});
    s.status = c.status;
    s.lastStage = c.lastStage || null;
    s.lastClosed = c.lastClosed || null;
    s.lifeOver = c.lifeOver || null;
    s.draft = c.draft || null;
    s.draftRound = c.draftRound === undefined ? -1 : c.draftRound;
    s.sentRound = c.sentRound === undefined ? null : c.sentRound;
    s.ack = c.ack || null;
    s.step = c.step || 0;
    s.editing = !!c.editing;
  }
  s.message = { title: 'net.connecting', text: '' };
  go(s, 'message');
  if (session.scenario_id) fx(s, { kind: 'scenario', id: session.scenario_id });
}

function onTap(s, a) {
  switch (a.type) {
    case 'boot':
      s.prefillCode = a.code || '';
      s.fromLink = !!a.code;
      if (a.solo) s.startMode = 'solo';
      break;
    case 'scenarios': s.scenarios = a.list; break;
    case 'resume': fromCache(s, a); break;
    case 'scenario':
      s.sc = a.sc;
      // A refresh drew nothing yet: the cached screen (or the snapshot waiting for it).
      if (s.me && s.me.scenario_id === a.sc.id && (s.chooseOnScenario || (s.view === 'message' && s.status))) {
        s.chooseOnScenario = false;
        go(s, chooseView(s));
      }
      break;
    case 'scenario_failed':
      s.message = { title: 'err.title', text: 'err.scenario' };
      go(s, 'message');
      break;
    case 'join':
      s.prefillCode = a.code;
      s.joinNick = a.nickname;
      s.startMode = 'join';
      if (!/^\d{6}$/.test(a.code)) { s.formError = 'err.code'; fx(s, { kind: 'focus', id: 'join-code' }); break; }
      s.formError = '';
      s.joining = true;
      fx(s, { kind: 'connect', first: { type: 'join', client_msg_id: a.id, code: a.code, nickname: a.nickname }, nick: a.nickname });
      break;
    case 'solo':
      s.soloNick = a.nickname;
      s.startMode = 'solo';
      if (!a.scenario) { s.formError = 'err.pick'; break; }
      s.formError = '';
      s.joining = true;
      s.soloScenario = a.scenario;
      fx(s, { kind: 'connect', first: { type: 'create_room', client_msg_id: a.id, scenario_id: a.scenario, mode: 'solo', nickname: a.nickname }, nick: a.nickname });
      break;
    case 'pick_scenario': s.soloScenario = a.id; break;
    case 'join_other': s.fromLink = false; fx(s, { kind: 'focus', id: 'join-code' }); break;
    case 'intro_done':
      s.life = Object.assign({}, s.life, { introDone: true });
      if (roundOpenForMe(s)) go(s, 'round');
      break;
    case 'draft': changeDraft(s, a.field, a.value); break;
    case 'step': s.step = a.n; break;
    case 'edit': s.editing = true; s.step = 0; break;
    case 'send': send(s, a.id); break;
    case 'unsend': s.sentRound = null; fx(s, { kind: 'focus', id: 'decide-btn' }); break;
    case 'look': markSeen(s); go(s, 'round'); break;
    case 'keep_next':
      markSeen(s);
      go(s, 'round');
      s.editing = false;
      send(s, a.id);
      break;
    case 'to_end': markSeen(s); go(s, 'end'); break;
    case 'quiz':
      s.life = Object.assign({}, s.life, { quizPending: Object.assign({}, s.life.quizPending, { [a.phase + ':' + a.qid]: true }) });
      fx(s, { kind: 'send', msg: { type: 'quiz_answer', client_msg_id: a.id, phase: a.phase, question_id: a.qid, answer: a.answer } });
      break;
    default: break;
  }
}

/** The one reducer. */
export function reduce(state, a) {
  const s = Object.assign({}, state, { fx: [] });
  if (a.type === 'msg') {
    onMessage(s, a);
  } else if (a.type === 'net') {
    s.net = a.status;
    if (a.status === 'reconnecting') fx(s, { kind: 'announce', key: 'net.reconnecting' });
    if (s.joining && a.status === 'reconnecting') {
      s.joining = false;
      s.formError = 'err.connection';
      fx(s, { kind: 'stop' });
    }
    if (a.status === 'open' && state.wasDown) fx(s, { kind: 'announce', key: 'net.back' });
    s.wasDown = a.status === 'reconnecting';
  } else {
    onTap(s, a);
  }
  return s;
}
