#!/usr/bin/env bash
# The whole test suite: lint, types, then every test on SQLite and again on PostgreSQL, with the
# Twilio emulator (Prism), a real SMTP server (aiosmtpd) and Chromium. Fails when a part is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export SCARF_ANALYTICS=false

bash scripts/bootstrap.sh test
bash scripts/install-test-tools.sh
bash scripts/install-services.sh

PG_URL="${SUPPORTLINE_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy .
echo "== tests on SQLite"
env -u SUPPORTLINE_TEST_DATABASE_URL .venv/bin/python -m pytest -m "not postgres_only" "$@"
echo "== tests on PostgreSQL"
SUPPORTLINE_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest "$@"
