// The end of a life, lesson first: the score and the one thing that decided it, the same life
// insured and not insured, then how to do it for real (a call, the official services, the
// scenario city's steps). The quiz and the share card follow (drawn by play.js).
import { t, tx, isEn } from './i18n.js';
import { money, num } from './format.js';
import { h, icon, iconText, card, bar } from './ui.js';
import { sourceIn } from './sources.js';

// The score measures outcomes (engine/scoring.py): old age, hardship, health, working life.
const PARTS = [['old_age', 350], ['hardship', 250], ['health', 150], ['working_life', 250]];

/** The part of the score that held it down most, as one sentence (or praise when none did). */
export function decidedBy(summary) {
  let worst = null;
  for (const [name, max] of PARTS) {
    if (name === 'old_age' && summary.parts.scaled) continue; // died before retiring: no old age
    const share = summary.parts[name] / max;
    if (!worst || share < worst[1]) worst = [name, share];
  }
  if (!worst || worst[1] >= 0.7) return t('pc.end.decided.good');
  return t('pc.end.decided.' + worst[0]);
}

export function scoreCard(lo, outcomeLine, badges) {
  const s = lo.summary;
  return card({ level: 'h2', title: t('end.score'), icon: 'shield', id: 'final-score', testid: 'final-score' },
    h('p', { class: 'big-number' }, num(s.score), h('small', null, ' / 1000')),
    h('p', { class: 'lead', id: 'decided-by', 'data-testid': 'decided-by' }, decidedBy(s)),
    h('p', null, outcomeLine),
    // The account comes from bases and wages that are mostly estimates: shown as one (约).
    s.inherited_account > 0 ? h('p', { 'data-testid': 'inherited' }, t('end.inherited', { amount: money(s.inherited_account, true) })) : null,
    h('details', { class: 'more' }, h('summary', null, t('pc.end.parts')),
      h('ul', { class: 'parts', id: 'score-parts', 'data-testid': 'score-parts' }, PARTS.map((p) => h('li', null,
        h('span', { class: 'part-name' }, t('part.' + p[0])),
        bar(s.parts[p[0]] / p[1], num(s.parts[p[0]]) + ' / ' + p[1]),
        h('span', { class: 'hint' }, t('part.' + p[0] + '.how'))))),
      h('p', null, t('end.paid', { paid: money(s.paid_in, true), received: money(s.received, true) })),
      h('p', null, t('end.bills', { bills: money(s.bills, true), oop: money(s.out_of_pocket, true) }))),
    badges);
}

function cfLesson(cf) {
  const a = cf.actual; const i = cf.insured; const u = cf.uninsured;
  if (i.score > a.score + 20) return t('cf.lesson.more', { diff: num(i.score - a.score) });
  if (a.score > u.score + 20) return t('cf.lesson.good', { diff: num(a.score - u.score) });
  return t('cf.lesson.same');
}

export function counterfactualCard(cf) {
  const cols = [['actual', cf.actual], ['insured', cf.insured], ['uninsured', cf.uninsured]];
  // Every sum of a life comes from estimated wages, bases and bills: each is shown as one (约).
  const rows = [
    ['cf.score', (x) => num(x.score)],
    ['cf.pension', (x) => money(x.monthly_pension, true)],
    ['cf.oop', (x) => money(x.out_of_pocket, true)],
    ['cf.paid', (x) => money(x.paid_in, true)],
    ['cf.savings', (x) => money(x.savings_end, true)],
  ];
  return card({ level: 'h2', title: t('cf.title'), icon: 'chart', id: 'counterfactual', testid: 'counterfactual' },
    h('p', { class: 'lead' }, cfLesson(cf)),
    h('table', { class: 'cf-table' },
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', id: 'cf-h-' + c[0], class: 'cf-' + c[0] }, t('cf.' + c[0]))))),
      rows.map((r, i) => h('tbody', null,
        h('tr', null, h('th', { scope: 'colgroup', colspan: 3, id: 'cf-m-' + i, class: 'cf-metric' }, t(r[0]))),
        h('tr', null, cols.map((c) => h('td', { class: 'cf-' + c[0], headers: 'cf-h-' + c[0] + ' cf-m-' + i, 'data-testid': 'cf-' + c[0] + '-' + r[0].slice(3) }, r[1](c[1]))))))),
    h('p', { class: 'hint' }, t('cf.intro')));
}

/** The official national services (their public addresses), each with what one does there. */
export const OFFICIAL = [
  { id: 'si', href: 'https://si.12333.gov.cn/', icon: 'globe' },
  { id: 'nhsa', href: 'https://fuwu.nhsa.gov.cn/', icon: 'medical' },
];

const CHANNEL_ICON = {
  '12333': 'phone', e_social_security_card: 'phone', national_platform: 'globe',
  platform_app: 'phone', medical_insurance_app: 'medical',
};

function cityCard(r) {
  return h('li', { class: 'rw-item', 'data-testid': 'rw-' + r.id },
    h('details', { class: 'more' },
      h('summary', null, icon(CHANNEL_ICON[r.channel] || 'phone'), h('span', null, tx(r.title))),
      h('p', { class: 'chip-row' },
        h('span', { class: 'chip' }, t('channel.' + r.channel)),
        h('span', { class: 'chip chip-soft' }, t('scheme.' + r.scheme))),
      h('p', null, tx(r.steps)),
      h('p', { class: 'source' }, t('source') + ' ' + sourceIn(r.source, isEn()))));
}

/** "Do it for real": call 12333, the national services, the e-card, the city's steps. */
export function doItForReal(sc) {
  return h('section', { id: 'real-world', class: 'card rw', 'data-testid': 'real-world', 'aria-labelledby': 'rw-title' },
    h('h2', { id: 'rw-title', class: 'card-title' }, iconText('phone', t('pc.rw.title'))),
    h('a', { class: 'btn btn-primary btn-big', id: 'call-12333', 'data-testid': 'call-12333', href: 'tel:12333' }, icon('phone'), h('span', null, t('pc.rw.call'))),
    h('p', { class: 'hint' }, t('pc.rw.call.note')),
    // The national services on demand: their names in the summary, the links inside.
    h('details', { class: 'more rw-more', id: 'rw-more', 'data-testid': 'rw-more' }, h('summary', null, t('pc.rw.more')),
    h('ul', { class: 'rw-links' }, OFFICIAL.map((o) => h('li', null,
      h('a', { class: 'rw-link', id: 'rw-link-' + o.id, 'data-testid': 'rw-link-' + o.id, href: o.href, rel: 'noopener' },
        icon(o.icon), h('span', null, h('strong', null, t('pc.rw.' + o.id)), h('small', null, t('pc.rw.' + o.id + '.note'))))))
      .concat([h('li', { class: 'rw-link', id: 'rw-ecard', 'data-testid': 'rw-ecard' }, icon('phone'),
        h('span', null, h('strong', null, t('pc.rw.ecard')), h('small', null, t('pc.rw.ecard.note'))))]))),
    h('h3', { class: 'card-sub' }, t('pc.rw.city', { title: tx(sc.title) })),
    h('ul', { class: 'rw-city' }, sc.real_world.map(cityCard)),
    h('a', { class: 'btn', id: 'plan-link', 'data-testid': 'plan-link', href: 'guide.html#plan' }, icon('user'), h('span', null, t('pc.rw.plan'))));
}
