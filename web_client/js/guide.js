// The social security guide: the schemes open to gig and migrant workers, with the figures of a
// chosen place taken from the scenario data (each with its source), an eligibility check and the
// contribution calculator (GET /api/calculator).
import { t, tx, initLang, onLangChange, getLang } from './i18n.js';
import { money, pct, num } from './format.js';
import { h, $, clear, icon, iconText, card, refreshReadButtons } from './ui.js';
import * as SC from './scenario.js';
import { realWorldCard } from './common.js';
import { planSection } from './plan-form.js';

const G = { all: [], place: null, calc: null, calcError: '', elig: null, timer: null };

const SCHEMES = ['employee_pension', 'residents_pension', 'employee_medical', 'residents_medical', 'injury_protection', 'personal_pension'];
const SCHEME_ICON = {
  employee_pension: 'coin', residents_pension: 'coin', employee_medical: 'medical', residents_medical: 'medical',
  injury_protection: 'shield', personal_pension: 'book',
};

async function init() {
  await initLang();
  onLangChange(render);
  render();
  try {
    const list = await SC.listScenarios();
    G.all = await Promise.all(list.map((s) => SC.getScenario(s.id)));
    const first = G.all.find((s) => s.id === 'hangzhou-rider') || G.all[0];
    const p = new URLSearchParams(location.search);
    const wanted = (p.get('place') || '').split('|');
    G.place = placeOf(wanted[0], wanted[1]) || { sc: first, city: SC.city(first, SC.job(first, first.defaults.job).city) };
  } catch (e) {
    G.error = true;
  }
  render();
  if (G.place) calculate();
}

function placeOf(scId, cityId) {
  const sc = G.all.find((s) => s.id === scId);
  if (!sc) return null;
  const c = sc.cities.find((x) => x.id === cityId);
  return c ? { sc: sc, city: c } : null;
}

function placeOptions(selectId, current, onchange) {
  const sel = h('select', { id: selectId, 'data-testid': selectId, onchange: () => { const v = sel.value.split('|'); onchange(placeOf(v[0], v[1])); } });
  for (const sc of G.all) {
    const group = h('optgroup', { label: tx(sc.title) });
    for (const c of sc.cities) {
      group.appendChild(h('option', { value: sc.id + '|' + c.id, selected: current && current.sc.id === sc.id && current.city.id === c.id },
        tx(c.name) + ' · ' + tx(c.province)));
    }
    sel.appendChild(group);
  }
  return sel;
}

/** A figure with its estimate mark. */
function fig(text, estimate) {
  return [text, estimate ? h('span', { class: 'est', title: t('g.estimate.title') }, t('g.estimate')) : null];
}

function srcItem(label, sourced) {
  return h('li', null, label + ': ' + (sourced.source || sourced) + (sourced.estimate ? ' (' + t('g.estimate') + ')' : ''));
}

function render() {
  const root = clear($('guide'));
  root.appendChild(h('h1', { class: 'page-title' }, t('g.title')));
  root.appendChild(h('p', { class: 'lead' }, t('g.intro')));
  if (G.error) { root.appendChild(h('p', { class: 'form-error' }, t('err.scenarios'))); return; }
  if (!G.place) { root.appendChild(h('p', null, t('loading'))); return; }
  root.appendChild(h('nav', { 'aria-label': t('g.toc') }, h('ul', { class: 'toc' },
    SCHEMES.map((s) => h('li', null, h('a', { href: '#scheme-' + s }, t('scheme.' + s)))),
    h('li', null, h('a', { href: '#elig' }, t('g.elig.title'))),
    h('li', null, h('a', { href: '#calc' }, t('g.calc.title'))),
    h('li', null, h('a', { href: '#plan' }, t('plan.title'))))));
  root.appendChild(h('div', { class: 'card form' },
    h('label', { for: 'guide-place' }, t('g.place')),
    placeOptions('guide-place', G.place, (p) => { if (p) { G.place = p; render(); const s = $('guide-place'); if (s) s.focus(); } }),
    h('p', { class: 'hint' }, t('g.place.hint'))));
  const grid = h('div', { class: 'scheme-grid', id: 'schemes', 'data-testid': 'schemes' });
  for (const s of SCHEMES) grid.appendChild(schemeCard(s));
  root.appendChild(grid);
  root.appendChild(eligSection());
  root.appendChild(calcSection());
  root.appendChild(planSection(G.all));
  refreshReadButtons();
}

