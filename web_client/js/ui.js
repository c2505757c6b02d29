// Small DOM helpers: element building (never innerHTML for data), icons, the live region,
// and the "read aloud" buttons.
import { t, getLang, onLangChange } from './i18n.js';

const SVGNS = 'http://www.w3.org/2000/svg';

/** h('button', {class: 'btn', onclick: f, 'data-testid': 'x'}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el, attrs) {
  for (const k of Object.keys(attrs)) {
    const v = attrs[k];
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'selected') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(id) { return document.getElementById(id); }

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  if (attrs) for (const k of Object.keys(attrs)) {
    if (attrs[k] !== null && attrs[k] !== undefined) el.setAttribute(k, String(attrs[k]));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// 24×24 line icons, drawn with currentColor.
const ICONS = {
  coin: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M8.5 7.5l3.5 4.5 3.5-4.5M12 12v5.5M9 13h6M9 15.5h6',
  medical: 'M9 3h6v6h6v6h-6v6H9v-6H3V9h6z',
  shield: 'M12 3l8 3v6c0 5-3.5 8-8 9c-4.5-1-8-4-8-9V6zM8.5 12l2.5 2.5 4.5-5',
  heart: 'M12 20s-7.5-4.5-7.5-10.5A4.2 4.2 0 0 1 12 7a4.2 4.2 0 0 1 7.5 2.5C19.5 15.5 12 20 12 20z',
  work: 'M3.5 8h17v11h-17zM9 8V5h6v3M3.5 13h17',
  calendar: 'M4 6h16v14H4zM4 10h16M8 3.5v4M16 3.5v4',
  news: 'M4 5h13v14H5.5A1.5 1.5 0 0 1 4 17.5zM17 9h3v8.5a1.5 1.5 0 0 1-3 0M7 9h7M7 12.5h7M7 16h4',
  alert: 'M12 3.5l9.5 16.5h-19zM12 10v4.5M12 17v.5',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  cross: 'M6 6l12 12M18 6L6 18',
  speaker: 'M4 9.5h3.5L12 6v12l-4.5-3.5H4zM15.5 9.5a3.5 3.5 0 0 1 0 5M18 7a7 7 0 0 1 0 10',
  globe: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M3 12h18M12 3c3 3.5 3 14.5 0 18M12 3c-3 3.5-3 14.5 0 18',
  people: 'M9 11a3 3 0 1 0 0-6a3 3 0 1 0 0 6M3 20c0-3.5 2.7-6 6-6s6 2.5 6 6M16 5a3 3 0 0 1 0 6M18 14c2 .6 3 3 3 6',
  clock: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M12 7v5l3.5 2',
  wallet: 'M3 7h17v12H3zM3 7l12-3.5V7M15.5 13h4.5',
  home: 'M3 11.5l9-7.5 9 7.5M5.5 10v10h13V10M10 20v-5h4v5',
  move: 'M4 12h15M13.5 6.5L19 12l-5.5 5.5',
  gift: 'M4 10h16v10H4zM3 7h18v3H3zM12 7v13M12 7C10 3 6 4 7.5 7M12 7c2-4 6-3 4.5 0',
  star: 'M12 3.5l2.7 5.6 6.1.8-4.5 4.2 1.2 6L12 17.2l-5.5 2.9 1.2-6-4.5-4.2 6.1-.8z',
  play: 'M7 4.5l12 7.5-12 7.5z',
  pause: 'M7 5h3.5v14H7zM13.5 5H17v14h-3.5z',
  stop: 'M6 6h12v12H6z',
  download: 'M12 4v11M7 10.5l5 5 5-5M5 19.5h14',
  book: 'M4 5.5C6.5 4 9.5 4 12 6c2.5-2 5.5-2 8-.5V19c-2.5-1.5-5.5-1.5-8 .5c-2.5-2-5.5-2-8-.5zM12 6v13.5',
  phone: 'M7.5 3h9v18h-9zM11 18h2',
  user: 'M12 12a4 4 0 1 0 0-8a4 4 0 1 0 0 8M4.5 21c0-4 3.4-6.5 7.5-6.5s7.5 2.5 7.5 6.5',
  bolt: 'M13 3L5 13.5h6L10 21l8-10.5h-6z',
  pool: 'M3 15c2 0 2-1.5 4.5-1.5S9.5 15 12 15s2-1.5 4.5-1.5S19 15 21 15M3 19c2 0 2-1.5 4.5-1.5S9.5 19 12 19s2-1.5 4.5-1.5S19 19 21 19M8 12V5a2 2 0 0 1 4 0M16 12V5',
  chart: 'M4 4v16h16M8 16v-4M12 16V8M16 16v-6',
  qr: 'M4 4h6v6H4zM14 4h6v6h-6zM4 14h6v6H4zM14 14h2v2h-2zM18 18h2v2h-2zM14 18h2M18 14h2',
  question: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.7.3-1 1-1 1.7v.5M12 16.5v.5',
  arrow: 'M5 12h14M13 6l6 6-6 6',
};

export function icon(name, cls) {
  const el = svg('svg', {
    viewBox: '0 0 24 24', width: 24, height: 24, class: 'icon' + (cls ? ' ' + cls : ''),
    'aria-hidden': 'true', focusable: 'false', fill: 'none', stroke: 'currentColor',
    'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round',
  }, svg('path', { d: ICONS[name] || ICONS.question }));
  return el;
}

/** A word with its icon beside it. */
export function iconText(name, text, cls) {
  return h('span', { class: 'icon-text' + (cls ? ' ' + cls : '') }, icon(name), h('span', null, text));
}

// --- The live region --------------------------------------------------------------------

