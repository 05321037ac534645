#!/usr/bin/env bash
# Installs what asterisk_cc needs on a fresh Debian machine (run as root):
# Debian packages (debootstrap for the Asterisk sandbox, PostgreSQL for its tests, espeak-ng and
# sox to build IVR prompts from text, the Chinese (Droid Sans Fallback) and DejaVu fonts of the
# report pack, poppler-utils to check its PDF in tests, Chromium for the dashboard's browser
# tests (Playwright drives Debian's /usr/bin/chromium: it never downloads a browser of its own),
# wrk for the dashboard's load benchmark, the Python venv module, systemd-analyze to check the
# units and logrotate to rotate a queue_log as Debian does, in tests) and a virtual environment in
# .venv with the package and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "scripts/setup.sh: run as root (it installs Debian packages and builds a chroot)" >&2
    exit 1
fi

packages=(debootstrap postgresql python3-venv ca-certificates openssl espeak-ng sox systemd logrotate fonts-droid-fallback fonts-dejavu-core poppler-utils chromium fonts-liberation wrk)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[test]'

# The browser tests run Chromium headless as root with the switches in tests/browser_fixtures.py;
# check here that it starts at all, so a broken install is named now rather than in a test.
if ! chromium --headless --no-sandbox --disable-gpu --no-first-run --dump-dom about:blank \
    >/dev/null 2>&1; then
    echo "scripts/setup.sh: chromium is installed but does not start headless" >&2
    exit 1
fi