function cardsFor(scheme) {
  // Only the chosen place's own steps: another scenario's would name another city.
  return G.place.sc.real_world.filter((r) => r.scheme === scheme);
}

function schemeCard(scheme) {
  const sc = G.place.sc;
  const c = G.place.city;
  const place = tx(c.name);
  const rows = [];
  const sources = [];
  const R = SC.RULES;
  if (scheme === 'employee_pension') {
    const estB = SC.employeePensionEstimate(c);
    rows.push(['who', [t('g.ep.who'), ' ', c.hukou_limit_lifted_year
      ? fig(t('g.ep.hukou', { city: place, year: c.hukou_limit_lifted_year.value }), c.hukou_limit_lifted_year.estimate)
      : t('g.ep.hukou.none', { city: place })]]);
    rows.push(['cost', [fig(t('g.ep.cost', {
      floor: money(c.pension_base_floor.value), ceiling: money(c.pension_base_ceiling.value),
      avg: money(c.average_wage_monthly.value), min: money(SC.employeePensionMonthly(c, 60), estB),
    }), estB)]]);
    rows.push(['pays', [t('g.ep.pays', { min: R.minYears.value, to: R.minYears.to })]]);
    rows.push(['move', [t('g.ep.move', { years: R.transfer.years })]]);
    sources.push(srcItem(t('g.src.avg'), c.average_wage_monthly), srcItem(t('g.src.floor'), c.pension_base_floor),
      srcItem(t('g.src.ceiling'), c.pension_base_ceiling));
    if (c.hukou_limit_lifted_year) sources.push(srcItem(t('g.src.hukou'), c.hukou_limit_lifted_year));
    sources.push(srcItem(t('g.src.rate'), R.flexibleRate), srcItem(t('g.src.min'), R.minYears), srcItem(t('g.src.transfer'), R.transfer));
  } else if (scheme === 'residents_pension') {
    const tiers = c.residents_pension_tiers;
    rows.push(['who', [t('g.rp.who', { age: R.residentsAge.value })]]);
    rows.push(['cost', [t('g.rp.cost', { min: money(tiers[0]), max: money(tiers[tiers.length - 1]), n: tiers.length })]]);
    rows.push(['pays', [fig(t('g.rp.pays', { age: R.residentsAge.value, years: R.residentsAge.years, basic: money(c.residents_pension_basic_monthly.value) }), c.residents_pension_basic_monthly.estimate)]]);
    rows.push(['note', [t('g.rp.note')]]);
    sources.push(srcItem(t('g.src.tiers'), c.residents_pension_tiers_source), srcItem(t('g.src.basic'), c.residents_pension_basic_monthly), srcItem(t('g.src.rules'), R.residentsAge));
  } else if (scheme === 'employee_medical') {
    const em = c.employee_medical;
    const est = SC.employeeMedicalEstimate(c);
    rows.push(['who', [t('g.em.who', { city: place })]]);
    rows.push(['cost', [fig(t('g.em.cost', { monthly: money(SC.employeeMedicalMonthly(c), est), rate: pct(c.employee_medical_rate.value), floor: money(c.pension_base_floor.value) }), est)]]);
    rows.push(['pays', [fig(t('g.med.pays', { inp: pct(em.inpatient_rate.value, em.inpatient_rate.estimate), out: pct(em.outpatient_rate.value, em.outpatient_rate.estimate), cap: money(em.annual_cap.value, em.annual_cap.estimate) }), em.inpatient_rate.estimate || em.annual_cap.estimate)]]);
    rows.push(['note', [fig(t('g.em.retire', { years: c.employee_medical_years_for_retirement.value }), c.employee_medical_years_for_retirement.estimate)]]);
    sources.push(srcItem(t('g.src.medrate'), c.employee_medical_rate), srcItem(t('g.src.floor'), c.pension_base_floor),
      srcItem(t('g.src.inpatient'), em.inpatient_rate), srcItem(t('g.src.cap'), em.annual_cap), srcItem(t('g.src.medyears'), c.employee_medical_years_for_retirement));
  } else if (scheme === 'residents_medical') {
    const rm = c.residents_medical;
    const p = c.residents_medical_premium_yearly;
    rows.push(['who', [t('g.rm.who')]]);
    rows.push(['cost', [fig(t('g.rm.cost', { premium: money(p.value), monthly: money(p.value / 12) }), p.estimate)]]);
    rows.push(['pays', [fig(t('g.med.pays', { inp: pct(rm.inpatient_rate.value, rm.inpatient_rate.estimate), out: pct(rm.outpatient_rate.value, rm.outpatient_rate.estimate), cap: money(rm.annual_cap.value, rm.annual_cap.estimate) }), rm.inpatient_rate.estimate || rm.annual_cap.estimate)]]);
    rows.push(['note', [t('g.rm.waiting', { months: R.waiting.months, after: R.continuity.after, bonus: money(R.continuity.perYear) })]]);
    sources.push(srcItem(t('g.src.premium'), p), srcItem(t('g.src.inpatient'), rm.inpatient_rate), srcItem(t('g.src.cap'), rm.annual_cap), srcItem(t('g.src.waiting'), R.waiting));
  } else if (scheme === 'injury_protection') {
    const pilots = [];
    for (const s of G.all) for (const j of s.jobs) {
      if (j.injury_pilot_from_year) pilots.push(h('li', null, fig(t('g.ip.job', { job: tx(j.name), year: j.injury_pilot_from_year.value }), j.injury_pilot_from_year.estimate)));
    }
    const ins = sc.commercial_accident_insurance;
    rows.push(['who', [t('g.ip.who')]]);
    rows.push(['cost', [t('g.ip.cost')]]);
    rows.push(['pays', [fig(t('g.ip.pays', { months: R.injury.months, amount: money(R.injury.months * c.average_wage_monthly.value, true) }), true)]]);
    rows.push(['jobs', [h('ul', null, pilots)]]);
    rows.push(['alt', [fig(t('g.ip.alt', { premium: money(ins.premium_yearly.value, ins.premium_yearly.estimate), cap: money(ins.medical_cap.value, ins.medical_cap.estimate) }), ins.premium_yearly.estimate)]]);
    sources.push(srcItem(t('g.src.injury'), R.injury));
    for (const s of G.all) for (const j of s.jobs) if (j.injury_pilot_from_year) sources.push(srcItem(tx(j.name), j.injury_pilot_from_year));
    sources.push(srcItem(t('g.src.accident'), ins.premium_yearly));
  } else if (scheme === 'personal_pension') {
    rows.push(['who', [t('g.pp.who')]]);
    rows.push(['cost', [t('g.pp.cost', { cap: money(R.personalPension.cap) })]]);
    rows.push(['pays', [t('g.pp.pays', { tax: pct(R.personalPension.tax) })]]);
    rows.push(['note', [t('g.pp.note')]]);
    sources.push(srcItem(t('g.src.personal'), R.personalPension));
  }
  const labels = { who: ['people', 'g.who'], cost: ['wallet', 'g.cost'], pays: ['coin', 'g.pays'], move: ['move', 'g.move'], note: ['alert', 'g.note'], jobs: ['work', 'g.jobs'], alt: ['shield', 'g.alt'] };
  const cards = cardsFor(scheme);
  return card({ title: t('scheme.' + scheme), icon: SCHEME_ICON[scheme], level: 'h2', class: 'scheme', id: 'scheme-' + scheme, testid: 'scheme-' + scheme },
    h('p', { class: 'muted' }, t('g.full.' + scheme)),
    h('dl', null, rows.map((r) => [h('dt', null, icon(labels[r[0]][0]), h('span', null, t(labels[r[0]][1]))), h('dd', null, r[1])])),
    h('h3', null, iconText('phone', t('g.how'))),
    cards.length ? cards.map(realWorldCard) : h('p', null, t('g.how.' + scheme)),
    h('details', { class: 'sources' }, h('summary', null, t('g.sources')), h('ul', null, sources)));
}

