#!/usr/bin/env bash
# Builds the lab for a browser: the same gui/ code compiled to WebAssembly,
# with every shipped scenario embedded, into a static site.
#
#   scripts/web-build.sh [OUT]            (default OUT: dist)
#
# OUT gets index.html, faultline-lab.js (wasm-bindgen's glue),
# faultline-lab_bg.wasm (the lab) and scenarios/ (the shipped files, to
# download); any static file host serves it (docs/web.md).
#
# Installs what it needs when it is missing: the rustup target
# wasm32-unknown-unknown, and wasm-bindgen-cli from crates.io at exactly the
# version of the wasm-bindgen crate in Cargo.lock (0.2.130 today; the two
# must match). Environment:
#   PROFILE           cargo profile (default web-release, see Cargo.toml)
#   CARGO_TARGET_DIR  cargo's target folder (default target)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
profile=${PROFILE:-web-release}
target_dir=${CARGO_TARGET_DIR:-target}

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "installing the rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's command and its crate must be the same version.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[ -n "$bindgen_version" ] || { echo "error: no wasm-bindgen in Cargo.lock" >&2; exit 2; }
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $bindgen_version"; then
  echo "installing wasm-bindgen-cli $bindgen_version from crates.io"
  # --locked first: the versions its authors tested. A registry that lacks
  # one of them (a mirror behind crates.io) gets a fresh resolution instead.
  cargo install --quiet wasm-bindgen-cli --version "$bindgen_version" --locked ||
    cargo install --quiet wasm-bindgen-cli --version "$bindgen_version"
fi
echo "tools: $(rustc --version), $(wasm-bindgen --version)"

started=$(date +%s)
cargo build --quiet -p faultline-gui --bin faultline-lab \
  --target wasm32-unknown-unknown --profile "$profile"
profile_dir=$profile
[ "$profile" = dev ] && profile_dir=debug
wasm="$target_dir/wasm32-unknown-unknown/$profile_dir/faultline-lab.wasm"

rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name faultline-lab "$wasm"
cp gui/web/index.html "$out/index.html"
cp -r scenarios "$out/scenarios"

size() { wc -c <"$1" | tr -d ' '; }
raw=$(size "$out/faultline-lab_bg.wasm")
gz=$(gzip -9 -c "$out/faultline-lab_bg.wasm" | wc -c | tr -d ' ')
line="wasm: $raw bytes, $gz gzipped"
if command -v node >/dev/null; then
  # Node's zlib has brotli; Debian's brotli command is seldom installed.
  br=$(node -e '
    const zlib = require("zlib");
    const wasm = require("fs").readFileSync(process.argv[1]);
    const q = { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 };
    console.log(zlib.brotliCompressSync(wasm, { params: q }).length);
  ' "$out/faultline-lab_bg.wasm")
  line="$line, $br with brotli"
fi
echo "built $out/ in $(( $(date +%s) - started ))s ($line)"
