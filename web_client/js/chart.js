// The life timeline: savings at the end of each stage (area and line, one scale) with the big
// events and the retirement labelled on the line, drawn as SVG by hand, the events in words
// under it and a data table for screen readers.
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

/** The life's events for the chart: the big ones of each stage (one per age and kind) and the
 * retirement, in age order, each with its short label and its full name. */
export function chartEvents(points, retireAge, a0, a1) {
  const out = [];
  const seen = {};
  for (const p of points) {
    for (const m of p.marks || []) {
      const key = m.age + '|' + m.kind;
      if (seen[key]) continue;
      seen[key] = true;
      out.push({ age: m.age, kind: m.kind, bad: !!m.bad, cat: !!m.cat, label: t('chart.mark.' + m.kind), name: t('kind.' + m.kind) });
    }
  }
  if (retireAge && retireAge > a0 && retireAge <= a1) out.push({ age: retireAge, kind: 'retired', label: t('chart.retire'), name: t('chart.retire') });
  return out.sort((a, b) => a.age - b.age);
}

/** Savings at an age, on the line between the stages' ends. */
function savingsAt(pts, age) {
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i - 1]; const q = pts[i];
    if (age <= q.age) return q.age === p.age ? q.savings : p.savings + (q.savings - p.savings) * (age - p.age) / (q.age - p.age);
  }
  return pts[pts.length - 1].savings;
}

/**
 * The savings over the life on one scale (元, left), the big events and the retirement marked on
 * the line with a short label, and the same in words under it (the chart's text alternative,
 * with a data table for screen readers).
 * @param {object} o start: {age, savings, health}; points: [{start_age, end_age, savings, health,
 *   marks}]; retireAge; caption
 */