// --- Which schemes can I join? ---------------------------------------------------------------

function eligSection() {
  const e = G.elig || { where: 'away', hukou: 'rural', platform: 'no', age: 30 };
  const form = h('form', {
    class: 'form', id: 'elig-form', 'data-testid': 'elig-form',
    onsubmit: (ev) => {
      ev.preventDefault();
      const val = (name) => { const x = form.querySelector('input[name="' + name + '"]:checked'); return x ? x.value : null; };
      const age = Number($('elig-age').value);
      G.elig = { where: val('elig-where'), hukou: val('elig-hukou'), platform: val('elig-platform'), age: isNaN(age) ? 30 : age, done: true };
      render();
      const out = $('elig-result');
      if (out) out.focus();
    },
  },
  radioQ('elig-where', t('g.q.where'), [['home', t('g.q.where.home')], ['away', t('g.q.where.away')]], e.where),
  radioQ('elig-hukou', t('g.q.hukou'), [['rural', t('g.q.hukou.rural')], ['urban', t('g.q.hukou.urban')]], e.hukou),
  radioQ('elig-platform', t('g.q.platform'), [['yes', t('g.q.platform.yes')], ['unsure', t('g.q.platform.unsure')], ['no', t('g.q.platform.no')]], e.platform),
  h('label', { for: 'elig-age' }, t('g.q.age')),
  h('input', { type: 'number', id: 'elig-age', min: 14, max: 100, value: String(e.age), inputmode: 'numeric', 'data-testid': 'elig-age' }),
  h('div', { class: 'action-bar' }, h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'elig-btn', 'data-testid': 'elig-btn' }, icon('check'), h('span', null, t('g.q.check')))));
  const out = h('div', { id: 'elig-result', 'data-testid': 'elig-result', tabindex: '-1', 'aria-live': 'polite' });
  if (G.elig && G.elig.done) out.appendChild(eligResult(G.elig));
  return h('section', { class: 'card', id: 'elig', 'aria-labelledby': 'elig-title' },
    h('h2', { id: 'elig-title' }, iconText('question', t('g.elig.title'))),
    h('p', null, t('g.elig.intro')), form, out);
}

