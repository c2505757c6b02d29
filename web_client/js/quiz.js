// The quiz, before the life (lobby) and after it (end): one question at a time — the answered
// ones, then the first open one. Drawn from the state (its answers and what is on its way).
import { t, tx } from './i18n.js';
import { h, clear, icon, iconText, card, toast, msgId } from './ui.js';
import { sourceIn } from './sources.js';
import { isEn } from './i18n.js';
import { quizQuestions } from './state.js';

export function deps(s) {
  return [s.sc, s.room.quizIds, s.life.quiz, s.life.quizPending];
}

export function renderQuiz(box, s, phase, dispatch) {
  if (!box || !s.sc || !s.me) return;
  clear(box);
  const quiz = s.life.quiz;
  let open = 0;
  quizQuestions(s).forEach((q, qi) => {
    const done = phase === 'pre' ? quiz.pre[q.id] : quiz.post[q.id];
    if (done === undefined && open++ > 0) return;
    const waiting = !!s.life.quizPending[phase + ':' + q.id];
    const pending = phase === 'pre' ? done === undefined && waiting : !done && waiting;
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
      const before = quiz.pre[q.id];
      if (before !== undefined) body.push(h('p', { class: 'muted' }, t('quiz.before', { answer: tx(q.options[before]) })));
      body.push(h('p', { class: 'explain' }, tx(q.explanation)));
      body.push(h('p', { class: 'source' }, t('source') + ' ' + sourceIn(q.source, isEn())));
    } else {
      body.push(h('button', {
        type: 'button', class: 'btn', 'data-testid': name + '-submit', id: name + '-submit', disabled: pending,
        onclick: () => {
          const picked = box.querySelector('input[name="' + name + '"]:checked');
          if (!picked) { toast(t('quiz.pick'), 'error'); return; }
          dispatch({ type: 'quiz', phase: phase, qid: q.id, answer: Number(picked.value), id: msgId('q') });
        },
      }, pending ? t('quiz.sending') : t('quiz.answer')));
    }
    box.appendChild(card({ class: 'quiz-card', testid: 'quiz-' + q.id }, body));
  });
}
