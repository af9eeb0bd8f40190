#!/usr/bin/env bash
# The database of a release, for tests/test_upgrade.py: run once per release, commit the result.
#
#   scripts/snapshot-release.sh VERSION COMMIT      e.g. scripts/snapshot-release.sh 0.2.0 v0.2.0
#
# With the release's own code (a git worktree of COMMIT in a temporary directory), it migrates a
# fresh SQLite database, loads the demo (`cairn demo`) and writes to tests/releases/VERSION/:
#   migrations.json   the migrations applied, per app, and each app's last one (the release's
#                     migration state the test migrates back to)
#   demo.json.gz      every row of the demo as `cairn dumpdata` writes it (natural keys for links
#                     to users), without the rows Django makes again by itself: content types,
#                     permissions, sessions, the admin's log
# The release's code runs on this checkout's .venv (PYTHON=... to choose another interpreter):
# fine while the release's dependencies are the ones installed; otherwise make a venv for it.
# Git is needed here only: the test reads the two files, never the history.
set -euo pipefail

VERSION=${1:?usage: scripts/snapshot-release.sh VERSION COMMIT}
COMMIT=${2:?usage: scripts/snapshot-release.sh VERSION COMMIT}
ROOT=$(git rev-parse --show-toplevel)
PY=${PYTHON:-$ROOT/.venv/bin/python}
OUT=$ROOT/tests/releases/$VERSION
SHA=$(git -C "$ROOT" rev-parse --verify "$COMMIT^{commit}")

WORK=$(mktemp -d /tmp/cairn-snapshot-XXXXXX)
SRC=$WORK/src
cleanup() {
    git -C "$ROOT" worktree remove --force "$SRC" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
git -C "$ROOT" worktree add --detach --quiet "$SRC" "$SHA"

# The release's code and nothing of this environment: SQLite in the temporary directory, mails
# to a folder there, jobs queued in the database (the demo runs none itself).
release() {
    (cd "$SRC" && env -i PATH="$PATH" HOME="$WORK" LANG=C.UTF-8 PYTHONPATH="$SRC" \
        DJANGO_SETTINGS_MODULE=cairn.settings CAIRN_DATA_DIR="$WORK/data" TIME_ZONE=UTC \
        "$PY" "$@")
}
found=$(release -c 'import cairn; print(cairn.__file__)')
if [[ $found != "$SRC/"* ]]; then
    echo "The release's code is not the one imported ($found): check PYTHONPATH." >&2
    exit 1
fi

release -m cairn.cli migrate --noinput --verbosity 0
release -m cairn.cli demo >/dev/null
mkdir -p "$OUT"
release - "$VERSION" "$SHA" "$OUT/migrations.json" <<'EOF'
import json
import sys

import django

django.setup()
from django.db import connection
from django.db.migrations.loader import MigrationLoader

version, commit, path = sys.argv[1:]
loader = MigrationLoader(connection)
leaves = sorted(loader.graph.leaf_nodes())
applied = {}
for leaf in leaves:
    # In the order they ran: each app's migrations along the graph up to its last one.
    applied[leaf[0]] = [name for app, name in loader.graph.forwards_plan(leaf) if app == leaf[0]]
missing = [key for key in loader.graph.nodes if key not in loader.applied_migrations]
if missing:
    sys.exit(f"Not every migration of the release was applied: {missing}")
data = {
    "version": version,
    "commit": commit,
    "django": django.get_version(),
    "leaves": {app: name for app, name in leaves},
    "applied": applied,
}
with open(path, "w") as out:
    json.dump(data, out, indent=1, sort_keys=True)
    out.write("\n")
EOF
release -m cairn.cli dumpdata --natural-foreign --indent 0 \
    --exclude contenttypes --exclude auth.permission --exclude sessions --exclude admin.logentry \
    --output "$WORK/demo.json"
gzip -9 --no-name --stdout "$WORK/demo.json" >"$OUT/demo.json.gz"

rows=$(release -c "import gzip, json; print(len(json.load(gzip.open('$OUT/demo.json.gz'))))")
size=$(stat -c %s "$OUT/demo.json.gz")
echo "Release $VERSION ($SHA): $rows rows, $((size / 1024)) KB in $OUT"
if ((size > 2 * 1024 * 1024)); then
    echo "demo.json.gz is over 2 MB: keep the fixture small (the demo, not a customer's data)." >&2
    exit 1
fi