function radioQ(name, legend, options, value) {
  return h('fieldset', null, h('legend', null, legend), h('div', { class: 'choices' }, options.map((o) => {
    const id = name + '-' + o[0];
    return h('label', { class: 'choice', for: id }, h('input', { type: 'radio', name: name, id: id, value: o[0], checked: o[0] === value, 'data-testid': id }),
      h('span', { class: 'choice-body' }, h('span', { class: 'choice-main' }, o[1])));
  })));
}

function eligResult(e) {
  const items = [];
  const working = e.age < 60;
  const add = (kind, scheme, text) => items.push(h('li', { class: 'elig-' + kind, 'data-scheme': scheme, 'data-result': kind },
    iconText(kind === 'yes' ? 'check' : kind === 'no' ? 'cross' : 'question', [h('strong', null, t('scheme.' + scheme) + ': '), text].map((x) => x))));
  if (e.age < 16) {
    add('yes', 'residents_medical', t('g.r.rm'));
  } else {
    if (working) add('yes', 'employee_pension', t(e.where === 'away' ? 'g.r.ep.away' : 'g.r.ep.home'));
    else add('maybe', 'employee_pension', t('g.r.ep.old'));
    if (e.age < 60) add('yes', 'residents_pension', t('g.r.rp', { hukou: t(e.hukou === 'rural' ? 'g.r.hukou.rural' : 'g.r.hukou.urban') }));
    else add('maybe', 'residents_pension', t('g.r.rp.old'));
    if (working) add('yes', 'employee_medical', t('g.r.em'));
    else add('maybe', 'employee_medical', t('g.r.em.old'));
    add('yes', 'residents_medical', t(e.where === 'away' ? 'g.r.rm.away' : 'g.r.rm'));
    if (e.platform === 'yes') add('yes', 'injury_protection', t('g.r.ip.yes'));
    else if (e.platform === 'unsure') add('maybe', 'injury_protection', t('g.r.ip.unsure'));
    else add('no', 'injury_protection', t('g.r.ip.no'));
    if (working) add('yes', 'personal_pension', t('g.r.pp'));
  }
  return h('div', null,
    h('h3', null, t('g.r.title')),
    h('ul', { class: 'elig-list' }, items),
    h('p', { class: 'hint' }, t('g.r.note')));
}

