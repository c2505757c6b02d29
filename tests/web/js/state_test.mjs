// The player's reducer (web_client/js/state.js) on its own, in Node: real transitions, each on
// a frozen state (the reducer must not change what it is given). Prints one line per check and
// "N passed"; exits 1 on the first failure.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const path = process.argv[2];
// state.js imports nothing: loaded as it is served, from its text.
const S = await import('data:text/javascript;base64,' + Buffer.from(readFileSync(path)).toString('base64'));

function freeze(o) {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) { Object.freeze(o); for (const k of Object.keys(o)) freeze(o[k]); }
  return o;
}
function run(state, ...actions) {
  let s = state;
  for (const a of actions) s = S.reduce(freeze(s), a);
  return s;
}

const SC = {
  id: 'demo', start_year: 2026, persona: { birth_year: 1996, hukou_city: 'cd', start_savings: 20000 },
  cities: [{ id: 'cd', residents_pension_tiers: [100, 300, 500, 700, 1000, 2000] }],
  jobs: [{ id: 'rider', city: 'cd' }], quiz: [],
};
const DEFAULTS = { pension: 'employee', medical: 'residents', accident_insurance: true, job: 'rider', hours: 'full_time', saving_rate: 20, pension_base_pct: 60, residents_tier: 0, personal_pension: 0 };
function status(round) {
  return { round: round, age: 30 + round * 4, savings: 1000, health: 90, rounds: 9, defaults: DEFAULTS, stage: { index: round, phase: 'working', start_age: 30 + round * 4, years: 4 }, options: { jobs: { rider: { pension: ['none', 'residents', 'employee'] } } } };
}
function inRoom(mode) {
  let s = run(S.initialState(), { type: 'msg', m: { type: mode === 'solo' ? 'room_created' : 'joined', code: '123456', player_id: 'p1', nickname: 'A', player_token: 'tok', scenario_id: 'demo' } });
  s = run(s, { type: 'scenario', sc: SC }, { type: 'net', status: 'open' });
  return s;
}
function snapshot(round, roundState, extra) {
  return { type: 'msg', m: Object.assign({ type: 'snapshot', scenario_id: 'demo', mode: 'workshop', nickname: 'A', player_id: 'p1', room_status: 'playing', round: round, round_state: roundState, deadline: 0, remaining: 0, pool: false, rounds: 9, player_count: 3, status: status(round) }, extra || {}) };
}
const opened = (round) => ({ type: 'msg', m: { type: 'event', seq: 5, event: { kind: 'round_opened', round: round, deadline: 0, rounds: 9 } } });
let passed = 0;
function check(name, fn) { fn(); passed += 1; console.log('ok ' + name); }

check('joined: in the room, the session begins', () => {
  const s = inRoom('workshop');
  assert.equal(s.me.code, '123456');
  assert.equal(s.joining, false);
});

check('round_opened in round 1: to the cards, the draft starts empty', () => {
  let s = run(inRoom('workshop'), snapshot(0, 'closed', { room_status: 'lobby' }));
  assert.equal(s.view, 'lobby');
  s = run(s, opened(0));
  assert.equal(s.view, 'round');
  assert.equal(s.draftRound, 0);
  for (const k of S.EXPLICIT) assert.equal(s.draft[k], null, k);
  assert.equal(s.draft.job, 'rider');
  assert.equal(s.editing, true);
  assert.equal(s.step, 0);
});

check('round_opened later: the draft starts from the last choices, "keep" first', () => {
  let s = run(inRoom('workshop'), snapshot(1, 'closed', { last_stage: { round: 1, start_age: 34, end_age: 38, events: [], decisions: DEFAULTS } }));
  assert.equal(s.view, 'result');
  s = run(s, { type: 'msg', m: { type: 'round_result', status: status(2), stage: { round: 1, start_age: 34, end_age: 38 } } }, opened(2));
  assert.equal(s.view, 'result'); // the result stays on show until the player goes on
  s = run(s, { type: 'look' });
  assert.equal(s.view, 'round');
  assert.deepEqual(s.draft, DEFAULTS);
  assert.equal(s.editing, false);
  assert.equal(s.life.seenRound, 1);
});

check('send offline: "waiting to send", the decide message queued; the ack makes it "sent"', () => {
  let s = run(inRoom('workshop'), snapshot(0, 'closed', { room_status: 'lobby' }), opened(0));
  s = run(s, { type: 'draft', field: 'pension', value: 'none' }, { type: 'draft', field: 'medical', value: 'none' }, { type: 'draft', field: 'accident_insurance', value: false });
  s = run(s, { type: 'net', status: 'reconnecting' }, { type: 'send', id: 'd-1' });
  assert.equal(S.sentNow(s), true);
  assert.equal(s.ack, null);
  const sent = s.fx.find((e) => e.kind === 'send');
  assert.equal(sent.msg.type, 'decide');
  assert.equal(sent.msg.client_msg_id, 'd-1');
  assert.equal(sent.msg.round, 0);
  assert.equal(sent.msg.decisions.pension, 'none');
  assert.ok(s.fx.some((e) => e.kind === 'announce' && e.key === 'pc.queued'));
  s = run(s, { type: 'net', status: 'open' }, { type: 'msg', m: { type: 'ack', request: sent.msg, decided: 2, total: 3 } });
  assert.deepEqual(s.ack, { decided: 2, total: 3 });
  assert.ok(s.fx.some((e) => e.kind === 'announce' && e.key === 'pc.sent'));
});

