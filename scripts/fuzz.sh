#!/usr/bin/env bash
# Fuzz the API (`make fuzz`): serve the demo with gunicorn on the loopback, DEBUG off, and run
# schemathesis over the whole schema with a fixed seed. Fails on any server error or any
# status the schema does not list. Schemathesis lives in its own virtualenv (.venv-tools):
# it pins a pytest of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
TOOLS=.venv-tools
SCHEMATHESIS=schemathesis==4.32.5
if ! "$TOOLS/bin/st" --version 2>/dev/null | grep -q "${SCHEMATHESIS#*==}"; then
  "$(command -v python3.11 || command -v python3)" -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q --disable-pip-version-check "$SCHEMATHESIS"
fi

work=$(mktemp -d /tmp/cairn-fuzz.XXXXXX)
port=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The token's rate limit would answer most of the run with 429: fuzzing checks the answers.
export CAIRN_DATA_DIR="$work" DEBUG=0 SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING CAIRN_API_TOKEN_RATE=0 \
  SECRET_KEY="fuzz-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
unset DATABASE_URL  # its own SQLite file: the fuzzing changes and deletes demo rows
"$BIN/cairn" migrate --noinput -v 0
"$BIN/cairn" collectstatic --noinput -v 0
"$BIN/cairn" demo > /dev/null
CAIRN_FUZZ_TOKEN=$("$BIN/cairn" shell -c '
from django.contrib.auth.models import User
from cairn.core.services import create_api_token
print(create_api_token(User.objects.get(username="demo-owner"), "fuzz")[1])' | tail -1)
export CAIRN_FUZZ_TOKEN

"$BIN/gunicorn" cairn.wsgi --bind "127.0.0.1:$port" --workers 2 --threads 4 --timeout 120 --limit-request-line 8190 \
  --access-logfile /dev/null --error-logfile "$work/gunicorn.log" --capture-output --pid "$work/gunicorn.pid" --daemon
trap 'kill "$(cat "$work/gunicorn.pid")" 2>/dev/null || true; sleep 1; rm -rf "$work"' EXIT

status=0
# One worker: on Python 3.11, Hypothesis parsing lambdas' source in two threads at once
# trips CPython's shared AST recursion counter ("AST constructor recursion depth mismatch").
"$TOOLS/bin/st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --checks "${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance}" \
  --seed "${FUZZ_SEED:-20261202}" --max-examples "${FUZZ_EXAMPLES:-10}" --workers 1 \
  --wait-for-schema 30 --no-color "$@" || status=$?
if grep -q "Traceback" "$work/gunicorn.log"; then
  echo "The server logged errors:"; grep -B2 -A25 "Traceback" "$work/gunicorn.log" | head -150
  status=1
fi
exit $status
