// Scenario data from the server (/api/scenarios, /api/scenarios/{id}). In a game the prices of
// the open round come from the server (status.options.prices, computed with the engine's own
// functions); the guide page's illustrations (employeePensionMonthly, employeeMedicalMonthly)
// are the one place left that works a figure out from the data here.
import { setClockFrom } from './ui.js';

const cache = {};
let listCache = null;

export async function listScenarios() {
  if (!listCache) {
    listCache = fetch('/api/scenarios').then((r) => {
      if (!r.ok) throw new Error('scenarios ' + r.status);
      setClockFrom(r);
      return r.json();
    });
    listCache.catch(() => { listCache = null; });
  }
  return listCache;
}

export async function getScenario(id) {
  if (!cache[id]) {
    cache[id] = fetch('/api/scenarios/' + encodeURIComponent(id)).then((r) => {
      if (!r.ok) throw new Error('scenario ' + r.status);
      setClockFrom(r);
      return r.json();
    });
    cache[id].catch(() => { delete cache[id]; });
  }
  return cache[id];
}

/** National rules the engine uses (game_server/engine/policy.py), each with its source.
 * City figures never live here: they come from the scenario data. */
export const RULES = {
  flexibleRate: { value: 0.20, source: '国发〔2005〕38号' },
  accountRate: { value: 0.08, source: '国发〔2005〕38号' },
  basePct: { min: 60, max: 300, source: '国办发〔2019〕13号' },
  minYears: { value: 15, to: 20, source: '全国人大常委会关于实施渐进式延迟法定退休年龄的决定 (2024-09-13), art. 2' },
  retirementAge: { source: '全国人大常委会关于实施渐进式延迟法定退休年龄的决定 (2024-09-13), art. 1' },
  residentsAge: { value: 60, years: 15, source: '国发〔2014〕8号' },
  transfer: { years: 10, source: '国办发〔2009〕66号' },
  waiting: { months: 3, source: '国办发〔2024〕38号' },
  continuity: { after: 4, perYear: 1000, share: 0.2, source: '国办发〔2024〕38号' },
  personalPension: { cap: 12000, tax: 0.03, source: 'ECNS 2023-03' },
  injury: { months: 13, source: '人社部发〔2025〕24号; 《工伤保险条例》 art. 37 (estimate)' },
  catastrophic: { share: 0.4, source: 'WHO 2005' },
};

export function city(sc, id) {
  return sc.cities.find((c) => c.id === id) || sc.cities[0];
}

export function job(sc, id) {
  return sc.jobs.find((j) => j.id === id) || null;
}

export function anyEstimate(...values) {
  return values.some((v) => v && v.estimate);
}

/** The monthly contribution base for a level: the lowest (60%) is the published floor, the
 * others a percentage of the average wage within the floor and ceiling (as engine/policy.py's
 * contribution_base, which the server's figures use). */
export function pensionBase(c, pct) {
  if (pct <= 60) return c.pension_base_floor.value;
  const avg = c.average_wage_monthly.value;
  return Math.min(Math.max(avg * pct / 100, c.pension_base_floor.value), c.pension_base_ceiling.value);
}

export function employeePensionMonthly(c, pct) {
  return pensionBase(c, pct) * RULES.flexibleRate.value;
}

export function employeePensionEstimate(c) {
  return anyEstimate(c.average_wage_monthly, c.pension_formula_wage_monthly, c.pension_base_floor, c.pension_base_ceiling);
}

export function employeeMedicalMonthly(c) {
  return c.employee_medical_rate.value * c.pension_base_floor.value;
}

export function employeeMedicalEstimate(c) {
  return anyEstimate(c.employee_medical_rate, c.pension_base_floor);
}

/** Whether the job's platform is in the occupational-injury pilot in `year`. */
export function pilotOn(j, year) {
  return !!(j && j.injury_pilot_from_year && year >= j.injury_pilot_from_year.value);
}

