#!/usr/bin/env bash
# The main job: a real Asterisk 22 (sandbox) with the project's dialplan, the FastAGI server on
# an embedded SQLite database, and a scripted call through it. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/asterisk-cc demo "$@"
