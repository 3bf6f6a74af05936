#!/usr/bin/env bash
# The browser lab's test: builds the site, serves it, opens it in headless
# Chromium and checks that
#   - a link with run=end drives the run to its end in the page, and the
#     page's status names the scenario, the seed, and the fingerprint that
#     `faultline run` computes natively for the same file and seed (for
#     the main scenario and WEB_TEST_MORE: one per algorithm and a bug);
#   - the cluster view in a screenshot is drawn, not blank;
#   - a branch made in the page (a heal injected with the H key, saved with
#     Ctrl+S) downloads as a file that `faultline replay` reproduces
#     natively, fingerprint checked;
#   - without WebGL the page shows a readable message, not a blank page;
# and reports the wasm's compressed size and the time to the first frame.
#
#   scripts/web-test.sh
#
# Environment: WEB_TEST_SCENARIO (default raft/leader-crash), WEB_TEST_SEED
# (default 3), WEB_TEST_MORE (more NAME[:SEED] runs to compare), WEB_TEST_BRANCH_EVENT (where the heal is injected; default
# 2000), WEB_TEST_SCREENSHOT (where to keep the screenshot; default a
# temporary file), CARGO_TARGET_DIR. Installs Debian's chromium (and
# nodejs) with apt when they are missing, with sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${WEB_TEST_SCENARIO:-raft/leader-crash}
seed=${WEB_TEST_SEED:-3}
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

apt_install() {
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "$@" >/dev/null
}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "installing chromium (apt)"
  apt_install chromium
  chromium=$(command -v chromium)
fi
command -v node >/dev/null || { echo "installing nodejs (apt)"; apt_install nodejs; }
echo "browser: $("$chromium" --version 2>/dev/null | head -1); node $(node --version)"

dist="$work/dist"
scripts/web-build.sh "$dist"

# The desktop CLI's fingerprint for the same file and seed.
cli_output=$(cargo run --quiet --bin faultline -- run "scenarios/$scenario.toml" --seed "$seed" || true)
fingerprint=$(printf '%s\n' "$cli_output" | awk '$1 == "fingerprint" { print $2 }')
[ -n "$fingerprint" ] || { printf 'error: no fingerprint from faultline run:\n%s\n' "$cli_output" >&2; exit 1; }
echo "native: faultline run scenarios/$scenario.toml --seed $seed: fingerprint $fingerprint"

# More runs to compare, one per algorithm and a planted bug (NAME or
# NAME:SEED; without a seed, the file's own).
more=${WEB_TEST_MORE:-gossip/nemesis:11 paxos/dueling-proposers:11 multi-paxos/leader-crash:11 hashing/scale-out:11 raft/nemesis:11 raft/bug-forget-vote pingstorm/storm:11}
more_json=""
for item in $more; do
  name=${item%%:*}
  seed_args=()
  item_seed=null
  if [ "$item" != "$name" ]; then item_seed=${item#*:}; seed_args=(--seed "$item_seed"); fi
  out=$(cargo run --quiet --bin faultline -- run "scenarios/$name.toml" "${seed_args[@]}" || true)
  fp=$(printf '%s\n' "$out" | awk '$1 == "fingerprint" { print $2 }')
  [ -n "$fp" ] || { printf 'error: no fingerprint from faultline run %s:\n%s\n' "$name" "$out" >&2; exit 1; }
  more_json="$more_json${more_json:+, }{\"scenario\": \"$name\", \"seed\": $item_seed, \"fingerprint\": \"$fp\"}"
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dist" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break
  sleep 0.1
done

screenshot=${WEB_TEST_SCREENSHOT:-$work/lab.png}
downloads="$work/downloads"
mkdir -p "$downloads"
branch_file="$(basename "$scenario")-branch.toml"
branch_event=${WEB_TEST_BRANCH_EVENT:-2000}
expected=$(printf '{"scenario": "%s", "seed": %s, "fingerprint": "%s", "screenshot": "%s", "download_dir": "%s", "branch_event": %s, "branch_file": "%s", "more": [%s]}' \
  "$scenario" "$seed" "$fingerprint" "$screenshot" "$downloads" "$branch_event" "$branch_file" "$more_json")
node scripts/web-test.mjs "$chromium" "http://127.0.0.1:$port/" "$expected"

# The branch the browser saved, replayed by the desktop CLI.
grep -q "after_event = $branch_event" "$downloads/$branch_file" ||
  { echo "error: the downloaded branch lacks the fault injected after event $branch_event" >&2; exit 1; }
if ! replay=$(cargo run --quiet --bin faultline -- replay "$downloads/$branch_file"); then
  printf 'error: faultline replay of the browser'"'"'s branch failed:\n%s\n' "$replay" >&2
  exit 1
fi
printf '%s\n' "$replay" | grep -E '^(fingerprint|outcome|replay)' | sed 's/^/native replay of the browser'"'"'s branch: /'
echo "web test: all passed"
