"""Decoding the share card's QR code as a phone camera would: the PNG the page drew is decoded
by the browser into pixels, turned to grey, and read by zxing-cpp (the PyPI package)."""

from __future__ import annotations

import base64

import zxingcpp
from playwright.sync_api import Page

GREY_PIXELS = """async (sel) => {
  const img = document.querySelector(sel);
  await img.decode();
  const bitmap = await createImageBitmap(img);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const grey = new Uint8Array(bitmap.width * bitmap.height);
  for (let i = 0, j = 0; j < grey.length; i += 4, j += 1) {
    grey[j] = (rgba[i] * 299 + rgba[i + 1] * 587 + rgba[i + 2] * 114) / 1000;
  }
  let bin = '';
  for (let k = 0; k < grey.length; k += 0x8000) {
    bin += String.fromCharCode.apply(null, grey.subarray(k, k + 0x8000));
  }
  return { width: bitmap.width, height: bitmap.height, grey: btoa(bin) };
}"""


def qr_codes(page: Page, selector: str) -> list[tuple[str, int]]:
    """The QR codes found in the image ``selector`` shows: (text, width in pixels of the
    picture). A code a few pixels wide decodes here but no camera would see it."""
    got = page.evaluate(GREY_PIXELS, selector)
    width, height = int(got["width"]), int(got["height"])
    pixels = memoryview(base64.b64decode(got["grey"])).cast("B", shape=[height, width])
    found = zxingcpp.read_barcodes(
        pixels, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    out = []
    for code in found:
        p = code.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        out.append((code.text, max(xs) - min(xs)))
    return out
