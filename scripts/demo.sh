#!/usr/bin/env bash
# Starts the server with demo data on the embedded SQLite database, and beside it a Twilio emulator
# that the server's calls and SMS go to and terminal phones dial (`supportline call`): no Twilio or
# SMTP account needed. `--port N` serves on port N (default 8000) and runs the emulator on N+1;
# other arguments go to `supportline demo` (for example --meeting-now). Ctrl-C stops both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT=8000
DEMO_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --port) PORT="${2:?--port needs a number, e.g. --port 8011}"; shift 2 ;;
        --port=*) PORT="${1#--port=}"; shift ;;
        *) DEMO_ARGS+=("$1"); shift ;;
    esac
done
case "$PORT" in
    ''|*[!0-9]*) echo "demo.sh: --port takes a number, e.g. --port 8011" >&2; exit 2 ;;
esac
EMULATOR_PORT=$((PORT + 1))
bash scripts/bootstrap.sh
export SUPPORTLINE_PUBLIC_BASE_URL="${SUPPORTLINE_PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"
# The emulator's account; a new auth token on every start, known to both processes only.
export SUPPORTLINE_TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
SUPPORTLINE_TWILIO_AUTH_TOKEN="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')"
export SUPPORTLINE_TWILIO_AUTH_TOKEN
export SUPPORTLINE_TWILIO_API_URL="http://127.0.0.1:$EMULATOR_PORT"
.venv/bin/supportline demo ${DEMO_ARGS[@]+"${DEMO_ARGS[@]}"}
.venv/bin/supportline twilio-emulator --port "$EMULATOR_PORT" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true' EXIT
.venv/bin/supportline serve --port "$PORT"
