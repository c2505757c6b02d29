// "My plan": the worker's own situation in, a plan out (POST /api/plan, computed by the server
// from the engine's rules and stored nowhere). A bad input comes back with a reason, shown
// beside its field.
import { t, tx, getLang } from './i18n.js';
import { money } from './format.js';
import { h, $, clear, icon, iconText, card } from './ui.js';

const KINDS = ['platform_rider', 'platform_driver', 'domestic', 'flexible', 'factory'];
const P = { out: null, error: null, busy: false };

function cityOptions(all, id) {
  const seen = {};
  const sel = h('select', { id: id, name: id, 'data-testid': id });
  for (const sc of all) for (const c of sc.cities) {
    if (seen[c.id]) continue;
    seen[c.id] = true;
    sel.appendChild(h('option', { value: c.id }, tx(c.name) + ' · ' + tx(c.province)));
  }
  sel.appendChild(h('option', { value: 'other' }, t('plan.other')));
  return sel;
}

function field(id, label, input, hint) {
  return h('div', { class: 'plan-field', id: 'pf-' + id },
    h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null,
    h('p', { class: 'form-error', id: id + '-error', role: 'alert' }));
}

function num(id, value, min, max, step) {
  return h('input', { type: 'number', id: id, name: id, 'data-testid': id, value: value, min: min, max: max, step: step || 1, inputmode: 'decimal' });
}

function values() {
  const v = (id) => $(id).value;
  const out = {
    work_city: v('plan-work'), hukou_city: v('plan-hukou'), birth_year: Number(v('plan-birth')),
    sex: v('plan-sex'), years_paid: Number(v('plan-years')), monthly_income: Number(v('plan-income')),
    work_kind: v('plan-kind'), employer_pays: $('plan-employer').checked, base_pct: Number(v('plan-base')),
  };
  if (v('plan-wage')) out.local_average_wage = Number(v('plan-wage'));
  return out;
}

const FIELD_INPUT = {
  work_city: 'plan-work', hukou_city: 'plan-hukou', birth_year: 'plan-birth', sex: 'plan-sex',
  years_paid: 'plan-years', monthly_income: 'plan-income', work_kind: 'plan-kind',
  employer_pays: 'plan-employer', base_pct: 'plan-base', local_average_wage: 'plan-wage',
};

async function submit(e) {
  e.preventDefault();
  document.querySelectorAll('.plan-field .form-error').forEach((x) => { x.textContent = ''; });
  P.busy = true;
  try {
    const r = await fetch('/api/plan', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(values()) });
    const body = await r.json();
    if (r.ok) { P.out = body; P.error = null; } else { P.out = null; P.error = body.error; }
  } catch (err) {
    P.out = null; P.error = { code: 'net', field: '', message: { zh: t('plan.net'), en: t('plan.net') } };
  }
  P.busy = false;
  showResult();
}

function msg(m) { return getLang() === 'en' ? m.en : m.zh; }

