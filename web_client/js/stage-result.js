// What happened in a stage, as short cards: one headline and one money line per event (the
// story, the why and the source on demand), at most one policy-news card, and the stage in
// numbers a worker reads at a glance. render(view) → elements; the caller keeps the state.
import { t, tx, isEn } from './i18n.js';
import { money, yrs } from './format.js';
import { h, icon, iconText, card } from './ui.js';
import * as SC from './scenario.js';
import { sourceIn } from './sources.js';

const KIND_ICON = {
  minor_illness: 'medical', serious_illness: 'medical', work_injury: 'bolt', deactivation: 'phone',
  family_care: 'people', income_shock: 'chart', windfall: 'gift',
};

/** A payer's name from the catalogue (`payer.<id>`), or a generic name for a new payer. */
export function payerName(id) {
  const key = 'payer.' + id;
  const name = t(key);
  return name === key ? t('pc.payer.other') : name;
}

/** "医药费 60,000 元，医保付了 36,000 元，你自己付 24,000 元" — 约 when the cost is an estimate. */
export function moneyLine(e, estimate) {
  const parts = [t('hap.bill.' + e.kind, { amount: money(e.bill, estimate) })];
  let shared = false;
  for (const pb of e.paid_by || []) if (pb[1] > 0) { shared = true; parts.push(t('hap.paid', { payer: payerName(pb[0]), amount: money(pb[1], estimate) })); }
  // Nobody else paid: say so in three characters rather than repeat the sum.
  parts.push(shared || e.covered > 0 ? t('pc.oop', { amount: money(e.bill - e.covered, estimate) }) : t('pc.oop.all'));
  return parts.join(t('list.sep'));
}

function whys(e, stage) {
  const out = [];
  const d = stage.decisions || {};
  if (e.waiting_period) out.push(['alert', t('why.waiting')]);
  if (e.kind === 'family_care' && e.bill > 0) out.push(['people', t('why.family')]);
  if ((e.kind === 'minor_illness' || e.kind === 'serious_illness') && e.covered === 0 && !e.waiting_period && d.medical === 'none') out.push(['alert', t('why.no_medical')]);
  if (e.kind === 'work_injury') {
    const payers = (e.paid_by || []).map((p) => p[0]);
    if (e.vehicle_liable) out.push(['shield', t('why.vehicle')]);
    if (e.employer_owed) out.push(['alert', t('why.employer_owed')]);
    if (payers.indexOf('injury_pilot') >= 0) out.push(['shield', t('why.pilot')]);
    else if (payers.indexOf('work_injury_fund') >= 0) out.push(['shield', t('why.project')]);
    else if (e.employer_owed) { /* said above */ }
    else if (payers.indexOf('commercial_accident') >= 0) out.push(['shield', t('why.accident')]);
    else out.push(['alert', t('why.no_injury')]);
  }
  if (e.kind === 'serious_illness' && e.covered === 0) out.push(['heart', t('why.untreated')]);
  if (e.catastrophic) out.push(['alert', t('why.catastrophic')]);
  return out;
}

function more(...body) {
  return h('details', { class: 'more' }, h('summary', null, t('pc.more')), body);
}

function happening(sc, e, stage) {
  const def = sc.events.find((x) => x.id === e.event_id);
  const est = !!(def && def.cost && def.cost.estimate);
  const lines = [];
  if (e.bill > 0) lines.push(h('p', { class: 'bill' }, moneyLine(e, est)));
  // Work lost is the drawn income (an estimated spread) times the game's months: always an estimate.
  if (e.income_lost > 0) lines.push(h('p', null, t('hap.income_lost', { amount: money(e.income_lost, true) })));
  if (e.payout > 0) lines.push(h('p', { class: 'good' }, e.kind === 'windfall' ? t('hap.windfall', { amount: money(e.payout, est) }) : t('hap.payout', { amount: money(e.payout, est) })));
  if (e.disabled) lines.push(h('p', { class: 'bad' }, t('hap.disabled')));
  // An employer that did not enrol its worker owes the injury benefits: the worker must claim.
  if (e.employer_owed) lines.push(h('p', { class: 'bad', 'data-testid': 'employer-owed' }, t('hap.employer_owed')));
  const why = whys(e, stage);
  const source = def && def.cost ? def.cost.source : def ? def.chance_per_year.source : null;
  const name = def ? tx(def.title) : t('kind.' + e.kind);
  const title = e.times > 1 ? t('pc.headline.times', { ages: e.ages.length > 2 ? e.ages[0] + '–' + e.ages[e.ages.length - 1] : e.ages.join(t('pc.ages.sep')), title: name, n: e.times }) : t('pc.headline', { age: e.age, title: name });
  const cls = e.kind === 'windfall' ? 'ev-good' : e.catastrophic ? 'ev-bad' : e.bill > 0 && e.covered === 0 ? 'ev-warn' : 'ev-neutral';
  return card({ level: 'h2', class: 'event ' + cls, title: title, icon: KIND_ICON[e.kind] || 'alert', testid: 'event-happening' },
    lines,
    more(
      def ? h('p', null, tx(def.story)) : null,
      why.length ? h('ul', { class: 'why' }, why.map((w) => h('li', null, iconText(w[0], w[1])))) : null,
      source ? h('p', { class: 'source' }, t('source') + ' ' + sourceIn(source, isEn())) : null));
}

