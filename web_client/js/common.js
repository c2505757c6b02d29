// Pieces shared by the pages: "do it for real" cards.
import { t, tx, isEn } from './i18n.js';
import { h, card } from './ui.js';
import { sourceIn } from './sources.js';

const CHANNEL_ICON = {
  '12333': 'phone', e_social_security_card: 'phone', national_platform: 'globe',
  platform_app: 'phone', medical_insurance_app: 'medical',
};

/** A "do it for real" card from scenario.real_world. */
export function realWorldCard(r) {
  return card({ title: tx(r.title), icon: CHANNEL_ICON[r.channel] || 'phone', class: 'rw-card', testid: 'rw-' + r.id },
    h('p', { class: 'chip-row' },
      h('span', { class: 'chip' }, t('channel.' + r.channel)),
      h('span', { class: 'chip chip-soft' }, t('scheme.' + r.scheme))),
    h('p', null, tx(r.steps)),
    h('p', { class: 'source' }, t('source') + ' ' + sourceIn(r.source, isEn())));
}
