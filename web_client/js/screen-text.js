// Texts the screens share: an error from the server in words, a message or form error given
// by the state as a catalogue key or an error object.
import { t } from './i18n.js';

/** A server error in words (the catalogue's, else the server's message). */
export function errorText(e) {
  if (!e) return '';
  if (typeof e === 'string') return t(e);
  const key = 'err.' + e.code;
  const text = t(key);
  return text === key ? (e.message || e.code) : text;
}