let liveTimer = null;
export function announce(message) {
  const live = document.getElementById('live');
  if (!live) return;
  clearTimeout(liveTimer);
  live.textContent = '';
  liveTimer = setTimeout(() => { live.textContent = message; }, 60);
}

/** A short message that stays on screen for a few seconds (also announced). */
export function toast(message, kind) {
  const box = document.getElementById('toast');
  announce(message);
  if (!box) return;
  box.textContent = message;
  box.className = 'toast' + (kind ? ' toast-' + kind : '');
  box.hidden = false;
  clearTimeout(box._timer);
  box._timer = setTimeout(() => { box.hidden = true; }, 5000);
}

// --- Read aloud (speechSynthesis) --------------------------------------------------------

const synth = typeof window !== 'undefined' ? window.speechSynthesis : undefined;

function voiceFor(lang) {
  if (!synth || typeof synth.getVoices !== 'function') return null;
  const want = lang === 'en' ? 'en' : 'zh';
  const voices = synth.getVoices() || [];
  return voices.find((v) => String(v.lang || '').toLowerCase().replace('_', '-').startsWith(want)) || null;
}

export function canSpeak() { return !!voiceFor(getLang()); }

export function refreshReadButtons() {
  const ok = canSpeak();
  document.querySelectorAll('.read-btn').forEach((b) => { b.hidden = !ok; });
}

if (synth && typeof synth.addEventListener === 'function') {
  synth.addEventListener('voiceschanged', refreshReadButtons);
}
onLangChange(() => { if (synth) synth.cancel(); refreshReadButtons(); });

function readableText(card) {
  const copy = card.cloneNode(true);
  copy.querySelectorAll('.read-btn, [data-noread], .sr-only, button, details:not([open]) > :not(summary)')
    .forEach((n) => n.remove());
  return copy.textContent.replace(/\s+/g, ' ').trim();
}

/** A "read aloud / 朗读" button for `card` (hidden when the browser has no voice for the
 * language). */
export function readButton(card) {
  const b = h('button', {
    type: 'button', class: 'read-btn', 'data-testid': 'read-aloud', 'aria-label': t('read.aloud'),
    onclick: () => {
      if (!synth) return;
      if (synth.speaking) { synth.cancel(); return; }
      const u = new SpeechSynthesisUtterance(readableText(card));
      const v = voiceFor(getLang());
      if (v) { u.voice = v; u.lang = v.lang; }
      u.rate = 0.95;
      synth.speak(u);
    },
  }, icon('speaker'), h('span', { class: 'read-label' }, t('read.short')));
  b.hidden = !canSpeak();
  return b;
}

/** A card: <article class="card"> with an optional heading, a read-aloud button and body. */
export function card(opts, ...body) {
  const o = opts || {};
  const el = h('article', { class: 'card' + (o.class ? ' ' + o.class : ''), id: o.id, 'data-testid': o.testid });
  const head = o.title ? h(o.level || 'h3', { class: 'card-title' }, o.icon ? icon(o.icon) : null, h('span', null, o.title)) : null;
  if (head || o.read !== false) {
    const bar = h('div', { class: 'card-head' }, head);
    if (o.read !== false) bar.appendChild(readButton(el));
    el.appendChild(bar);
  }
  append(el, body);
  return el;
}

/** A two-way segmented list of radio buttons. */
export function radios(name, options, value, onchange, cls) {
  return h('div', { class: 'choices' + (cls ? ' ' + cls : '') },
    options.map((o) => {
      const id = name + '-' + String(o.value).replace(/[^a-z0-9_-]/gi, '_');
      const input = h('input', {
        type: 'radio', name: name, id: id, value: String(o.value), checked: String(o.value) === String(value),
        disabled: o.disabled, 'data-testid': id,
        onchange: () => { if (input.checked) onchange(o.value); },
      });
      return h('label', { class: 'choice' + (o.disabled ? ' disabled' : ''), for: id },
        input,
        h('span', { class: 'choice-body' },
          h('span', { class: 'choice-main' }, o.icon ? icon(o.icon) : null, h('span', null, o.label)),
          o.cost ? h('span', { class: 'choice-cost' }, o.cost) : null,
          o.note ? h('span', { class: 'choice-note' }, o.note) : null,
          o.tags && o.tags.length ? h('span', { class: 'choice-tags' }, o.tags.map((tag) => h('span', { class: 'chip' + (tag.cls ? ' ' + tag.cls : '') }, tag.icon ? icon(tag.icon) : null, tag.text))) : null));
    }));
}

/** A horizontal bar (0..1) with a label. Widths are set through CSSOM (CSP allows it). */
export function bar(share, label, cls) {
  const fill = h('span', { class: 'bar-fill' + (cls ? ' ' + cls : '') });
  fill.style.width = Math.max(0, Math.min(1, share)) * 100 + '%';
  return h('div', { class: 'bar' }, h('span', { class: 'bar-track' }, fill), label ? h('span', { class: 'bar-label' }, label) : null);
}

/** A unique client message id. */
let counter = 0;
export function msgId(prefix) {
  counter += 1;
  return (prefix || 'm') + '-' + Date.now().toString(36) + '-' + counter + '-' + Math.random().toString(36).slice(2, 7);
}

/** Server clock offset (ms) from an HTTP Date header; used for countdowns. */
let clockOffset = 0;
export function setClockFrom(response) {
  const d = response && response.headers && response.headers.get('Date');
  if (!d) return;
  const server = Date.parse(d);
  if (!isNaN(server)) {
    const off = server + 500 - Date.now();
    clockOffset = Math.abs(off) > 2000 ? off : 0;
  }
}
export function serverNow() { return Date.now() + clockOffset; }

export function fmtClock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return m + ':' + String(s % 60).padStart(2, '0');
}

export function reducedMotion() {
  return window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}