function showResult() {
  const box = clear($('plan-out'));
  if (P.error) {
    const input = FIELD_INPUT[P.error.field];
    const slot = input && $(input + '-error');
    if (slot) { slot.textContent = msg(P.error.message); $(input).focus(); }
    box.appendChild(h('p', { class: 'form-error', id: 'plan-error', 'data-testid': 'plan-error', role: 'alert' }, msg(P.error.message)));
    return;
  }
  const p = P.out;
  if (!p) return;
  const r = p.retirement;
  const yrs = p.years;
  box.appendChild(card({ level: 'h3', title: t('plan.result'), icon: 'check', id: 'plan-result', testid: 'plan-result' },
    h('p', { class: 'lead', id: 'plan-retire' }, iconText('calendar', t('plan.retire', { y: r.age_years, m: r.age_months, age: r.pension_from_age, year: r.year, min: r.minimum_years }))),
    r.assumed_group ? h('p', { class: 'hint' }, t('plan.group.note')) : null,
    h('p', { id: 'plan-years-line' }, yrs.short_by > 0
      ? t('plan.short', { at: yrs.at_retirement, short: yrs.short_by, cost: money(yrs.make_up_cost, true) })
      : t('plan.enough', { at: yrs.at_retirement })),
    p.cost.pension_monthly !== null ? h('p', { id: 'plan-cost' }, iconText('coin', t('plan.cost', { pct: p.cost.base_pct, amount: money(p.cost.pension_monthly, p.cost.estimate) }))) : null,
    h('p', { class: 'big-number', id: 'plan-pension', 'data-testid': 'plan-pension' }, money(p.pension.monthly, true), h('small', null, ' ' + t('plan.per.month'))),
    h('p', { class: 'hint' }, msg(p.pension.note)),
    h('h4', null, t('plan.schemes')),
    h('ul', { class: 'facts', id: 'plan-schemes' }, p.schemes.map((s) => h('li', { 'data-scheme': s.id },
      iconText('shield', t('scheme.' + s.id) + ' · ' + msg(s.where) + (s.monthly ? ' · ' + t('pc.per.month', { amount: money(s.monthly, s.estimate) }) : '') + '：' + msg(s.text))))),
    h('h4', null, t('plan.first')),
    h('ol', { id: 'plan-steps' }, p.steps.map((s) => h('li', { 'data-step': s.id }, msg(s.text)))),
    h('h4', null, t('plan.docs')),
    h('ul', { id: 'plan-docs' }, p.documents.map((d) => h('li', null, msg(d)))),
    h('a', { class: 'btn btn-primary', href: 'tel:12333' }, icon('phone'), h('span', null, t('pc.rw.call'))),
    h('p', { class: 'hint' }, t('plan.nothing.stored'))));
}

/** The "my plan" section of the guide. */
export function planSection(all) {
  const kind = h('select', { id: 'plan-kind', 'data-testid': 'plan-kind' }, KINDS.map((k) => h('option', { value: k }, t('plan.kind.' + k))));
  const sex = h('select', { id: 'plan-sex', 'data-testid': 'plan-sex' }, h('option', { value: 'male' }, t('plan.male')), h('option', { value: 'female' }, t('plan.female')));
  const base = h('select', { id: 'plan-base', 'data-testid': 'plan-base' }, [60, 80, 100, 150, 200, 300].map((x) => h('option', { value: x }, x + '%')));
  const form = h('form', { id: 'plan-form', class: 'form', novalidate: true, onsubmit: submit },
    field('plan-work', t('plan.work'), cityOptions(all, 'plan-work')),
    field('plan-wage', t('plan.wage'), num('plan-wage', '', 1, 200000), t('plan.wage.hint')),
    field('plan-hukou', t('plan.hukou'), cityOptions(all, 'plan-hukou')),
    field('plan-birth', t('plan.birth'), num('plan-birth', 1995, 1926, 2010)),
    field('plan-sex', t('plan.sex'), sex),
    field('plan-years', t('plan.years'), num('plan-years', 0, 0, 60, 0.5)),
    field('plan-income', t('plan.income'), num('plan-income', 6000, 0, 1000000)),
    field('plan-kind', t('plan.kind'), kind),
    h('label', { class: 'choice choice-check', for: 'plan-employer' }, h('input', { type: 'checkbox', id: 'plan-employer', 'data-testid': 'plan-employer' }), h('span', null, t('plan.employer'))),
    field('plan-base', t('plan.base'), base),
    h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'plan-go', 'data-testid': 'plan-go' }, icon('check'), h('span', null, t('plan.go'))));
  const out = h('div', { id: 'plan-out', 'aria-live': 'polite' });
  const section = h('section', { id: 'plan', class: 'card', 'aria-labelledby': 'plan-title', 'data-testid': 'plan' },
    h('h2', { id: 'plan-title' }, iconText('user', t('plan.title'))),
    h('p', null, t('plan.intro')), form, out);
  if (P.out || P.error) setTimeout(showResult, 0);
  return section;
}
