// The life timeline: savings at the end of each stage (area and line) and health (dashed),
// drawn as SVG by hand, with a data table for screen readers.
import { svg, h } from './ui.js';
import { t, isEn } from './i18n.js';
import { money, num } from './format.js';

export function shortMoney(v) {
  const a = Math.abs(v);
  const sign = v < 0 ? '−' : '';
  if (isEn()) {
    if (a >= 1e6) return sign + '¥' + num(a / 1e6, 1) + 'm';
    if (a >= 1e3) return sign + '¥' + num(a / 1e3, 0) + 'k';
    return sign + '¥' + num(a);
  }
  if (a >= 1e4) return sign + num(a / 1e4, 1) + '万';
  return sign + num(a);
}

function niceStep(range) {
  const raw = range / 4;
  const p = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/**
 * @param {object} o start: {age, savings, health}; points: [{start_age, end_age, savings, health,
 *   marks}]; retireAge; caption
 */
export function timeline(o) {
  const pts = [{ age: o.start.age, savings: o.start.savings, health: o.start.health }]
    .concat(o.points.map((p) => ({ age: p.end_age, savings: p.savings, health: p.health, marks: p.marks })));
  const W = 400; const H = 250; const L = 50; const R = 30; const T = 14; const B = 36;
  const ages = pts.map((p) => p.age);
  const a0 = Math.min.apply(null, ages); const a1 = Math.max(Math.max.apply(null, ages), a0 + 1);
  let lo = Math.min(0, Math.min.apply(null, pts.map((p) => p.savings)));
  let hi = Math.max(1000, Math.max.apply(null, pts.map((p) => p.savings)));
  const step = niceStep(hi - lo);
  lo = Math.floor(lo / step) * step; hi = Math.ceil(hi / step) * step;
  const x = (a) => L + (a - a0) / (a1 - a0) * (W - L - R);
  const y = (v) => T + (hi - v) / (hi - lo) * (H - T - B);
  const yh = (v) => T + (100 - v) / 100 * (H - T - B);

  const title = o.caption || t('chart.title');
  const root = svg('svg', {
    viewBox: '0 0 ' + W + ' ' + H, class: 'timeline', role: 'img', 'aria-label': title,
    id: 'chart', 'data-testid': 'timeline-chart', preserveAspectRatio: 'xMidYMid meet',
  });
  // grid and money axis
  for (let v = lo; v <= hi + 1e-6; v += step) {
    root.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: v === 0 ? 'axis-zero' : 'grid' }));
    root.appendChild(svg('text', { x: L - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, shortMoney(v)));
  }
  // health axis (right)
  for (const v of [0, 50, 100]) {
    root.appendChild(svg('text', { x: W - R + 6, y: yh(v) + 4, class: 'tick tick-health' }, String(v)));
  }
  // age axis
  const span = a1 - a0;
  const ageStep = span > 30 ? 10 : span > 12 ? 5 : 2;
  for (let a = Math.ceil(a0 / ageStep) * ageStep; a <= a1; a += ageStep) {
    root.appendChild(svg('text', { x: x(a), y: H - B + 18, class: 'tick', 'text-anchor': 'middle' }, String(a)));
  }
  root.appendChild(svg('text', { x: (L + W - R) / 2, y: H - 4, class: 'axis-title', 'text-anchor': 'middle' }, t('chart.age')));
  // retirement
  if (o.retireAge && o.retireAge > a0 && o.retireAge < a1) {
    root.appendChild(svg('line', { x1: x(o.retireAge), x2: x(o.retireAge), y1: T, y2: H - B, class: 'retire-line' }));
    root.appendChild(svg('text', { x: x(o.retireAge) + 4, y: T + 12, class: 'tick retire-label' }, t('chart.retire')));
  }
  // savings area and line
  const line = pts.map((p, i) => (i ? 'L' : 'M') + x(p.age).toFixed(1) + ' ' + y(p.savings).toFixed(1)).join(' ');
  const area = line + ' L' + x(pts[pts.length - 1].age).toFixed(1) + ' ' + y(0).toFixed(1) + ' L' + x(pts[0].age).toFixed(1) + ' ' + y(0).toFixed(1) + ' Z';
  root.appendChild(svg('path', { d: area, class: 'savings-area' }));
  root.appendChild(svg('path', { d: line, class: 'savings-line' }));
  const hline = pts.map((p, i) => (i ? 'L' : 'M') + x(p.age).toFixed(1) + ' ' + yh(p.health).toFixed(1)).join(' ');
  root.appendChild(svg('path', { d: hline, class: 'health-line' }));
  for (const p of pts) {
    root.appendChild(svg('circle', { cx: x(p.age), cy: y(p.savings), r: 4, class: p.savings < 0 ? 'dot dot-debt' : 'dot' }));
    for (const m of p.marks || []) {
      const mx = x(m.age);
      const my = H - B - 2;
      root.appendChild(svg('path', {
        d: 'M' + mx + ' ' + (my - 10) + ' l6 10 h-12 z',
        class: m.bad ? (m.cat ? 'mark mark-cat' : 'mark mark-bad') : 'mark mark-good',
      }, svg('title', null, t('kind.' + m.kind) + ' · ' + m.age)));
    }
  }
  const legend = h('p', { class: 'chart-legend' },
    h('span', { class: 'key key-savings' }), t('chart.savings'), ' ',
    h('span', { class: 'key key-health' }), t('chart.health'), ' ',
    h('span', { class: 'key key-mark' }), t('chart.events'));
  const table = h('table', { class: 'sr-only' },
    h('caption', null, title),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('chart.age')), h('th', { scope: 'col' }, t('chart.savings')), h('th', { scope: 'col' }, t('chart.health')))),
    h('tbody', null, pts.map((p) => h('tr', null, h('td', null, String(p.age)), h('td', null, money(p.savings)), h('td', null, String(Math.round(p.health)))))));
  return h('figure', { class: 'chart' }, root, legend, table);
}
