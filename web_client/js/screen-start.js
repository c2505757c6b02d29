// The start screen: join a workshop (the code, or only the nickname when the QR link gave the
// code) or play alone (pick a life). render(root, state, act) draws it from the state.
import { t, tx, isEn } from './i18n.js';
import { h, clear, icon, iconText, msgId } from './ui.js';
import { loadSession, lastCode } from './net.js';
import { errorText } from './screen-text.js';

const NICKS_ZH = ['向日葵', '小蜜蜂', '蒲公英', '小松鼠', '山茶花', '小海豚', '银杏叶', '小骆驼'];
const NICKS_EN = ['Sunflower', 'Bee', 'Dandelion', 'Squirrel', 'Camellia', 'Dolphin', 'Ginkgo', 'Camel'];

export function defaultNickname() {
  try {
    const saved = localStorage.getItem('gl.nick');
    if (saved) return saved;
  } catch (e) { /* */ }
  const i = Math.floor(Math.random() * NICKS_ZH.length);
  return (isEn() ? NICKS_EN[i] : NICKS_ZH[i]) + (10 + Math.floor(Math.random() * 90));
}

/** What the screen is drawn from: a change of any redraws it. */
export function deps(s) {
  return [s.startMode, s.fromLink, s.prefillCode, s.joining, s.formError, s.scenarios, s.soloScenario];
}

export function render(root, s, act) {
  clear(root);
  root.appendChild(h('h1', { class: 'page-title' }, t('play.title')));
  const last = lastCode('player');
  const saved = last && loadSession(last);
  if (saved && saved.token) {
    root.appendChild(h('div', { class: 'card resume-card' },
      h('p', null, t('start.resume', { code: saved.code })),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'resume-btn', 'data-testid': 'resume-btn', onclick: () => act.resume(saved) },
        icon('play'), h('span', null, t('start.resume.btn')))));
  }
  if (s.fromLink && s.startMode !== 'solo') { root.appendChild(joinCard(s, act)); return; }
  const join = joinCard(s, act);
  const solo = soloCard(s, act);
  // Playing alone, the room form waits behind one line.
  if (s.startMode === 'solo') {
    root.appendChild(solo);
    root.appendChild(h('details', { class: 'more join-more', id: 'join-more' }, h('summary', null, iconText('people', t('start.join.title'))), join));
  } else {
    root.appendChild(join);
    root.appendChild(solo);
  }
}

function joinCard(s, act) {
  const nick = h('input', { id: 'nickname', name: 'nickname', type: 'text', maxlength: 24, autocomplete: 'nickname', value: s.joinNick || defaultNickname(), 'data-testid': 'nickname' });
  const linked = s.fromLink && s.startMode !== 'solo';
  const code = linked ? h('input', { id: 'join-code', name: 'code', type: 'hidden', value: s.prefillCode, 'data-testid': 'join-code' }) : h('input', {
    id: 'join-code', name: 'code', type: 'text', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: 6,
    autocomplete: 'off', value: s.prefillCode, 'aria-describedby': 'join-code-hint', 'data-testid': 'join-code', required: true,
  });
  const err = h('p', { id: 'join-error', class: 'form-error', role: 'alert', 'data-testid': 'join-error' }, s.startMode !== 'solo' ? errorText(s.formError) : '');
  const form = h('form', {
    id: 'join-form', class: 'form', novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      act.dispatch({ type: 'join', code: code.value.replace(/\D/g, ''), nickname: nick.value.trim() || defaultNickname(), id: msgId('j') });
    },
  },
  linked ? code : [h('label', { for: 'join-code' }, t('start.code')), code, h('p', { class: 'hint', id: 'join-code-hint' }, t('start.code.hint'))],
  h('label', { for: 'nickname' }, t('start.nickname')),
  nick,
  err,
  h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'join-btn', 'data-testid': 'join-btn', disabled: s.joining },
    icon('people'), h('span', null, s.joining && s.startMode === 'join' ? t('start.joining') : t('start.join'))));
  const title = linked ? t('start.link.title', { code: s.prefillCode }) : t('start.join.title');
  return h('section', { class: 'card', 'aria-labelledby': 'join-title' }, h('h2', { id: 'join-title' }, iconText('people', title)), form,
    linked ? h('p', { class: 'link-other' },
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'join-other', 'data-testid': 'join-other', onclick: () => act.dispatch({ type: 'join_other' }) }, t('start.link.other')),
      ' ', h('a', { href: 'play.html?solo=1', id: 'join-solo-link' }, t('start.link.solo'))) : null);
}

function soloCard(s, act) {
  const box = h('div', { id: 'solo-scenarios', class: 'scenario-list' });
  const list = s.scenarios;
  if (list && list.length) {
    const wanted = s.soloScenario || (list.find((x) => x.id === 'hangzhou-rider') || list[0]).id;
    for (const x of list) {
      const id = 'scenario-' + x.id;
      box.appendChild(h('label', { class: 'scenario-option', for: id },
        h('input', { type: 'radio', name: 'scenario', id: id, value: x.id, checked: x.id === wanted, 'data-testid': id, onchange: () => act.dispatch({ type: 'pick_scenario', id: x.id }) }),
        h('span', { class: 'scenario-body' },
          h('strong', null, tx(x.title)),
          h('span', { class: 'scenario-who' }, t('start.persona', { name: tx(x.persona.name), age: x.start_age })))));
    }
  } else {
    // null: on its way; false: it failed.
    box.appendChild(list === false ? h('p', { class: 'form-error' }, t('err.scenarios')) : h('p', null, t('loading')));
  }
  const nick = h('input', { id: 'solo-nickname', name: 'solo-nickname', type: 'text', maxlength: 24, value: s.soloNick || defaultNickname(), 'data-testid': 'solo-nickname' });
  const err = h('p', { id: 'solo-error', class: 'form-error', role: 'alert' }, s.startMode === 'solo' ? errorText(s.formError) : '');
  const form = h('form', {
    id: 'solo-form', class: 'form',
    onsubmit: (e) => {
      e.preventDefault();
      const chosen = form.querySelector('input[name="scenario"]:checked');
      act.dispatch({ type: 'solo', scenario: chosen ? chosen.value : null, nickname: nick.value.trim() || defaultNickname(), id: msgId('c') });
    },
  },
  h('fieldset', null, h('legend', null, t('start.pick')), box),
  h('label', { for: 'solo-nickname' }, t('start.nickname')),
  nick,
  err,
  h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'solo-btn', 'data-testid': 'solo-btn', disabled: s.joining },
    icon('user'), h('span', null, s.joining && s.startMode === 'solo' ? t('start.joining') : t('start.solo'))));
  return h('section', { class: 'card', 'aria-labelledby': 'solo-title' }, h('h2', { id: 'solo-title' }, iconText('user', t('start.solo.title'))), form);
}
