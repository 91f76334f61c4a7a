#!/usr/bin/env bash
# Create (or reuse) the project virtualenv and print its path on stdout.
# The venv lives outside the checkout, keyed by a hash of pyproject.toml, so a fresh clone with unchanged
# requirements reuses it (a venv with torch is ~7 GB and takes minutes to build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${AMIRTUI_PYTHON:-python3.11}
command -v "$py" >/dev/null 2>&1 || py=python3
key=$( (cat "$root/pyproject.toml"; "$py" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-12)
venv=${AMIRTUI_VENV:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/amirtui/venv-$key}
if [ ! -f "$venv/.amirtui-ready" ]; then
  echo "amirtui: building the virtualenv $venv (first time: a few minutes)" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2
  # torch first, pinned: this machine kind serves these two from local disk (pyiqa needs torchvision).
  "$venv/bin/pip" install -q torch==2.14.1 torchvision==0.29.1 >&2
  "$venv/bin/pip" install -q -e "$root[quality,test]" >&2
  touch "$venv/.amirtui-ready"
else
  # Point the editable install at this checkout unless it already does (cheap; no dependency resolution).
  here=$(cd / && "$venv/bin/python" -I -c 'import amirtui, os; print(os.path.dirname(os.path.dirname(amirtui.__file__)))' \
    2>/dev/null || true)
  if [ "$here" != "$root" ] || [ ! -x "$venv/bin/amirtui" ]; then
    "$venv/bin/pip" install -q --no-deps --no-build-isolation -e "$root" >&2 2>/dev/null || \
      "$venv/bin/pip" install -q --no-deps --no-build-isolation -e "$root" >&2
  fi
fi
echo "$venv"