function outcomeText(sc, outcome, monthly, claimCity) {
  if (outcome === 'employee_pension') {
    // A pension worked out from the city's wage and floor is as sure as they are.
    const est = SC.employeePensionEstimate(SC.city(sc, claimCity || sc.persona.hukou_city));
    if (!claimCity) return t('ret.employee.monthly', { amount: money(monthly, est) });
    return t('ret.employee', { amount: money(monthly, est), city: tx(SC.city(sc, claimCity).name) });
  }
  if (outcome === 'residents_pension' || outcome === 'to_residents') return t('ret.residents');
  if (outcome === 'paying_on') return t('ret.paying_on');
  return t('ret.nothing');
}

export { outcomeText };

function eventCard(sc, e, stage) {
  switch (e.type) {
    case 'happening': return happening(sc, e, stage);
    case 'news_shown': {
      const n = sc.news.find((x) => x.id === e.news_id);
      if (!n) return null;
      return card({ level: 'h2', class: 'event ev-news', title: tx(n.title), icon: 'news', testid: 'event-news' },
        more(h('p', null, tx(n.story)), h('p', { class: 'source' }, t('source') + ' ' + sourceIn(n.source, isEn()))));
    }
    case 'moved':
      return card({ level: 'h2', class: 'event ev-neutral', title: t('moved.title', { city: tx(SC.city(sc, e.to_city).name) }), icon: 'move', testid: 'event-moved' },
        h('p', null, e.employee_years_carried > 0 ? t('moved.carried', { years: yrs(e.employee_years_carried) }) : t('moved.none')));
    case 'retired': {
      const lines = [h('p', null, outcomeText(sc, e.outcome, e.employee_monthly, e.claim_city))];
      lines.push(h('p', { class: 'muted' }, t('ret.years', { years: yrs(e.employee_years), min: yrs(e.minimum_years) })));
      if (e.made_up_years > 0) lines.push(h('p', null, t('ret.made_up', { years: yrs(e.made_up_years), amount: money(e.make_up_cost) })));
      if (e.personal_pension_payout > 0) lines.push(h('p', null, t('ret.personal', { amount: money(e.personal_pension_payout) })));
      return card({ level: 'h2', class: 'event ' + (e.outcome === 'employee_pension' || e.outcome === 'residents_pension' ? 'ev-good' : 'ev-warn'), title: t('ret.title', { age: e.age }), icon: 'home', testid: 'event-retired' }, lines);
    }
    case 'paying_on_ended':
      return card({ level: 'h2', class: 'event ev-neutral', title: t('payon.title', { age: e.age }), icon: 'coin', testid: 'event-paying-on' },
        h('p', null, outcomeText(sc, e.outcome, e.employee_monthly, null)));
    case 'residents_pension_started':
      return card({ level: 'h2', class: 'event ev-good', title: t('respen.title', { age: e.age }), icon: 'coin', testid: 'event-residents-pension' },
        h('p', null, t('respen.text', { amount: money(e.monthly, true), years: e.years })),
        e.made_up_years > 0 ? h('p', null, t('ret.made_up', { years: yrs(e.made_up_years), amount: money(e.make_up_cost) })) : null);
    case 'residents_short':
      return card({ level: 'h2', class: 'event ev-warn', title: t('respen.short.title', { age: e.age }), icon: 'coin', testid: 'event-residents-short' },
        h('p', null, e.paying_on ? t('respen.paying_on') : t('respen.short', { years: e.years, amount: money(e.account) })));
    case 'life_ended':
      return card({ level: 'h2', class: 'event ev-neutral', title: t('end.lived', { age: e.age }), icon: 'heart', testid: 'event-life-ended' },
        e.inherited_account > 0 ? h('p', null, t('end.inherited', { amount: money(e.inherited_account) })) : null);
    default: return null;
  }
}

