#!/usr/bin/env bash
# The main job: the whole contact centre on a real Asterisk 22 (sandbox) with every process of
# asterisk-cc, demo data and simulated traffic, then the day's report checked against it
# (docs/demo.md). Traffic until Ctrl-C; `scripts/demo.sh --minutes 5` runs headless for 5
# minutes. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/asterisk-cc demo "$@"
