#!/usr/bin/env bash
# The whole test suite: lint, type check, migrations check, pytest (unit, API, permission matrix, browser).
# DATABASE_URL selects the database (SQLite by default). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev
py=.venv/bin/python

echo "== ruff"
$py -m ruff check .
echo "== mypy (no more errors than mypy-baseline.txt)"
scripts/typecheck.sh
echo "== migrations are complete"
$py manage.py makemigrations --check --dry-run >/dev/null || {
  echo "Model changes without a migration: run 'manage.py makemigrations'." >&2; exit 1; }

if [ -z "${PARTNERDESK_CHROMIUM:-}" ]; then
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then export PARTNERDESK_CHROMIUM="$(command -v "$c")"; break; fi
  done
fi
if [ -z "${PARTNERDESK_CHROMIUM:-}" ]; then
  if [ "${CI:-}" = "true" ]; then echo "Chromium is required in CI (apt install chromium)." >&2; exit 1; fi
  echo "NOTE: Chromium not found; browser tests will be skipped (apt install chromium to run them)."
fi

echo "== pytest (${DATABASE_URL:-sqlite})"
set +e
$py -m pytest "$@"
status=$?
set -e
if [ $status -eq 5 ]; then echo "pytest collected no tests: that is a failure." >&2; exit 1; fi
exit $status
