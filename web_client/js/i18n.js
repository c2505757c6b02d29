// Message catalogs and the language switch. Chinese by default; English one tap away.
// Only the catalog in use is loaded (the other comes when the language is switched).

const CATALOGS = {};
const LOADERS = {
  'zh-CN': () => import('../i18n/zh-CN.js'),
  en: () => import('../i18n/en.js'),
};
const loading = {};
const KEY = 'gl.lang';
const listeners = [];
let lang = detect();

function detect() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch (e) { /* private mode */ }
  const nav = String(navigator.language || 'zh').toLowerCase();
  return nav.startsWith('en') ? 'en' : 'zh-CN';
}

export function getLang() { return lang; }
export function isEn() { return lang === 'en'; }

/** Load a language's catalog (once). */
export function loadCatalog(which) {
  const l = which === 'en' ? 'en' : 'zh-CN';
  if (CATALOGS[l]) return Promise.resolve(CATALOGS[l]);
  if (!loading[l]) {
    loading[l] = LOADERS[l]().then((m) => { CATALOGS[l] = m.default; return m.default; });
    loading[l].catch(() => { delete loading[l]; });
  }
  return loading[l];
}

/** The text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars) {
  const cat = CATALOGS[lang] || CATALOGS['zh-CN'] || CATALOGS.en || {};
  let s = cat[key];
  if (s === undefined && CATALOGS['zh-CN']) s = CATALOGS['zh-CN'][key];
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}

/** The text for `key` in a given language (for bilingual displays). */
export function tIn(which, key) {
  const cat = CATALOGS[which === 'en' ? 'en' : 'zh-CN'];
  return !cat || cat[key] === undefined ? '' : cat[key];
}

/** Scenario text ({zh, en}) in the current language. */
export function tx(text) {
  if (!text) return '';
  return lang === 'en' ? text.en : text.zh;
}

/** Scenario text in the other language (for bilingual displays). */
export function txOther(text) {
  if (!text) return '';
  return lang === 'en' ? text.zh : text.en;
}

export function setLang(next) {
  const l = next === 'en' ? 'en' : 'zh-CN';
  try { localStorage.setItem(KEY, l); } catch (e) { /* ignore */ }
  return loadCatalog(l).then(() => {
    lang = l;
    applyStatic();
    for (const f of listeners) f(lang);
  });
}

export function onLangChange(f) { listeners.push(f); }

/** Fill elements marked with data-i18n (text), data-i18n-label (aria-label),
 * data-i18n-placeholder, and the page title (body[data-title]). */
export function applyStatic(root) {
  const r = root || document;
  document.documentElement.lang = lang;
  r.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  r.querySelectorAll('[data-i18n-label]').forEach((el) => {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  });
  r.querySelectorAll('[data-i18n-placeholder]').forEach((el) => {
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  });
  const title = document.body && document.body.dataset.title;
  if (title) document.title = t(title) + ' · ' + t('app.name');
  labelToggle();
}

/** The language button's label: the other language's name, or its short form ("EN", "中")
 * while a life is played (`body.in-life`: one word less on every round's screens). */
export function labelToggle() {
  const toggle = document.getElementById('lang-toggle');
  if (!toggle) return;
  const short = document.body && document.body.classList.contains('in-life');
  toggle.textContent = lang === 'en' ? (short ? '中' : '中文') : (short ? 'EN' : 'English');
  toggle.setAttribute('lang', lang === 'en' ? 'zh-CN' : 'en');
  toggle.setAttribute('aria-label', t('lang.switch'));
}

/** Load the catalog in use, fill the static texts and wire the language button. */
export function initLang() {
  const toggle = document.getElementById('lang-toggle');
  if (toggle) toggle.addEventListener('click', () => setLang(lang === 'en' ? 'zh-CN' : 'en'));
  return loadCatalog(lang).then(() => applyStatic());
}
