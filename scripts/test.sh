#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, types, layering, unit, PostgreSQL and real
# Asterisk 22 integration tests. Run as root on Debian; it installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== lint (ruff)"
ruff check asterisk_cc tests bench
ruff format --check asterisk_cc tests bench

echo "== types (mypy, strict on the core and the codecs)"
mypy

echo "== layering (core is pure; dependencies point inward)"
lint-imports
python scripts/check_core_purity.py asterisk_cc/core

echo "== packaging (pip install . from this checkout into a fresh venv)"
package_venv=$(mktemp -d)
python -m venv "$package_venv"
"$package_venv/bin/pip" install -q .
"$package_venv/bin/asterisk-cc" --help >/dev/null
"$package_venv/bin/asterisk-cc" config sample | cmp - conf/asterisk-cc.sample.toml
ls "$package_venv/share/asterisk-cc/conf/asterisk/"*.conf >/dev/null
ls "$package_venv/share/asterisk-cc/conf/systemd/"*.service >/dev/null
(cd / && "$package_venv/bin/python" -c "
import pathlib, asterisk_cc.db.migrate as m
assert list((pathlib.Path(m.__file__).parent / 'migrations' / 'versions').glob('0*.py')), 'migrations not packaged'
import asterisk_cc.web as w
web = pathlib.Path(w.__file__).parent
assert (web / 'templates' / 'login.html').is_file() and list((web / 'templates' / 'admin').glob('*.html')), 'dashboard templates not packaged'
assert list((web / 'static').glob('*.js')), 'dashboard scripts not packaged'
")
rm -rf "$package_venv" build

echo "== PostgreSQL"
source scripts/start-postgres.sh

echo "== tests (unit, database on SQLite and PostgreSQL, Asterisk 22 integration)"
python -m pytest -p no:cacheprovider --ignore=tests/browser "$@"

echo "== browser tests (Chromium; a process of their own: Playwright's loop stays for the session)"
python -m pytest -p no:cacheprovider tests/browser "$@"
