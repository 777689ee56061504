#!/usr/bin/env bash
# Type check src/partnerdesk with mypy and django-stubs (settings: [tool.mypy] in pyproject.toml)
# and hold the number of errors to the committed baseline in mypy-baseline.txt, so it only goes
# down: more errors than the baseline fail; fewer pass with a hint to lower it.
#
#   scripts/typecheck.sh            check against the baseline
#   scripts/typecheck.sh --update   re-baseline: write the current count to mypy-baseline.txt
#                                   (then commit that file, saying why the count changed)
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
baseline_file=mypy-baseline.txt

update=false
case "${1:-}" in
  --update) update=true ;;
  "") ;;
  *) echo "usage: scripts/typecheck.sh [--update]" >&2; exit 2 ;;
esac

set +e
output=$("$py" -m mypy 2>&1)
status=$?
set -e
summary=$(printf '%s\n' "$output" | tail -n 1)
if [ $status -eq 0 ]; then
  count=0
elif [ $status -eq 1 ] && [[ $summary =~ ^Found\ ([0-9]+)\ errors?\ in ]]; then
  count=${BASH_REMATCH[1]}
else
  # A crash or a configuration error is not a count: never let it pass as "no errors".
  printf '%s\n' "$output" >&2
  echo "mypy did not finish (exit $status): see above." >&2
  exit 1
fi

if $update; then
  echo "$count" > "$baseline_file"
  echo "mypy: $count errors, written to $baseline_file."
  exit 0
fi

if [ ! -f "$baseline_file" ]; then
  echo "No $baseline_file: record one with scripts/typecheck.sh --update." >&2
  exit 1
fi
baseline=$(tr -cd '0-9' < "$baseline_file")
if [ "$count" -gt "$baseline" ]; then
  printf '%s\n' "$output" >&2
  echo "mypy: $count errors, more than the baseline of $baseline: fix the new ones (listed above)." >&2
  exit 1
fi
if [ "$count" -lt "$baseline" ]; then
  echo "mypy: $count errors, fewer than the baseline of $baseline. Lower it:" \
    "scripts/typecheck.sh --update, and commit $baseline_file."
else
  echo "mypy: $count errors (the baseline)."
fi
