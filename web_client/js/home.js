// Home: play alone, join a room, host a workshop, the guide. A QR link (/?room=CODE) goes
// straight on to the player page with the code filled in.
import { t, initLang, onLangChange } from './i18n.js';
import { h, $, clear, icon } from './ui.js';
import { lastCode, loadSession } from './net.js';

function link(id, href, ic, title, text) {
  return h('a', { class: 'card home-link', id: id, 'data-testid': id, href: href },
    icon(ic), h('span', null, h('strong', null, title), h('span', null, text)));
}

function render() {
  const root = clear($('home'));
  root.appendChild(h('div', { class: 'hero' },
    h('h1', null, t('app.name')),
    h('p', { class: 'tagline' }, t('home.tagline'))));
  root.appendChild(h('p', { class: 'lead' }, t('home.intro')));

  const last = lastCode('player');
  const saved = last && loadSession(last);
  if (saved && saved.token) {
    root.appendChild(h('p', { class: 'card resume-card' },
      h('a', { href: 'play.html?room=' + saved.code, id: 'home-resume', 'data-testid': 'home-resume' }, t('start.resume', { code: saved.code }))));
  }

  const code = h('input', {
    id: 'join-code', type: 'text', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: 6, autocomplete: 'off',
    'aria-describedby': 'home-join-hint', 'data-testid': 'join-code',
  });
  const err = h('p', { class: 'form-error', id: 'home-join-error', role: 'alert' });
  const join = h('section', { class: 'card home-join', 'aria-labelledby': 'home-join-title' },
    h('h2', { id: 'home-join-title' }, icon('people'), ' ', t('home.join')),
    h('form', {
      class: 'form', id: 'home-join-form', novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        const c = code.value.replace(/\D/g, '');
        if (!/^\d{6}$/.test(c)) { err.textContent = t('err.code'); code.focus(); return; }
        location.href = 'play.html?room=' + c;
      },
    },
    h('label', { for: 'join-code' }, t('start.code')),
    h('div', { class: 'join-row' }, code,
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'join-btn', 'data-testid': 'join-btn' }, t('home.join.btn'))),
    h('p', { class: 'hint', id: 'home-join-hint' }, t('home.join.hint')),
    err));

  root.appendChild(h('nav', { class: 'home-actions', 'aria-label': t('home.nav') },
    join,
    link('home-solo', 'play.html?solo=1', 'user', t('home.solo'), t('home.solo.text')),
    link('home-host', 'host.html', 'people', t('home.host'), t('home.host.text')),
    link('home-guide', 'guide.html', 'book', t('home.guide'), t('home.guide.text'))));

  root.appendChild(h('section', { class: 'card', 'aria-labelledby': 'home-about' },
    h('h2', { id: 'home-about' }, t('home.about.title')),
    h('p', null, t('home.about.1')),
    h('p', null, t('home.about.2')),
    h('p', { class: 'hint' }, t('home.privacy'))));
}

const params = new URLSearchParams(location.search);
const room = (params.get('room') || '').trim();
if (/^\d{6}$/.test(room)) {
  location.replace('play.html?room=' + room);
} else {
  initLang().then(() => {
    render();
    onLangChange(render);
  });
}