/** The same event more than once in a stage (a stay in hospital three times): one card, the
 * ages in its headline, the money summed (what insurance paid and what you paid kept). */
function merged(list) {
  if (list.length === 1) return list[0];
  const payers = {};
  for (const e of list) for (const pb of e.paid_by || []) payers[pb[0]] = (payers[pb[0]] || 0) + pb[1];
  const sum = (k) => list.reduce((s, e) => s + (e[k] || 0), 0);
  return Object.assign({}, list[0], {
    bill: sum('bill'), covered: sum('covered'), income_lost: sum('income_lost'), payout: sum('payout'),
    paid_by: Object.keys(payers).map((k) => [k, payers[k]]),
    disabled: list.some((e) => e.disabled), employer_owed: list.some((e) => e.employer_owed),
    catastrophic: list.some((e) => e.catastrophic), waiting_period: list.some((e) => e.waiting_period),
    ages: list.map((e) => e.age).filter((a, i, all) => all.indexOf(a) === i), times: list.length,
  });
}

/** What a happening weighed: the money it moved. */
function weight(e) {
  return (e.catastrophic ? 1e9 : 0) + (e.bill - e.covered) + (e.income_lost || 0) + (e.payout || 0);
}

/** At most this many cards of what happened (the small-illness line counts as one); two or more
 * beyond it (the lightest) are one card with their money summed, their own cards on demand. */
const MAX_CARDS = 2;

/** The event cards of a stage: what happened to you first (the same event once, with its ages),
 * then retirement and moves, then at most one policy-news card. */