// --- The contribution calculator -------------------------------------------------------------

function calcSection() {
  const place = G.calcPlace || G.place;
  const v = G.calcInput || { base: 60, years: 20, sex: 'male', birth: 1990 };
  const base = h('input', { type: 'range', class: 'range', id: 'calc-base', min: 60, max: 300, step: 5, value: String(v.base), 'aria-describedby': 'calc-base-out', 'data-testid': 'calc-base' });
  const baseOut = h('output', { id: 'calc-base-out', for: 'calc-base' }, v.base + '%');
  base.addEventListener('input', () => { baseOut.textContent = base.value + '%'; schedule(); });
  const years = h('input', { type: 'number', id: 'calc-years', min: 1, max: 50, value: String(v.years), inputmode: 'numeric', 'data-testid': 'calc-years', onchange: schedule });
  // The retirement age follows sex and birth year (the server says which, by the engine's rule).
  const sex = h('select', { id: 'calc-sex', 'data-testid': 'calc-sex', onchange: schedule },
    h('option', { value: 'male', selected: v.sex === 'male' }, t('plan.male')), h('option', { value: 'female', selected: v.sex === 'female' }, t('plan.female')));
  const birth = h('input', { type: 'number', id: 'calc-birth', min: 1926, max: 2010, value: String(v.birth), inputmode: 'numeric', 'data-testid': 'calc-birth', onchange: schedule });
  const form = h('form', { class: 'form', id: 'calc-form', 'data-testid': 'calc-form', onsubmit: (e) => { e.preventDefault(); calculate(); } },
    h('label', { for: 'calc-place' }, t('g.calc.place')),
    placeOptions('calc-place', place, (p) => { G.calcPlace = p; schedule(); }),
    h('label', { for: 'calc-base' }, t('g.calc.base'), ' ', baseOut),
    base,
    h('label', { for: 'calc-years' }, t('g.calc.years')),
    years,
    h('label', { for: 'calc-sex' }, t('plan.sex')),
    sex,
    h('label', { for: 'calc-birth' }, t('plan.birth')),
    birth,
    h('div', { class: 'action-bar' }, h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'calc-btn', 'data-testid': 'calc-btn' }, icon('coin'), h('span', null, t('g.calc.go')))));
  const out = h('div', { id: 'calc-result', class: 'calc-out', 'data-testid': 'calc-result', 'aria-live': 'polite' });
  fillCalc(out);
  return h('section', { class: 'card', id: 'calc', 'aria-labelledby': 'calc-title' },
    h('h2', { id: 'calc-title' }, iconText('coin', t('g.calc.title'))),
    h('p', null, t('g.calc.intro')), form, out);
}

function schedule() {
  clearTimeout(G.timer);
  G.timer = setTimeout(calculate, 400);
}

