// A round's decisions as a short run of cards, one decision each: pension, medical, injury
// cover, then work and saving. Each card fits a 360×640 phone with its button in view.
// Which options are open comes from the server (status.options, found by the engine's own rule
// check): no eligibility rule lives here. render(view) → a <form>; the caller keeps the state.
import { t, tx } from './i18n.js';
import { money, pct, yrs } from './format.js';
import { h, icon, iconText, readButton } from './ui.js';
import * as SC from './scenario.js';

// The fields a first round cannot pass without a tap (the reducer's).
import { EXPLICIT } from './state.js';
export { EXPLICIT };

/** The cards of this round, in order. */
export function stepsFor(st) {
  const working = st.stage.phase === 'working';
  if (working) return ['pension', 'medical', 'injury', 'work', 'saving'];
  const short = st.employee_years > 0 && st.employee_years < st.minimum_years;
  const open = (st.options && st.options.pension) || [];
  const canPay = open.indexOf('employee') >= 0;
  const residents = open.indexOf('residents') >= 0;
  return ((short && canPay) || residents ? ['pension'] : []).concat(['medical', 'saving']);
}

/** What the card `step` asks, and whether it is answered. */
function answered(step, d) {
  if (step === 'pension') return d.pension !== null && d.pension !== undefined;
  if (step === 'medical') return d.medical !== null && d.medical !== undefined;
  if (step === 'injury') return d.accident_insurance !== null && d.accident_insurance !== undefined;
  return true;
}

function jobOptions(st, jobId) {
  const jobs = (st.options && st.options.jobs) || {};
  return jobs[jobId] || { pension: ['none'], residents_tiers: [], accident_insurance: [false] };
}

function choice(name, o, value, onchange) {
  const id = name + '-' + String(o.value).replace(/[^a-z0-9_-]/gi, '_');
  const input = h('input', {
    type: 'radio', name: name, id: id, value: String(o.value), checked: value !== null && value !== undefined && String(o.value) === String(value),
    disabled: o.disabled, 'data-testid': id,
    onchange: () => { if (input.checked) onchange(o.value); },
  });
  return h('label', { class: 'choice' + (o.disabled ? ' disabled' : ''), for: id },
    input,
    h('span', { class: 'choice-body' },
      h('span', { class: 'choice-main' }, o.icon ? icon(o.icon) : null, h('span', null, o.label),
        o.cost !== undefined ? h('span', { class: 'choice-cost' }, o.cost) : null),
      o.note ? h('span', { class: 'choice-note' }, o.note) : null));
}

function choices(name, options, value, onchange, cls) {
  return h('div', { class: 'choices' + (cls ? ' ' + cls : ''), role: 'radiogroup', 'aria-labelledby': 'card-q' },
    options.map((o) => choice(name, o, value, onchange)));
}

function question(ic, text) {
  return h('h2', { class: 'card-q', id: 'card-q' }, icon(ic), h('span', null, text));
}

