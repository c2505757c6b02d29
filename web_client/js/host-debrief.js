// The end of a workshop on the big screen, one screen per step: the podium with the room's
// figures, talking points from the room's own lives (the fact, a question to ask, the source),
// the quiz before and after per question (live), and where to enrol for real with the exports;
// and the one-page summary the browser prints (css/host.css, @media print).
import { t, tx, getLang } from './i18n.js';
import { money, num, pct } from './format.js';
import { h, icon, iconText, bar } from './ui.js';
import { realWorldCard } from './common.js';
import { rememberLast } from './net.js';

function stat(id, value, label) {
  return h('div', { class: 'big-stat', id: id }, h('p', { class: 'big-stat-value' }, h('span', null, value)), h('p', { class: 'big-stat-label' }, label));
}

function gameOver(c) { return (c.H.session && c.H.session.gameOver) || {}; }

function roomStats(c, id) {
  const st = gameOver(c).stats || {};
  if (!st.players) return null;
  return h('div', { class: 'big-stats debrief-stats', id: id, 'data-testid': id },
    stat(id + '-mean', num(st.mean_score), t('host.d.mean')),
    stat(id + '-pension', num(st.with_monthly_pension) + ' / ' + num(st.players), t('host.d.pension')),
    stat(id + '-catastrophic', num(st.catastrophic), t('host.d.catastrophic')),
    stat(id + '-median', money(st.median_pension, true), t('host.d.median')));
}

export function podiumScreen(c) {
  const H = c.H;
  const go = gameOver(c);
  let top = go.podium;
  if (!top || !top.length) top = (c.lastClosed && c.lastClosed.leaderboard ? c.lastClosed.leaderboard.slice(0, 3) : null) || H.boardFallback || [];
  const order = [1, 0, 2].filter((i) => top[i]);
  const body = h('div', { class: 'podium-screen' },
    go.reason === 'host' ? h('p', { class: 'room-read muted' }, t('host.ended.early')) : null,
    top.length ? h('ol', { class: 'podium podium-big', id: 'podium', 'data-testid': 'podium' }, order.map((i) => h('li', { class: 'p' + (i + 1) },
      h('p', { class: 'who' }, top[i].nickname),
      h('p', { class: 'pts' }, t('host.points', { n: num(top[i].score) })),
      h('div', { class: 'step', 'aria-label': t('host.place', { n: i + 1 }) }, String(i + 1)))))
      : h('p', { id: 'podium', 'data-testid': 'podium', class: 'room-read' }, t('host.nopodium')),
    roomStats(c, 'debrief-stats'));
  return { title: t('host.podium'), body, next: { step: 'talk', label: t('host.next.talk') } };
}

/** A talking point's words: the fact (with the room's figures) and the question to ask. */
function pointText(p) {
  const vars = Object.assign({}, p);
  if (p.id === 'medical') {
    vars.bills = money(p.bills, p.estimate);
    vars.covered = money(p.covered, p.estimate);
    vars.share = pct(p.share, p.estimate);
    vars.uninsured_paid = money(p.uninsured_paid, p.estimate);
  }
  const factKey = p.id === 'pension' && p.never > 0 ? 'host.tp.pension.never' : 'host.tp.' + p.id;
  return { fact: t(factKey, vars), ask: t('host.tp.' + p.id + '.ask') };
}

export function talkScreen(c) {
  const points = gameOver(c).talking_points || [];
  const body = points.length ? h('ol', { class: 'points', id: 'debrief-points', 'data-testid': 'debrief-points' }, points.slice(0, 4).map((p) => {
    const words = pointText(p);
    return h('li', { 'data-point': p.id },
      h('p', { class: 'point-fact' }, words.fact),
      h('p', { class: 'point-ask' }, iconText('question', words.ask)),
      h('p', { class: 'source' }, t('source') + ' ' + p.source));
  })) : h('p', { class: 'room-read', id: 'debrief-points' }, t('host.tp.none'));
  return { title: t('host.d.prompts'), body, next: { step: 'quiz', label: t('host.next.quiz') }, back: { step: 'podium', label: t('host.back.podium') } };
}

function quizRows(c) {
  const H = c.H;
  const report = H.report || [];
  const ids = H.room.quizIds && H.room.quizIds.length ? H.room.quizIds : report.map((q) => q.question_id);
  return ids.map((id) => {
    const rep = report.find((q) => q.question_id === id) || { pre_count: 0, post_count: 0, pre_share_correct: null, post_share_correct: null };
    const q = H.sc && H.sc.quiz.find((x) => x.id === id);
    return { id, rep, q };
  });
}

