// The round's clock in every `.countdown` on show: time left, or paused. The time is passed in.
import { t } from './i18n.js';
import { fmtClock } from './ui.js';

export function paint(room, now) {
  let text = '';
  if (room.status === 'paused') text = t('round.paused', { time: fmtClock(room.remaining) });
  else if (room.roundState === 'open' && room.deadline > 0) text = t('round.left', { time: fmtClock(room.deadline - now) });
  document.querySelectorAll('.countdown').forEach((el) => {
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle('urgent', room.status !== 'paused' && room.deadline > 0 && room.deadline - now < 15000);
  });
}