async function calculate() {
  const sel = $('calc-place').value.split('|');
  const input = {
    base: Number($('calc-base').value),
    years: Math.max(1, Math.min(50, Math.round(Number($('calc-years').value) || 20))),
    sex: $('calc-sex').value,
    birth: Math.round(Number($('calc-birth').value) || 0),
  };
  G.calcInput = input;
  G.calcPlace = placeOf(sel[0], sel[1]);
  G.calcRefusal = '';
  try {
    const rr = await fetch('/api/retirement?' + new URLSearchParams({ sex: input.sex, birth_year: String(input.birth) }).toString());
    const ret = await rr.json();
    if (!rr.ok) {
      G.calc = null;
      G.calcRefusal = getLang() === 'en' ? ret.error.message.en : ret.error.message.zh;
      const out0 = $('calc-result');
      if (out0) fillCalc(out0);
      return;
    }
    // The statutory age to the month (the engine's rule); the account divisor takes the years.
    input.age = ret.age_years;
    input.ageText = ret.age_months ? t('g.age.ym', { y: ret.age_years, m: ret.age_months }) : t('g.age.y', { y: ret.age_years });
    input.min = ret.minimum_years;
    if (input.years < ret.minimum_years) {
      // Too few years for a monthly pension: say so, and what can be done.
      G.calc = null;
      G.calcRefusal = t('g.calc.short', { years: input.years, min: ret.minimum_years, age: input.ageText });
      const out1 = $('calc-result');
      if (out1) fillCalc(out1);
      return;
    }
    const q = new URLSearchParams({ scenario_id: sel[0], city: sel[1], base_pct: String(input.base), years: String(input.years), retirement_age: String(input.age) });
    const r = await fetch('/api/calculator?' + q.toString());
    if (!r.ok) throw new Error(String(r.status));
    G.calc = await r.json();
    G.calc.input = input;
    G.calcError = '';
  } catch (e) {
    G.calc = null;
    G.calcError = t('g.calc.error');
  }
  const out = $('calc-result');
  if (out) fillCalc(out);
}

function fillCalc(out) {
  clear(out);
  if (G.calcError) { out.appendChild(h('p', { class: 'form-error' }, G.calcError)); return; }
  if (G.calcRefusal) { out.appendChild(h('p', { class: 'warn-note', id: 'calc-refusal', 'data-testid': 'calc-refusal', role: 'alert' }, iconText('alert', G.calcRefusal))); return; }
  const c = G.calc;
  if (!c) return;
  const est = c.estimate;
  out.appendChild(h('ol', { class: 'facts calc-steps' },
    h('li', null, iconText('wallet', t('g.calc.r.base', { amount: money(c.base_monthly, est), pct: c.input.base }))),
    h('li', null, iconText('arrow', t('g.calc.r.pay', { amount: money(c.payment_monthly, est), year: money(c.payment_monthly * 12, est) }))),
    h('li', null, iconText('coin', t('g.calc.r.pension', { years: c.input.years, age: c.input.ageText || c.input.age })))));
  out.appendChild(h('p', { class: 'big-number', id: 'calc-pension', 'data-testid': 'calc-pension' }, money(c.pension_monthly, true), h('small', null, ' ' + t('g.calc.r.month'))));
  out.appendChild(h('p', null, t('g.calc.r.parts', { basic: money(c.basic_pension_monthly, true), account: money(c.account_pension_monthly, true) })));
  out.appendChild(h('p', { class: 'warn-note' }, iconText('alert', t('g.calc.r.estimate'))));
  out.appendChild(h('details', { class: 'sources' }, h('summary', null, t('g.sources')), h('ul', null,
    h('li', null, t('g.src.avg') + ': ' + c.sources.average_wage),
    h('li', null, t('g.src.floor') + ': ' + c.sources.base_floor),
    h('li', null, t('g.src.formula') + ': ' + c.sources.formula),
    h('li', null, t('g.calc.note')))));
}

init();