export function quizScreen(c) {
  const H = c.H;
  const rows = quizRows(c);
  const body = h('div', { class: 'quiz-screen', id: 'debrief-quiz', 'data-testid': 'debrief-quiz' },
    H.reportError ? h('p', { class: 'form-error' }, H.reportError) : null,
    rows.length ? h('ol', { class: 'quiz-rows' }, rows.map(({ id, rep, q }) => h('li', { 'data-question': id },
      h('p', { class: 'quiz-q' }, q ? tx(q.question) : id),
      q ? h('p', { class: 'quiz-a' }, iconText('check', t('host.d.answer', { answer: tx(q.options[q.answer]) }))) : null,
      h('ul', { class: 'bars big-bars' },
        h('li', { 'data-phase': 'pre' }, h('span', null, t('host.d.before', { n: rep.pre_count })), bar(rep.pre_share_correct || 0, rep.pre_share_correct === null ? '—' : pct(rep.pre_share_correct), 'alt')),
        h('li', { 'data-phase': 'post' }, h('span', null, t('host.d.after', { n: rep.post_count })), bar(rep.post_share_correct || 0, rep.post_share_correct === null ? '—' : pct(rep.post_share_correct), 'good'))))))
      : h('p', { class: 'room-read' }, t('host.d.quiz.wait')),
    h('p', { class: 'muted live-note' }, t('host.d.quiz.live')));
  return { title: t('host.d.quiz'), body, next: { step: 'real', label: t('host.next.real') }, back: { step: 'talk', label: t('host.back.talk') } };
}

export function realScreen(c) {
  const sc = c.H.sc;
  const cards = sc && sc.real_world ? sc.real_world.slice(0, 3) : [];
  const body = h('div', { class: 'real-screen', id: 'debrief-real', 'data-testid': 'debrief-real' },
    h('h2', { class: 'real-lead' }, iconText('phone', t('host.real.lead'))),
    h('div', { class: 'real-cards' }, cards.map(realWorldCard)),
    h('div', { class: 'controls trainer-tools', id: 'host-export' },
      h('button', { type: 'button', class: 'btn', id: 'host-print', 'data-testid': 'host-print', onclick: () => window.print() }, icon('download'), h('span', null, t('host.print'))),
      h('button', { type: 'button', class: 'btn', id: 'host-export-csv', 'data-testid': 'host-export-csv', onclick: () => c.download('csv') }, icon('download'), h('span', null, t('host.export.csv'))),
      h('button', { type: 'button', class: 'btn', id: 'host-export-json', 'data-testid': 'host-export-json', onclick: () => c.download('json') }, icon('download'), h('span', null, t('host.export.json'))),
      h('a', { href: 'host.html', class: 'btn btn-ghost', id: 'host-new', onclick: () => rememberLast('host', null) }, t('host.new'))),
    h('p', { class: 'hint' }, t('host.export.note')));
  return { title: t('host.real.title'), body, back: { step: 'quiz', label: t('host.back.quiz') } };
}

/** The one-page summary for the trainer: hidden on screen, the only thing printed. */
export function printSummary(c) {
  const H = c.H;
  const points = gameOver(c).talking_points || [];
  const sc = H.sc;
  const when = new Date().toLocaleDateString(getLang());
  return h('section', { class: 'print-summary', id: 'print-summary', 'data-testid': 'print-summary', 'aria-hidden': 'true' },
    h('p', { class: 'print-title' }, t('host.print.title', { code: H.session.code, date: when })),
    h('p', null, sc ? tx(sc.title) : ''),
    roomStats(c, 'print-stats'),
    h('p', { class: 'print-h' }, t('host.d.prompts')),
    h('ol', null, points.map((p) => {
      const words = pointText(p);
      return h('li', null, words.fact + ' ' + words.ask, h('br'), h('small', null, t('source') + ' ' + p.source));
    })),
    h('p', { class: 'print-h' }, t('host.d.quiz')),
    h('table', { class: 'print-quiz' },
      h('thead', null, h('tr', null, h('th', null, t('host.print.q')), h('th', null, t('host.print.pre')), h('th', null, t('host.print.post')))),
      h('tbody', null, quizRows(c).map(({ id, rep, q }) => h('tr', null,
        h('td', null, q ? tx(q.question) : id),
        h('td', null, rep.pre_share_correct === null ? '—' : pct(rep.pre_share_correct) + ' (' + rep.pre_count + ')'),
        h('td', null, rep.post_share_correct === null ? '—' : pct(rep.post_share_correct) + ' (' + rep.post_count + ')'))))),
    h('p', { class: 'print-h' }, t('host.real.title')),
    h('ul', null, (sc && sc.real_world ? sc.real_world : []).slice(0, 4).map((r) => h('li', null, tx(r.title) + '：' + tx(r.steps)))));
}
