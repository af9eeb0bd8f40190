#!/usr/bin/env bash
# Serve Cairn for development: the background worker (long optimisations) and the web server.
# Both stop together on Ctrl-C.
set -euo pipefail
BIN=${BIN:-.venv/bin}
"$BIN/cairn" worker --interval 0.5 --no-startup-delay &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
"$BIN/cairn" runserver "${ADDRESS:-127.0.0.1:8000}"
