// Numbers and money per language: "12,345 元" in Chinese, "¥12,345" in English.
import { getLang, isEn } from './i18n.js';

const formats = {};
function nf(digits) {
  const key = getLang() + digits;
  if (!formats[key]) {
    formats[key] = new Intl.NumberFormat(isEn() ? 'en-US' : 'zh-CN', {
      maximumFractionDigits: digits,
      minimumFractionDigits: 0,
    });
  }
  return formats[key];
}

export function num(n, digits) {
  return nf(digits || 0).format(Number(n) || 0);
}

/** Money in yuan; `estimate` adds 约 / ≈. */
export function money(n, estimate) {
  const v = Math.round(Number(n) || 0);
  const s = nf(0).format(Math.abs(v));
  let out = isEn() ? '¥' + s : s + ' 元';
  if (v < 0) out = '−' + out;
  // Nothing is "about zero": a zero (no pension, nothing paid) is exact whatever its inputs.
  if (estimate && v !== 0) out = (isEn() ? '≈' : '约') + out;
  return out;
}

/** Estimate marker for any number: 约 / ≈. */
export function approx(text, estimate) {
  return estimate ? (isEn() ? '≈' : '约') + text : text;
}

/** A share (0.65) as a percentage ("65%"). */
export function pct(share, estimate) {
  return approx(nf(0).format(Math.round(share * 100)) + '%', estimate);
}

/** Years, with a half year shown ("6.5"). */
export function yrs(n) {
  return nf(1).format(Math.round(n * 10) / 10);
}
