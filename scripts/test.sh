#!/usr/bin/env bash
# `make test`: lint, the layer order, Django checks, migrations up to date, then the whole suite on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export CEPTOAR_VAR_DIR="$PWD/var/test"
mkdir -p "$CEPTOAR_VAR_DIR"

step() { printf '\n== %s\n' "$*"; }

step "system packages for the browser and translation tests (Debian's chromium, gettext)"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing ${missing[*]}: install them with your package manager (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
echo "chromium: $(chromium --version 2>/dev/null | head -1)"

step "ruff"
$BIN/ruff check src tests benchmarks
$BIN/ruff format --check src tests benchmarks

step "the layer order (import-linter, pyproject.toml)"
$BIN/lint-imports --no-cache

step "Django system checks and migrations"
$BIN/ceptoar check --fail-level WARNING
$BIN/ceptoar makemigrations --check --dry-run

step "test suite on SQLite"
unset DATABASE_URL
$BIN/pytest -p no:cacheprovider

PG_URL="${CEPTOAR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/ceptoar}"
pg_up() { $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as error:
    print(f"PostgreSQL not reachable: {error}".strip(), file=sys.stderr)
    sys.exit(1)
PY
}

step "test suite on PostgreSQL ($PG_URL)"
if ! pg_up; then
  if [ "${CI:-}" = "true" ]; then
    echo "CI: starting the local PostgreSQL cluster"
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_up 2>/dev/null && break; sleep 1; done
    pg_up || { echo "CI requires the PostgreSQL suite, and no server answers at $PG_URL" >&2; exit 1; }
  else
    echo "SKIPPED: the PostgreSQL suite did not run — no server answers at $PG_URL."
    echo "         Start PostgreSQL (or set CEPTOAR_TEST_POSTGRES_URL) to run it; CI always runs it."
    exit 0
  fi
fi
DATABASE_URL="$PG_URL" $BIN/pytest -p no:cacheprovider
