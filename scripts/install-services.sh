#!/usr/bin/env bash
# The parts of the test suite that come from Debian: Chromium (browser tests), a running
# PostgreSQL on 127.0.0.1:5432, and its pg_dump and pg_restore (the restore drill). Installs and starts what is missing; fails loudly if it cannot.
set -euo pipefail
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
command -v pg_restore >/dev/null 2>&1 || need_apt+=(postgresql-client)
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "installing ${need_apt[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
