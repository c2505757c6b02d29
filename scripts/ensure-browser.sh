#!/usr/bin/env bash
# A real Chromium for the browser tests, and fonts that draw Chinese in screenshots.
# Order: the system's chromium; else, running as root, Debian's `chromium` and `fonts-noto-cjk`;
# else Playwright's own download. It says what it did.
set -euo pipefail
venv_bin="${1:-.venv/bin}"

have_cjk_fonts() { command -v fc-list >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q .; }

for candidate in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "browser: using $candidate"
    if ! have_cjk_fonts && [ "$(id -u)" = 0 ]; then
      echo "browser: installing fonts-noto-cjk for Chinese text"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
    fi
    exit 0
  fi
done

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "browser: installing Debian's chromium and fonts-noto-cjk (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  echo "browser: using /usr/bin/chromium"
  exit 0
fi

echo "browser: no system chromium and not root: downloading Playwright's chromium"
"$venv_bin/python" -m playwright install chromium