check('an ack for another round changes nothing', () => {
  let s = run(inRoom('workshop'), snapshot(0, 'closed', { room_status: 'lobby' }), opened(0), { type: 'send', id: 'd-2' });
  s = run(s, { type: 'msg', m: { type: 'ack', request: { type: 'decide', round: 7 }, decided: 1, total: 3 } });
  assert.equal(s.ack, null);
});

check('a refused decision: back to the cards with the error', () => {
  let s = run(inRoom('workshop'), snapshot(0, 'closed', { room_status: 'lobby' }), opened(0), { type: 'send', id: 'd-3' });
  s = run(s, { type: 'msg', m: { type: 'error', code: 'rule/bad', request: { type: 'decide', round: 0 } } });
  assert.equal(S.sentNow(s), false);
  assert.equal(s.decideError.code, 'rule/bad');
});

check('a snapshot with a pending decision: already sent', () => {
  const s = run(inRoom('workshop'), snapshot(3, 'open', { pending: { pension: 'none' }, decided: 1 }));
  assert.equal(s.view, 'round');
  assert.equal(S.sentNow(s), true);
  assert.equal(s.draft.pension, 'none');
  assert.deepEqual(s.ack, { decided: 1, total: 3 });
});

check('life_over: to the end view (or after the last result)', () => {
  let s = run(inRoom('solo'), snapshot(8, 'open'));
  const over = { type: 'msg', m: { type: 'life_over', life_over: { summary: { score: 500 } }, stage: { round: 8, start_age: 78, end_age: 90 } } };
  const end = run(s, over);
  assert.equal(end.view, 'end');
  assert.equal(end.lifeOver.summary.score, 500);
  assert.deepEqual(S.currentScore(end), { score: 500, estimated: false });
  s = run(s, { type: 'msg', m: { type: 'round_result', status: status(8), stage: { round: 8, start_age: 78, end_age: 90 } } });
  assert.equal(s.view, 'result');
  s = run(s, over);
  assert.equal(s.view, 'result');
  s = run(s, { type: 'to_end' });
  assert.equal(s.view, 'end');
});

check('the residents pension picked: a tier of the city is set', () => {
  let s = run(inRoom('workshop'), snapshot(0, 'closed', { room_status: 'lobby' }), opened(0));
  s = run(s, { type: 'draft', field: 'pension', value: 'residents' });
  assert.equal(s.draft.residents_tier, 1000);
});

check('kicked: the session is dropped, a message shown', () => {
  let s = run(inRoom('workshop'), snapshot(0, 'closed', { room_status: 'lobby' }));
  s = run(s, { type: 'msg', m: { type: 'event', seq: 9, event: { kind: 'player_kicked', player_id: 'p1' } } });
  assert.equal(s.view, 'message');
  assert.equal(s.me, null);
  assert.ok(s.fx.some((e) => e.kind === 'drop' && e.code === '123456'));
});

check('a join with a bad code: an error, no socket', () => {
  const s = run(S.initialState(), { type: 'join', code: '12', nickname: 'A', id: 'j-1' });
  assert.equal(s.formError, 'err.code');
  assert.ok(!s.fx.some((e) => e.kind === 'connect'));
  const ok = run(S.initialState(), { type: 'join', code: '654321', nickname: 'A', id: 'j-2' });
  assert.equal(ok.joining, true);
  assert.equal(ok.fx.find((e) => e.kind === 'connect').first.code, '654321');
});

check('a quiz answer: on its way until the ack, then kept; a refused one can be sent again', () => {
  let s = run(inRoom('solo'), snapshot(0, 'open'));
  s = run(s, { type: 'quiz', phase: 'pre', qid: 'q1', answer: 2, id: 'q-1' });
  assert.equal(s.life.quizPending['pre:q1'], true);
  const msg = s.fx.find((e) => e.kind === 'send').msg;
  assert.equal(msg.type, 'quiz_answer');
  const acked = run(s, { type: 'msg', m: { type: 'ack', request: msg } });
  assert.equal(acked.life.quiz.pre.q1, 2);
  assert.equal(acked.life.quizPending['pre:q1'], undefined);
  const refused = run(s, { type: 'msg', m: { type: 'error', code: 'rule/bad', request: msg } });
  assert.equal(refused.life.quizPending['pre:q1'], undefined);
  assert.equal(refused.life.quiz.pre.q1, undefined);
});

console.log(passed + ' passed');