export function timeline(o) {
  const pts = [{ age: o.start.age, savings: o.start.savings, health: o.start.health }]
    .concat(o.points.map((p) => ({ age: p.end_age, savings: p.savings, health: p.health, marks: p.marks })));
  const W = 400; const H = 280; const L = 50; const R = 16; const T = 70; const B = 36;
  const ages = pts.map((p) => p.age);
  const a0 = Math.min.apply(null, ages); const a1 = Math.max(Math.max.apply(null, ages), a0 + 1);
  let lo = Math.min(0, Math.min.apply(null, pts.map((p) => p.savings)));
  let hi = Math.max(1000, Math.max.apply(null, pts.map((p) => p.savings)));
  const step = niceStep(hi - lo);
  lo = Math.floor(lo / step) * step; hi = Math.ceil(hi / step) * step;
  const x = (a) => L + (a - a0) / (a1 - a0) * (W - L - R);
  const y = (v) => T + (hi - v) / (hi - lo) * (H - T - B);
  const events = chartEvents(o.points, o.retireAge, a0, a1);

  const title = o.caption || t('chart.title');
  const said = events.map((e) => t('chart.event', { age: e.age, name: e.name })).join(t('list.sep'));
  const root = svg('svg', {
    viewBox: '0 0 ' + W + ' ' + H, class: 'timeline', role: 'img',
    'aria-label': title + (said ? t('pc.dot') + said : ''),
    id: 'chart', 'data-testid': 'timeline-chart', preserveAspectRatio: 'xMidYMid meet',
  });
  // The one scale: money, on the left.
  const axis = svg('g', { class: 'axis axis-money', 'data-testid': 'chart-axis' });
  for (let v = lo; v <= hi + 1e-6; v += step) {
    root.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: v === 0 ? 'axis-zero' : 'grid' }));
    axis.appendChild(svg('text', { x: L - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, shortMoney(v)));
  }
  root.appendChild(axis);
  // age axis
  const span = a1 - a0;
  const ageStep = span > 30 ? 10 : span > 12 ? 5 : 2;
  for (let a = Math.ceil(a0 / ageStep) * ageStep; a <= a1; a += ageStep) {
    root.appendChild(svg('text', { x: x(a), y: H - B + 18, class: 'tick', 'text-anchor': 'middle' }, String(a)));
  }
  root.appendChild(svg('text', { x: (L + W - R) / 2, y: H - 4, class: 'axis-title', 'text-anchor': 'middle' }, t('chart.age')));
  // retirement: a line across the chart
  if (o.retireAge && o.retireAge > a0 && o.retireAge < a1) {
    root.appendChild(svg('line', { x1: x(o.retireAge), x2: x(o.retireAge), y1: T, y2: H - B, class: 'retire-line' }));
  }
  // savings area and line
  const line = pts.map((p, i) => (i ? 'L' : 'M') + x(p.age).toFixed(1) + ' ' + y(p.savings).toFixed(1)).join(' ');
  const area = line + ' L' + x(pts[pts.length - 1].age).toFixed(1) + ' ' + y(0).toFixed(1) + ' L' + x(pts[0].age).toFixed(1) + ' ' + y(0).toFixed(1) + ' Z';
  root.appendChild(svg('path', { d: area, class: 'savings-area' }));
  root.appendChild(svg('path', { d: line, class: 'savings-line' }));
  for (const p of pts) root.appendChild(svg('circle', { cx: x(p.age), cy: y(p.savings), r: 3.5, class: p.savings < 0 ? 'dot dot-debt' : 'dot' }));
  // The events on the line, one mark per age (its events' short labels together); labels that
  // would touch one before go a row higher (four rows over the plot), so none is drawn over
  // another.
  const groups = [];
  for (const e of events) {
    const last = groups[groups.length - 1];
    if (last && last.age === e.age) last.items.push(e); else groups.push({ age: e.age, items: [e] });
  }
  const rows = [-Infinity, -Infinity, -Infinity, -Infinity];
  groups.forEach((gr, i) => {
    const ex = x(gr.age); const ey = y(savingsAt(pts, gr.age));
    const worst = gr.items.find((e) => e.cat) || gr.items.find((e) => e.bad) || gr.items[0];
    const cls = worst.kind === 'retired' ? 'mark mark-retire' : worst.bad ? (worst.cat ? 'mark mark-cat' : 'mark mark-bad') : 'mark mark-good';
    const label = gr.items.map((e) => e.label).join(isEn() ? ', ' : '、');
    const g = svg('g', { class: 'chart-event', 'data-testid': 'chart-event', 'data-kinds': gr.items.map((e) => e.kind).join(' '), 'data-age': gr.age });
    g.appendChild(svg('circle', { cx: ex, cy: ey, r: 5.5, class: cls },
      svg('title', null, gr.items.map((e) => t('chart.event', { age: e.age, name: e.name })).join(t('list.sep')))));
    const width = label.length * (isEn() ? 7 : 12.5) + 8;
    let lx = Math.min(Math.max(ex, L + width / 2), W - width / 2);
    let row = rows.findIndex((end) => lx - width / 2 > end);
    if (row < 0) {
      // Every row taken here: the least full one, the label moved just past its last label.
      row = rows.indexOf(Math.min.apply(null, rows));
      lx = rows[row] + 2 + width / 2;
    }
    rows[row] = lx + width / 2;
    const labelY = 14 + row * 15; // the band over the plot, row by row
    g.appendChild(svg('line', { x1: ex, x2: ex, y1: labelY + 3, y2: ey - 6, class: 'mark-stem' }));
    g.appendChild(svg('text', { x: lx, y: labelY, class: 'event-label', 'text-anchor': 'middle' }, label));
    root.appendChild(g);
  });
  const legend = h('p', { class: 'chart-legend' },
    h('span', { class: 'key key-savings' }), t('chart.savings'), ' ',
    h('span', { class: 'key key-mark' }), t('chart.events'));
  // The events in words: what the marks say, for everyone (and the chart's text alternative).
  const list = events.length ? h('ol', { class: 'chart-events', id: 'chart-events', 'data-testid': 'chart-events' },
    events.map((e) => h('li', { 'data-kind': e.kind }, t('chart.event', { age: e.age, name: e.name })))) : null;
  const table = h('table', { class: 'sr-only' },
    h('caption', null, title),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('chart.age')), h('th', { scope: 'col' }, t('chart.savings')), h('th', { scope: 'col' }, t('chart.health.col')))),
    h('tbody', null, pts.map((p) => h('tr', null, h('td', null, String(p.age)), h('td', null, money(p.savings)), h('td', null, String(Math.round(p.health)))))));
  return h('figure', { class: 'chart' }, root, legend, list, table);
}
