#!/usr/bin/env bash
# Creates .venv with Python 3.11+ and installs supportline at the versions of constraints.txt:
# the runtime only (what the demo and the server need), or with `test` also the test tools
# (pytest, Playwright, mypy, schemathesis ...). Idempotent: again only when pyproject.toml or
# constraints.txt change.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
case "${1:-runtime}" in
    runtime) target="." ;;
    test) target=".[test]" ;;
    *) echo "bootstrap.sh: say 'runtime' or 'test', not '$1'" >&2; exit 2 ;;
esac
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-${1:-runtime}-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -c constraints.txt -e "$target"
    touch "$stamp"
fi