function pensionCard(v) {
  const { sc, st, d, change } = v;
  const c = SC.cityOfDecision(sc, d, st);
  if (st.stage.phase !== 'working') {
    const open = (st.options && st.options.pension) || [];
    const opts = [];
    const short = open.indexOf('employee') >= 0 && st.employee_years > 0 && st.employee_years < st.minimum_years;
    if (short) {
      const cost = SC.prices(st).make_up || 0;
      opts.push({ value: 'employee', icon: 'check', label: t('pension.makeup'), cost: t('pension.makeup.cost', { amount: money(cost, true) }), note: t('pc.makeup.note') });
    }
    const tiers = (st.options && st.options.residents_tiers) || [];
    if (open.indexOf('residents') >= 0 && tiers.length) {
      // Paying the residents' pension on: to 60, and past 60 until 15 years (延缴/补缴).
      // Three options must still fit the phone: the note only where it is one of two.
      opts.push({ value: 'residents', icon: 'home', label: t('pc.pension.residents.on'), cost: t('pc.per.month', { amount: money(tiers[0] / 12) }), note: short ? undefined : t('pc.pension.residents.on.note') });
    }
    opts.push({ value: 'none', icon: 'cross', label: t('pension.stop'), cost: money(0), note: t(short ? 'pc.stop.note' : 'pc.stop.residents.note') });
    if (opts.length > 2) for (const o of opts) o.note = undefined; // three must fit the phone
    const q = opts.length > 1 && opts[0].value === 'employee'
      ? t('dec.pension.short', { years: yrs(st.employee_years), min: yrs(st.minimum_years) }) : t('dec.pension');
    return [question('coin', q),
      choices('pension', opts, d.pension, (x) => { change('pension', x); if (x === 'residents') change('residents_tier', tiers[0]); }, 'choices-stack')];
  }
  const open = jobOptions(st, d.job);
  const tiers = open.residents_tiers.length ? open.residents_tiers : c.residents_pension_tiers;
  const tier = d.residents_tier || tiers[0];
  const est = SC.employeePensionEstimate(c);
  const out = [question('coin', t('dec.pension')),
    choices('pension', [
      { value: 'none', icon: 'cross', label: t('pension.none'), cost: money(0), note: t('pc.pension.none') },
      {
        value: 'residents', icon: 'home', label: t('pc.pension.residents'), disabled: open.pension.indexOf('residents') < 0,
        cost: t('pc.per.month', { amount: money(tier / 12) }),
        note: open.pension.indexOf('residents') < 0 ? t('pc.closed') : t('pc.pension.residents.note', { basic: money(c.residents_pension_basic_monthly.value, c.residents_pension_basic_monthly.estimate) }),
      },
      {
        value: 'employee', icon: 'work', label: t('pc.pension.employee'), disabled: open.pension.indexOf('employee') < 0,
        cost: t('pc.per.month', { amount: money(SC.employeePensionPrice(st, c, d.pension_base_pct || 60), est) }),
        note: open.pension.indexOf('employee') < 0 ? t('pc.closed')
          : st.employee_years > 0 ? t('pc.years', { years: yrs(st.employee_years), min: yrs(st.minimum_years) })
            : t('pc.pension.employee.note', { min: yrs(st.minimum_years) }),
      },
    ], d.pension, (x) => change('pension', x), 'choices-stack')];
  if (d.pension === 'residents') {
    out.push(select('residents-tier', t('pc.tier'), tiers.map((x) => ({ value: x, label: t('per.year.month', { year: money(x), month: money(x / 12) }) })), tier, (x) => change('residents_tier', Number(x))));
  }
  if (d.pension === 'employee') {
    const pcts = uniq([60, 80, 100, 150, 200, 300, d.pension_base_pct || 60]);
    out.push(select('base-pct', t('pc.base'), pcts.map((p) => ({
      value: p, label: t('pc.base.option', { pct: p, pay: money(SC.employeePensionPrice(st, c, p), est) }),
    })), d.pension_base_pct || 60, (x) => change('pension_base_pct', Number(x))));
  }
  return out;
}

function medicalCard(v) {
  const { sc, st, d, change, prev } = v;
  const c = SC.cityOfDecision(sc, d, st);
  const open = (st.options && st.options.medical) || ['none', 'residents', 'employee'];
  const inR = c.residents_medical.inpatient_rate;
  const inE = c.employee_medical.inpatient_rate;
  const out = [question('medical', t('dec.medical')),
    choices('medical', [
      { value: 'none', icon: 'cross', label: t('medical.none'), cost: money(0), note: t('medical.none.note') },
      {
        value: 'residents', icon: 'home', label: t('medical.residents'), disabled: open.indexOf('residents') < 0,
        cost: t('pc.per.month', { amount: money(SC.medicalPrice(st, c, 'residents'), c.residents_medical_premium_yearly.estimate) }),
        note: t('pc.medical.note', { rate: pct(inR.value, inR.estimate) }),
      },
      {
        value: 'employee', icon: 'work', label: t('pc.medical.employee'), disabled: open.indexOf('employee') < 0,
        cost: t('pc.per.month', { amount: money(SC.medicalPrice(st, c, 'employee'), SC.employeeMedicalEstimate(c)) }),
        note: t('pc.medical.note', { rate: pct(inE.value, inE.estimate) }) + t('pc.medical.employee.note', { years: c.employee_medical_years_for_retirement.value }),
      },
    ], d.medical, (x) => change('medical', x), 'choices-stack')];
  if (prev && prev.medical === 'none' && d.medical && d.medical !== 'none') out.push(h('p', { class: 'warn-note' }, iconText('alert', t('medical.waiting'))));
  return out;
}

