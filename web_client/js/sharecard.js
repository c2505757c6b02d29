// The share card: a PNG drawn in a <canvas> (the life in a few lines, and the game's QR code).
import { t, tx } from './i18n.js';
import { money } from './format.js';
import { badgeTitle } from './badges.js';
import { isEn } from './i18n.js';
import { drawQr } from './qr.js';

const FONT = '"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Microsoft YaHei","Source Han Sans SC",sans-serif';

const NO_START = '，。、？！：；）》」』”’…,.?!:;)';

function wrap(ctx, text, x, y, maxWidth, lineHeight, maxLines) {
  const words = isEn() ? text.split(' ') : Array.from(text);
  if (!isEn()) {
    // Keep Chinese punctuation off the start of a line: glue it to the character before.
    for (let i = words.length - 1; i > 0; i--) {
      if (NO_START.indexOf(words[i]) >= 0) { words[i - 1] += words[i]; words.splice(i, 1); }
    }
  }
  let line = '';
  let lines = 0;
  for (let i = 0; i < words.length; i++) {
    const test = line + (line && isEn() ? ' ' : '') + words[i];
    if (ctx.measureText(test).width > maxWidth && line) {
      ctx.fillText(line, x, y);
      y += lineHeight; lines += 1; line = words[i];
      if (maxLines && lines >= maxLines - 1) {
        const rest = words.slice(i).join(isEn() ? ' ' : '');
        let cut = rest;
        while (cut && ctx.measureText(cut + '…').width > maxWidth) cut = cut.slice(0, -1);
        ctx.fillText(cut + (cut.length < rest.length ? '…' : ''), x, y);
        return y + lineHeight;
      }
    } else line = test;
  }
  if (line) { ctx.fillText(line, x, y); y += lineHeight; }
  return y;
}

/**
 * Draw the card and return a Blob (PNG).
 * @param {object} o sc (scenario), summary (life_over.summary), nickname, points (timeline digests)
 */
export async function drawShareCard(canvas, o) {
  const W = 1080; const H = 1440;
  canvas.width = W; canvas.height = H;
  const ctx = canvas.getContext('2d');
  const s = o.summary;
  // background
  ctx.fillStyle = '#fff7ec';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#0b4f8a';
  ctx.fillRect(0, 0, W, 220);
  ctx.fillStyle = '#ffffff';
  ctx.font = 'bold 76px ' + FONT;
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(t('app.name'), 72, 130);
  ctx.font = '36px ' + FONT;
  ctx.fillText(t('share.tagline'), 72, 185);

  // Who, and whose life (at most two lines)
  ctx.fillStyle = '#1d1d1f';
  ctx.font = 'bold 52px ' + FONT;
  wrap(ctx, tx(o.sc.persona.name) + ' · ' + tx(o.sc.title), 72, 310, W - 144, 62, 2);
  ctx.font = '34px ' + FONT;
  ctx.fillStyle = '#4a4a4f';
  wrap(ctx, t('share.lived', { age: o.endAge, name: o.nickname || '' }), 72, 450, W - 144, 46, 1);

  // The score
  ctx.fillStyle = '#b34700';
  ctx.font = 'bold 190px ' + FONT;
  ctx.fillText(String(s.score), 72, 660);
  const sw = ctx.measureText(String(s.score)).width;
  ctx.font = '44px ' + FONT;
  ctx.fillStyle = '#4a4a4f';
  ctx.fillText('/ 1000 ' + t('share.score'), 72 + sw + 20, 660);

  // Three facts (the sums come from estimated wages and bills: shown as estimates, 约/≈)
  ctx.fillStyle = '#1d1d1f';
  ctx.font = '40px ' + FONT;
  const lines = [
    t('share.pension', { amount: money(s.monthly_pension, true) }),
    t('share.years', { years: Math.round(s.years_with_pension) }),
    t('share.oop', { amount: money(s.out_of_pocket, true) }),
  ];
  lines.forEach((line, i) => ctx.fillText(line, 72, 740 + i * 58));

  // Badges: at most two rows
  ctx.font = '34px ' + FONT;
  const all = (s.badges || []).map((b) => '★ ' + badgeTitle(b, isEn()));
  let bx = 72; let row = 0; let shown = 0; let endX = 72; let endRow = 0;
  for (const b of all) {
    const w = ctx.measureText(b).width + 40;
    if (bx + w > W - 72) { row += 1; bx = 72; }
    if (row > 1 || (row === 1 && bx + w > W - 160)) break;
    const by = 940 + row * 68;
    ctx.strokeStyle = '#0b4f8a'; ctx.lineWidth = 3;
    roundRect(ctx, bx, by - 42, w, 58, 29);
    ctx.stroke();
    ctx.fillStyle = '#0b4f8a';
    ctx.fillText(b, bx + 20, by);
    bx += w + 14; shown += 1; endX = bx; endRow = row;
  }
  if (shown < all.length) {
    ctx.fillStyle = '#4a4a4f';
    ctx.fillText('+' + (all.length - shown), endX, 940 + endRow * 68);
  }

  // Bottom: savings line and words on the left, the game's QR code on the right
  const qs = 300;
  const bottom = 1060;
  const leftW = W - 144 - qs - 40;
  const pts = o.points || [];
  if (pts.length > 1) {
    const top = bottom; const hgt = 140; const left = 72;
    const vals = pts.map((p) => p.savings);
    const lo = Math.min(0, Math.min.apply(null, vals)); const hi = Math.max(1, Math.max.apply(null, vals));
    const px = (i) => left + i / (pts.length - 1) * leftW;
    const py = (v) => top + (hi - v) / (hi - lo || 1) * hgt;
    ctx.strokeStyle = '#c9c2b8'; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(left, py(0)); ctx.lineTo(left + leftW, py(0)); ctx.stroke();
    ctx.strokeStyle = '#0b4f8a'; ctx.lineWidth = 6; ctx.lineJoin = 'round'; ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(px(i), py(p.savings)) : ctx.moveTo(px(i), py(p.savings))));
    ctx.stroke();
    ctx.font = '28px ' + FONT; ctx.fillStyle = '#4a4a4f';
    ctx.fillText(t('share.savingsLine'), left, top + hgt + 44);
  }
  ctx.font = '30px ' + FONT; ctx.fillStyle = '#4a4a4f';
  wrap(ctx, t('share.footer'), 72, bottom + 250, leftW, 42, 3);
  try {
    await drawQr(ctx, '/api/qr.svg', W - 72 - qs, bottom, qs);
    ctx.font = '32px ' + FONT; ctx.fillStyle = '#1d1d1f';
    ctx.textAlign = 'center';
    ctx.fillText(t('share.scan'), W - 72 - qs / 2, bottom + qs + 48);
    ctx.textAlign = 'left';
  } catch (e) {
    ctx.font = '28px ' + FONT; ctx.fillStyle = '#1d1d1f';
    wrap(ctx, location.origin, W - 72 - qs, bottom + 40, qs, 36, 3);
  }

  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
