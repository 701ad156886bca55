#!/usr/bin/env bash
# Starts the server with demo data on the embedded SQLite database; no Twilio or SMTP account needed.
# Extra arguments go to `supportline demo` (for example --meeting-now).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
.venv/bin/supportline demo "$@"
exec .venv/bin/supportline serve
