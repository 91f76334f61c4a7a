#!/usr/bin/env bash
# Install (first time) and start amirtui on its embedded defaults: local SQLite catalog, local publish folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/ensure_venv.sh")
cd "$root"
exec "$venv/bin/amirtui" "$@"
