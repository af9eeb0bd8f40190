#!/usr/bin/env bash
# Install the Debian packages the tests need, and start or stop a throwaway PostgreSQL.
#   scripts/test-services.sh packages     install Chromium, PostgreSQL and the PDF libraries if missing
#   scripts/test-services.sh pdf          install only the PDF libraries (Pango) if missing
#   scripts/test-services.sh pg-start DIR start a cluster in DIR, print its DATABASE_URL
#   scripts/test-services.sh pg-stop DIR  stop it (by its own PID file) and remove DIR
set -euo pipefail
PGPORT=${PGPORT:-5433}

packages() {
  local want=()
  command -v chromium >/dev/null || want+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want+=(postgresql)
  fc-list 2>/dev/null | grep -qi dejavu || want+=(fonts-dejavu-core)
  command -v pdftoppm >/dev/null || want+=(poppler-utils)
  [ -x /usr/sbin/nginx ] || want+=(nginx)  # the load test's proxy (scripts/cluster.sh)
  command -v redis-server >/dev/null || want+=(redis-server)
  want+=($(pdf_missing))
  install "${want[@]}"
}

# WeasyPrint draws PDFs with Pango and HarfBuzz.
pdf_missing() {
  local pair  # Debian package:shared library it provides
  for pair in libpango-1.0-0:libpango-1.0.so libpangoft2-1.0-0:libpangoft2-1.0.so \
              libharfbuzz-subset0:libharfbuzz-subset.so; do
    "$(command -v ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null | grep -q "${pair#*:}" \
      || echo "${pair%%:*}"
  done
}

pdf() {
  local want=($(pdf_missing))
  fc-list 2>/dev/null | grep -qi dejavu || want+=(fonts-dejavu-core)
  install "${want[@]}"
}

install() {
  local want=("$@")
  if [ ${#want[@]} -gt 0 ]; then
    echo "Installing ${want[*]}…" >&2
    # Packaged services (nginx on port 80, Redis on 6379) are not started on install: the
    # tests start their own, on their own ports (a policy-rc.d saying no, for the install).
    local policy=/usr/sbin/policy-rc.d made=""
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; made=1; fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >&2 \
      || { [ -z "$made" ] || rm -f "$policy"; return 1; }
    [ -z "$made" ] || rm -f "$policy"
  fi
}

pg_start() {
  local dir=$1 bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$dir"; chown postgres:postgres "$dir"
  su postgres -c "$bin/initdb -D '$dir' -U postgres -A trust -E UTF8 --no-instructions" >/dev/null
  su postgres -c "$bin/pg_ctl -D '$dir' -l '$dir/server.log' -w -t 60 \
     -o '-p $PGPORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' start" >/dev/null
  psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 \
     -c "CREATE ROLE cairn LOGIN PASSWORD 'cairn' CREATEDB;" -c "CREATE DATABASE cairn OWNER cairn;" >/dev/null
  echo "postgres://cairn:cairn@127.0.0.1:$PGPORT/cairn"
}

pg_stop() {
  local dir=$1 bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  [ -f "$dir/postmaster.pid" ] && su postgres -c "$bin/pg_ctl -D '$dir' -m fast -w stop" >/dev/null || true
  rm -rf "$dir"
}

case "${1:-}" in
  packages) packages ;;
  pdf) pdf ;;
  pg-start) pg_start "$2" ;;
  pg-stop) pg_stop "$2" ;;
  *) echo "usage: $0 packages | pdf | pg-start DIR | pg-stop DIR" >&2; exit 2 ;;
esac
