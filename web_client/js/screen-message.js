// A message screen: connecting, kicked, the game gone. The state gives its title and text as
// catalogue keys.
import { t } from './i18n.js';
import { h, clear, icon } from './ui.js';

export function deps(s) {
  return [s.message, s.me, s.net];
}

export function render(root, s) {
  clear(root);
  const m = s.message || { title: 'net.connecting', text: '' };
  root.appendChild(h('h1', { id: 'message-title', class: 'screen-title' }, t(m.title)));
  if (m.text) root.appendChild(h('p', { class: 'lead' }, t(m.text)));
  if (s.me && s.net !== 'closed') {
    root.appendChild(h('p', { class: 'muted' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', t('loading')));
  } else {
    root.appendChild(h('div', { class: 'action-bar' },
      h('a', { class: 'btn btn-primary', href: 'play.html', id: 'restart-btn' }, icon('play'), h('span', null, t('end.new'))),
      h('a', { class: 'btn btn-ghost', href: './' }, icon('home'), h('span', null, t('nav.home')))));
  }
}