export function eventList(sc, stage) {
  const rank = (e) => (e.type === 'happening' ? 0 : e.type === 'news_shown' ? 2 : 1);
  const firstNews = stage.events.find((e) => e.type === 'news_shown');
  // Small things (a cold, a few days off) are folded into one line: a stage shows its big
  // events one card each and the small ones as a count, so the reading stays short.
  const small = (e) => e.type === 'happening' && e.kind === 'minor_illness' && !e.catastrophic;
  const minor = stage.events.filter(small);
  const byId = new Map();
  const others = [];
  for (const e of stage.events) {
    if (e.type === 'news_shown' && e !== firstNews) continue;
    if (minor.length > 1 && small(e)) continue;
    if (e.type === 'happening') {
      if (!byId.has(e.event_id)) { byId.set(e.event_id, []); others.push(byId.get(e.event_id)); }
      byId.get(e.event_id).push(e);
    } else {
      others.push([e]);
    }
  }
  const shown = others.map((list) => merged(list));
  const ordered = shown.map((e, i) => [e, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map((x) => x[0]);
  const happenings = ordered.filter((e) => e.type === 'happening');
  // The small-illness line takes one card's place; one card over the budget is shown as it is.
  let light = happenings.slice().sort((a, b) => weight(b) - weight(a)).slice(MAX_CARDS - (minor.length > 1 ? 1 : 0));
  if (light.length < 2) light = [];
  const items = ordered.filter((e) => light.indexOf(e) < 0).map((e) => eventCard(sc, e, stage)).filter(Boolean);
  if (light.length) {
    const bill = light.reduce((s, e) => s + e.bill, 0);
    const own = light.reduce((s, e) => s + e.bill - e.covered, 0);
    const lost = light.reduce((s, e) => s + (e.income_lost || 0), 0);
    const got = light.reduce((s, e) => s + (e.payout || 0), 0);
    const n = light.reduce((s, e) => s + (e.times || 1), 0);
    const at = happenings.filter((e) => light.indexOf(e) < 0).length;
    items.splice(at, 0, card({ level: 'h2', class: 'event ev-neutral', title: t('pc.also.title', { n: n }), icon: 'alert', testid: 'event-also' },
      bill > 0 ? h('p', { class: 'bill' }, own >= bill ? t('pc.minor.money.all', { bill: money(bill, true) }) : t('pc.minor.money', { bill: money(bill, true), own: money(own, true) })) : null,
      lost > 0 ? h('p', null, t('hap.income_lost', { amount: money(lost, true) })) : null,
      got > 0 ? h('p', { class: 'good' }, t('pc.also.got', { amount: money(got, true) })) : null,
      h('details', { class: 'more' }, h('summary', null, t('pc.more')),
        h('ul', { class: 'event-list' }, light.map((e) => h('li', null, eventCard(sc, e, stage)))))));
  }
  if (minor.length > 1) {
    const bill = minor.reduce((s, e) => s + e.bill, 0);
    const own = minor.reduce((s, e) => s + e.bill - e.covered, 0);
    items.unshift(card({ level: 'h2', class: 'event ev-neutral', title: t('pc.minor.title', { n: minor.length }), icon: 'medical', testid: 'event-minor' },
      h('p', { class: 'bill' }, own >= bill ? t('pc.minor.money.all', { bill: money(bill, true) }) : t('pc.minor.money', { bill: money(bill, true), own: money(own, true) }))));
  }
  if (!stage.events.some((e) => e.type === 'happening')) {
    items.unshift(card({ level: 'h2', class: 'event ev-good', title: t('pc.calm'), icon: 'check', testid: 'event-calm' }));
  }
  return h('ol', { id: 'event-list', class: 'event-list', 'data-testid': 'event-list', 'aria-label': t('result.events') },
    items.map((it) => h('li', null, it)));
}

/** The cover a stage's decisions gave, in short names. */
export function coverNames(sc, d, year) {
  const items = [];
  if (d.pension === 'employee') items.push(t('pc.cover.pension.employee'));
  else if (d.pension === 'residents') items.push(t('pc.cover.pension.residents'));
  if (d.medical === 'residents') items.push(t('cover.medical.residents'));
  else if (d.medical === 'employee') items.push(t('cover.medical.employee'));
  const j = d.job ? SC.job(sc, d.job) : null;
  if (j && SC.pilotOn(j, year)) items.push(t('cover.pilot'));
  if (d.accident_insurance) items.push(t('cover.accident'));
  return items.length ? items.join(t('pc.dot')) : t('cover.nothing');
}

/** The stage at a glance: savings before and after, what insurance paid, the cover now; the
 * full ledger (with "spent" explained) on demand. */
export function stageSummary(sc, stage, prevSavings, year, score, coverChanged = true) {
  const l = stage.ledger;
  const rows = [
    [t('led.earnings'), l.earnings], [t('led.pension'), l.pension_income], [t('led.lump'), l.lump_sums],
    [t('led.living'), -l.living], [t('led.contributions'), -l.contributions], [t('pc.led.spending'), -l.spending],
    [t('led.oop'), -(l.bills - l.covered)],
  ].filter((r) => r[1] !== 0);
  return card({ level: 'h2', id: 'ledger', testid: 'ledger', class: 'stage-sum' },
    h('p', { class: 'round-score', id: 'round-score', 'data-testid': 'round-score' }, iconText('shield', t('pc.score.line', { score: score }))),
    // The savings line opens on where the money went (one line less on every result).
    h('details', { class: 'more sum-more' }, h('summary', { class: 'lead', id: 'savings-line' }, iconText('wallet', t('pc.sum.savings', { from: money(prevSavings), to: money(stage.savings) }))),
      h('h3', { class: 'card-sub' }, t('pc.sum.where')),
      h('dl', { class: 'ledger' }, rows.map((r) => h('div', { class: 'sum-row' }, h('dt', null, r[0]), h('dd', { class: r[1] < 0 ? 'neg' : '' }, (r[1] > 0 ? '+' : '') + money(r[1]))))),
      h('p', { class: 'hint' }, t('pc.sum.spent'))),
    l.covered > 0 ? h('p', { class: 'ok-note', id: 'covered-line' }, iconText('shield', t('pc.sum.covered', { amount: money(l.covered) }))) : null,
    // The cover in force, when it is new this round (the same again is in the "as before" line).
    coverChanged ? h('p', { id: 'cover-line' }, iconText('shield', t('pc.sum.cover', { cover: coverNames(sc, stage.decisions || {}, year) }))) : null);
}
