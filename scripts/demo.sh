#!/usr/bin/env bash
# Starts the server with demo data on the embedded SQLite database, and beside it a Twilio emulator
# that the server's calls and SMS go to and terminal phones dial (`supportline call`): no Twilio or
# SMTP account needed. Extra arguments go to `supportline demo` (for example --meeting-now).
# Ctrl-C stops both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
EMULATOR_PORT=8001
# The emulator's account; a new auth token on every start, known to both processes only.
export SUPPORTLINE_TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
SUPPORTLINE_TWILIO_AUTH_TOKEN="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')"
export SUPPORTLINE_TWILIO_AUTH_TOKEN
export SUPPORTLINE_TWILIO_API_URL="http://127.0.0.1:$EMULATOR_PORT"
.venv/bin/supportline demo "$@"
.venv/bin/supportline twilio-emulator --port "$EMULATOR_PORT" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true' EXIT
.venv/bin/supportline serve