function injuryCard(v) {
  const { sc, st, d, change } = v;
  const j = SC.job(sc, d.job);
  const year = st.stage.start_year;
  const ins = sc.commercial_accident_insurance;
  const open = jobOptions(st, d.job).accident_insurance;
  let note;
  if (SC.pilotOn(j, year)) note = h('p', { class: 'ok-note', id: 'pilot-note' }, iconText('shield', t('pc.injury.pilot')));
  else if (j && j.injury_pilot_from_year && j.injury_pilot_from_year.value < year + st.stage.years) note = h('p', { class: 'ok-note', id: 'pilot-note' }, iconText('shield', t('pc.injury.pilot.from', { year: j.injury_pilot_from_year.value })));
  else note = h('p', { class: 'warn-note', id: 'pilot-note' }, iconText('alert', t('pc.injury.none')));
  return [question('bolt', t('dec.injury')), note,
    choices('accident', [
      {
        value: 'yes', icon: 'shield', label: t('injury.buy'), disabled: open.indexOf(true) < 0,
        cost: t('pc.per.month', { amount: money(SC.accidentPrice(st), ins.premium_yearly.estimate) }),
        note: t('pc.injury.buy.note', { cap: money(ins.medical_cap.value, ins.medical_cap.estimate) }),
      },
      { value: 'no', icon: 'cross', label: t('pc.injury.no'), cost: money(0), note: t('pc.injury.no.note') },
    ], d.accident_insurance === null || d.accident_insurance === undefined ? null : d.accident_insurance ? 'yes' : 'no',
    (x) => change('accident_insurance', x === 'yes'), 'choices-stack')];
}

function workCard(v) {
  const { sc, st, d, change } = v;
  const open = (st.options && st.options.jobs) || {};
  const j = SC.job(sc, d.job);
  return [question('work', t('pc.job.q')),
    // Each job's name says its city, so a move shows without a tag.
    choices('job', sc.jobs.filter((x) => open[x.id]).map((x) => ({
      value: x.id, label: tx(x.name), cost: money(SC.incomePrice(st, x, 'full_time'), x.monthly_income_full_time.estimate),
    })), d.job, (x) => change('job', x), 'choices-stack choices-tight'),
    // Hours: a smaller choice, on the same card (the income of each beside it).
    select('hours', t('pc.hours.q'), ['part_time', 'full_time', 'long_hours'].map((x) => ({
      value: x, label: t('pc.hours.option', { hours: t('hours.' + x), amount: money(SC.incomePrice(st, j, x), j && j.monthly_income_full_time.estimate), note: t('hours.note.' + x) }),
    })), d.hours, (y) => change('hours', y))];
}

function savingCard(v) {
  const { sc, st, d, change } = v;
  const working = st.stage.phase === 'working';
  const open = (st.options && st.options.saving_rate) || [0, 10, 20, 30, 40, 50];
  const out = [question('wallet', t('dec.saving')),
    h('div', { class: 'choices choices-row', role: 'radiogroup', 'aria-labelledby': 'card-q' }, uniq(open.concat([d.saving_rate])).map((r) => choice('saving', { value: r, label: r + '%' }, d.saving_rate, (x) => change('saving_rate', Number(x)))))];
  if (working) {
    const amounts = ((st.options && st.options.personal_pension) || {})[d.pension] || [0];
    if (amounts.length > 1) {
      out.push(select('personal-pension', t('pc.personal'), amounts.map((a) => ({
        value: a, label: a ? t('per.year.month', { year: money(a), month: money(a / 12) }) : t('personal.none'),
      })), d.personal_pension || 0, (x) => change('personal_pension', Number(x))));
    }
  }
  out.push(monthSummary(sc, st, d, v.lastPhase));
  return out;
}