/** Whether a worker can join the employees' pension in city `c` in `year` (the hukou limit). */
export function employeeAllowed(sc, c, year) {
  const lifted = c.hukou_limit_lifted_year;
  return !lifted || year >= lifted.value || sc.persona.hukou_city === c.id;
}

/** Options of the decisions: what is possible this round. */
export function cityOfDecision(sc, d, status) {
  const j = d.job ? job(sc, d.job) : null;
  return city(sc, j ? j.city : status.city || sc.persona.hukou_city);
}

/** The open round's prices (status.options.prices): computed by the server with the engine's
 * own functions (engine/costs.py), so the phone shows what the life will be charged. */
export function prices(st) {
  return (st && st.options && st.options.prices) || { cities: {}, accident: 0, income: {} };
}

function cityPrices(st, c) {
  return prices(st).cities[c.id] || { employee_pension: {}, medical: {}, living: 0 };
}

export function employeePensionPrice(st, c, pct) {
  return cityPrices(st, c).employee_pension[String(pct)] || 0;
}

export function medicalPrice(st, c, medical) {
  return cityPrices(st, c).medical[medical] || 0;
}

export function accidentPrice(st) {
  return prices(st).accident;
}

export function incomePrice(st, j, hours) {
  const byJob = j ? prices(st).income[j.id] : null;
  return byJob ? byJob[hours] || 0 : 0;
}

export function livingPrice(st, c) {
  return cityPrices(st, c).living;
}

/** What the chosen cover costs a month (and whether any figure is an estimate). */
export function monthlyCosts(sc, d, status, phase) {
  const c = cityOfDecision(sc, d, status);
  const working = phase === 'working';
  const out = { pension: 0, medical: 0, accident: 0, personal: 0, estimate: false };
  if (working && d.pension === 'employee') {
    out.pension = employeePensionPrice(status, c, d.pension_base_pct || 60);
    out.estimate = out.estimate || employeePensionEstimate(c);
  } else if (working && d.pension === 'residents') {
    out.pension = (d.residents_tier || 0) / 12;
  }
  if (d.medical === 'residents') {
    out.medical = medicalPrice(status, c, 'residents');
    out.estimate = out.estimate || c.residents_medical_premium_yearly.estimate;
  } else if (d.medical === 'employee') {
    out.medical = medicalPrice(status, c, 'employee');
    out.estimate = out.estimate || employeeMedicalEstimate(c);
  }
  if (working && d.accident_insurance) {
    out.accident = accidentPrice(status);
    out.estimate = out.estimate || sc.commercial_accident_insurance.premium_yearly.estimate;
  }
  if (working && d.personal_pension) out.personal = d.personal_pension / 12;
  out.total = out.pension + out.medical + out.accident + out.personal;
  return out;
}

/** What a round's cover was, as one string (to tell whether it changed from the round before). */
export function coverKey(d) {
  return [d.pension, d.medical, !!d.accident_insurance, d.job || ''].join('|');
}

/** A stage (round_result.stage) cut down to what the timeline and the score need. */
export function stageDigest(stage) {
  const d = stage.decisions || {};
  const years = stage.end_age - stage.start_age;
  let pensionYears = 0;
  if (stage.phase === 'working') {
    if (d.pension === 'employee') pensionYears = years;
    else if (d.pension === 'residents') {
      for (let a = stage.start_age; a < stage.end_age; a++) if (a < RULES.residentsAge.value) pensionYears += 1;
    }
  }
  const marks = [];
  for (const e of stage.events || []) {
    if (e.type === 'happening' && (e.bill >= 10000 || e.disabled || e.catastrophic || e.kind === 'windfall')) {
      marks.push({ age: e.age, kind: e.kind, bad: e.kind !== 'windfall', cat: !!e.catastrophic });
    }
  }
  return {
    round: stage.round,
    start_age: stage.start_age,
    end_age: stage.end_age,
    phase: stage.phase,
    cover: coverKey(d),
    saving: d.saving_rate,
    savings: stage.savings,
    health: stage.health,
    pension_years: pensionYears,
    medical_years: d.medical && d.medical !== 'none' ? years : 0,
    marks: marks,
  };
}
