// QR codes from the server (/api/qr.svg, /api/rooms/CODE/qr.svg): shown as a scalable image,
// or drawn into a canvas from the SVG's path (no tainted canvas, crisp at any size).

async function fetchSvg(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error('qr ' + r.status);
  const text = await r.text();
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  const path = root.querySelector('path');
  // The server sends no width (segno's omitsize), only a viewBox: the size is read from it.
  const box = (root.getAttribute('viewBox') || '').trim().split(/[\s,]+/).map(Number);
  const width = parseFloat(root.getAttribute('width')) || (box.length === 4 ? box[2] : 0);
  const m = /scale\(([\d.]+)\)/.exec((path && path.getAttribute('transform')) || '');
  const scale = m ? parseFloat(m[1]) : 1;
  return { text: text, width: width, d: path ? path.getAttribute('d') : '', modules: width / scale };
}

/** An object URL for an <img>: the server's SVG with a viewBox, so it scales. */
export async function qrImageUrl(url) {
  const q = await fetchSvg(url);
  let text = q.text;
  if (!/viewBox=/.test(text) && q.width) {
    text = text.replace(/<svg\b([^>]*?)\swidth="[^"]*"\s+height="[^"]*"/,
      '<svg$1 viewBox="0 0 ' + q.width + ' ' + q.width + '"');
    if (!/viewBox=/.test(text)) text = text.replace('<svg', '<svg viewBox="0 0 ' + q.width + ' ' + q.width + '"');
  }
  if (!/xmlns=/.test(text)) text = text.replace('<svg', '<svg xmlns="http://www.w3.org/2000/svg"');
  return URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
}

/** Draw the QR code at (x, y), `size` pixels square, on a white square. */
export async function drawQr(ctx, url, x, y, size) {
  const q = await fetchSvg(url);
  ctx.save();
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(x, y, size, size);
  ctx.translate(x, y);
  ctx.scale(size / q.modules, size / q.modules);
  ctx.strokeStyle = '#000000';
  ctx.lineWidth = 1;
  ctx.stroke(new Path2D(q.d));
  ctx.restore();
}