/** Income, living costs, cover and what is left, a month. */
export function monthSummary(sc, st, d, lastPhase) {
  const working = st.stage.phase === 'working';
  const c = SC.cityOfDecision(sc, d, st);
  const costs = SC.monthlyCosts(sc, d, st, st.stage.phase);
  const j = d.job ? SC.job(sc, d.job) : null;
  const incomeM = working ? SC.incomePrice(st, j, d.hours) : st.monthly_pension;
  const pending = !working && st.monthly_pension === 0 && lastPhase === 'working';
  const living = SC.livingPrice(st, c);
  const left = incomeM - living - costs.total;
  const est = costs.estimate || c.living_cost_monthly.estimate || (j && j.monthly_income_full_time.estimate);
  const rows = [
    [working ? t('sum.income') : t('sum.pension'), pending ? t('sum.pension.tbd') : money(incomeM, working && j && j.monthly_income_full_time.estimate), ''],
    [t('sum.living'), '− ' + money(living, c.living_cost_monthly.estimate), ''],
    // The cover's cost against this income (the question every worker asks first), in small
    // under the word, so the sum keeps its line.
    [incomeM > 0 && costs.total > 0
      ? [t('sum.cover'), h('span', { class: 'sum-share', id: 'cover-share' }, t('sum.cover.share', { pct: Math.round(costs.total / incomeM * 100) }))]
      : t('sum.cover'),
    '− ' + money(costs.total, costs.estimate), 'sum-cover'],
    [t('sum.left'), pending ? '—' : money(left, est), !pending && left < 0 ? 'neg sum-total' : 'sum-total'],
  ];
  return h('section', { class: 'month-summary', id: 'month-summary', 'data-testid': 'month-summary', 'aria-label': t('sum.title') },
    h('dl', null, rows.map((r) => h('div', { class: 'sum-row ' + r[2] }, h('dt', null, r[0]), h('dd', null, r[1])))),
    !pending && left < 0 ? h('p', { class: 'warn-note' }, iconText('alert', t('sum.negative'))) : null);
}

function select(id, label, options, value, onchange) {
  const sel = h('select', { id: id, name: id, 'data-testid': id, onchange: () => onchange(sel.value) },
    options.map((o) => h('option', { value: String(o.value), selected: String(o.value) === String(value) }, o.label)));
  return h('div', { class: 'select-field select-inline' }, h('label', { for: id }, label), sel);
}

function uniq(list) {
  return list.filter((x, i) => list.indexOf(x) === i).sort((a, b) => a - b);
}

/** The choices being kept, one line each with its icon. */
export function keptLines(sc, st, d) {
  const working = st.stage.phase === 'working';
  const c = SC.cityOfDecision(sc, d, st);
  const lines = [];
  if (working) {
    const j = SC.job(sc, d.job);
    if (j) lines.push(['work', tx(j.name) + ' · ' + t('hours.' + d.hours)]);
    if (d.pension === 'employee') lines.push(['coin', t('pc.kept.pension.employee', { amount: money(SC.employeePensionPrice(st, c, d.pension_base_pct || 60), SC.employeePensionEstimate(c)) })]);
    else if (d.pension === 'residents') lines.push(['coin', t('pc.kept.pension.residents', { amount: money(d.residents_tier / 12) })]);
    else lines.push(['cross', t('pc.kept.pension.none')]);
  } else if (d.pension === 'employee') {
    lines.push(['coin', t('pension.makeup')]);
  }
  if (d.medical === 'residents') lines.push(['medical', t('pc.kept.medical', { name: t('medical.residents'), amount: money(SC.medicalPrice(st, c, 'residents'), c.residents_medical_premium_yearly.estimate) })]);
  else if (d.medical === 'employee') lines.push(['medical', t('pc.kept.medical', { name: t('pc.medical.employee'), amount: money(SC.medicalPrice(st, c, 'employee'), SC.employeeMedicalEstimate(c)) })]);
  else lines.push(['cross', t('pc.kept.medical.none')]);
  if (working) lines.push(d.accident_insurance ? ['shield', t('pc.kept.accident', { amount: money(SC.accidentPrice(st), sc.commercial_accident_insurance.premium_yearly.estimate) })] : ['cross', t('pc.kept.accident.none')]);
  lines.push(['wallet', t('pc.kept.saving', { rate: d.saving_rate })]);
  return lines;
}

