#!/usr/bin/env bash
# Set up .venv with a Python 3.12+ interpreter and install Partnerdesk into it.
# Usage: scripts/bootstrap.sh [runtime|dev]   (re-installs only when pyproject.toml changed)
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-runtime}"

is_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  local candidate
  if [ -n "${PYTHON:-}" ] && is_ok "$PYTHON"; then echo "$PYTHON"; return 0; fi
  for candidate in python3.13 python3.12 python3.14 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && is_ok "$(command -v "$candidate")"; then
      command -v "$candidate"; return 0
    fi
  done
  local roots=()
  if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root)"); fi
  roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
  for root in "${roots[@]}"; do
    for candidate in "$root"/versions/3.1[2-9]*/bin/python3 "$root"/versions/3.[2-9][0-9]*/bin/python3; do
      if [ -x "$candidate" ] && is_ok "$candidate"; then echo "$candidate"; return 0; fi
    done
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! is_ok .venv/bin/python; then
  if ! py=$(find_python); then
    echo "Partnerdesk needs Python 3.12 or newer, and none was found." >&2
    echo "Install one (e.g. 'apt install python3.12' or 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
    exit 1
  fi
  echo "Creating .venv with $py ($("$py" --version))"
  rm -rf .venv
  "$py" -m venv .venv
fi

stamp=".venv/.installed-$extra"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  if [ "$extra" = dev ]; then spec=".[dev]"; else spec="."; fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
  echo "$want" > "$stamp"
fi
