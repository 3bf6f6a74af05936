#!/usr/bin/env bash
# Serves the browser lab built by scripts/web-build.sh on this machine:
#
#   scripts/web-serve.sh [PORT] [DIR]     (defaults: 8000, dist)
#
# then open http://localhost:PORT/ (a link such as
# http://localhost:8000/#scenario=raft/leader-crash&seed=3&event=120 lands on
# that moment). Any static file server works; this one is Python's.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8000}
dir=${2:-dist}
[ -f "$dir/index.html" ] || { echo "error: no $dir/index.html: run scripts/web-build.sh first" >&2; exit 2; }
echo "serving $dir/ at http://localhost:$port/ (Ctrl+C stops)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dir"