function header(v) {
  const st = v.st;
  const stage = st.stage;
  return h('div', { class: 'round-head' },
    h('h1', { id: 'round-title', 'data-testid': 'round-title' }, t('round.title', { n: stage.index + 1, total: st.rounds })),
    h('p', { class: 'round-when' }, t('pc.round.when', { a0: stage.start_age, a1: stage.start_age + stage.years - 1, years: stage.years }),
      // The step as a bar (its name for screen readers): no words to read on every card.
      v.editing ? h('progress', { class: 'step-count', 'data-testid': 'step-count', max: v.steps.length, value: v.step + 1, 'aria-label': t('pc.step', { n: v.step + 1, total: v.steps.length }) }) : null));
}

/** A "read aloud" button in the card's question line (no extra height on the card). */
function withReadAloud(el) {
  const q = el.querySelector('.card-q');
  if (q) q.appendChild(readButton(el));
  return el;
}

/** The round's form: the "keep everything" card, or one decision card. */
export function renderDecisions(v) {
  const form = h('form', {
    id: 'decision-form', class: 'form decisions decision-cards', 'data-testid': 'decision-form', 'data-phase': v.st.stage.phase, novalidate: true,
    onsubmit: (e) => { e.preventDefault(); },
  });
  form.appendChild(header(v));
  if (!v.editing) {
    form.setAttribute('data-step', 'keep');
    form.appendChild(withReadAloud(h('section', { class: 'card keep-card', id: 'keep-card', 'data-testid': 'keep-card', 'aria-labelledby': 'card-q' },
      question('check', t('pc.keep.q')),
      h('ul', { class: 'facts kept', id: 'kept-list' }, keptLines(v.sc, v.st, v.d).map((l) => h('li', null, iconText(l[0], l[1])))))));
    if (v.error) form.appendChild(h('p', { class: 'form-error', role: 'alert', id: 'decide-error' }, v.error));
    form.appendChild(h('div', { class: 'action-bar action-pair' },
      h('button', { type: 'button', class: 'btn btn-ghost', id: 'edit-btn', 'data-testid': 'edit-btn', onclick: v.edit }, h('span', null, t('pc.edit'))),
      h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'decide-btn', 'data-testid': 'decide-btn', disabled: v.paused, onclick: v.send }, icon('check'), h('span', null, t('pc.keep.all')))));
    return form;
  }
  const step = v.steps[v.step];
  form.setAttribute('data-step', step);
  const body = { pension: pensionCard, medical: medicalCard, injury: injuryCard, work: workCard, saving: savingCard }[step](v);
  form.appendChild(withReadAloud(h('fieldset', { class: 'card decision-card', id: 'card-' + step, 'data-testid': 'card-' + step }, body)));
  const last = v.step === v.steps.length - 1;
  const ok = answered(step, v.d);
  if (v.error) form.appendChild(h('p', { class: 'form-error', role: 'alert', id: 'decide-error' }, v.error));
  form.appendChild(h('div', { class: 'action-bar action-pair' },
    v.step > 0 ? h('button', { type: 'button', class: 'btn btn-ghost', id: 'prev-step', 'data-testid': 'prev-step', onclick: () => v.goStep(v.step - 1) }, t('pc.back')) : null,
    last
      ? h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'decide-btn', 'data-testid': 'decide-btn', disabled: v.paused || !v.complete, onclick: v.send }, icon('check'), h('span', null, t('dec.confirm')))
      // Until one is tapped the button says why it waits ("tap one first"), in its own place.
      : h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'next-step', 'data-testid': 'next-step', disabled: !ok, onclick: () => v.goStep(v.step + 1) }, h('span', null, ok ? t('pc.next') : t('pc.pick')), ok ? icon('arrow') : null)));
  return form;
}
