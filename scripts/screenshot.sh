#!/usr/bin/env bash
# Starts the Faultline lab under Xvfb on a scenario and saves a screenshot
# taken by the app itself (egui's viewport screenshot), then exits.
#
#   scripts/screenshot.sh [SCENARIO] [OUT.png]
#
# Defaults: scenarios/gossip/basic.toml, docs/images/lab.png. Environment:
#   SEEK_TIME  simulated seconds to seek to before the shot (default 2.2003: inside the partition, messages in flight)
#   SELECT     node to select for the inspector (default 0)
#   SIZE       window size (default 1600x1000)
#   FRAMES     frames to draw before the shot (default 40)
#   PROFILE    cargo profile of the build (default release)
#   WGPU_BACKEND  e.g. "gl" or "vulkan" to pick wgpu's backend
# Needs (Debian): xvfb xauth, and Mesa's software drivers: mesa-vulkan-drivers
# libvulkan1 (Vulkan, wgpu's first choice), or libegl1 libegl-mesa0
# libgl1-mesa-dri libgbm1 (GL).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-scenarios/gossip/basic.toml}
out=${2:-docs/images/lab.png}
profile=${PROFILE:-release}
cargo build --quiet -p faultline-gui --bin faultline-lab --profile "$profile"
target=${CARGO_TARGET_DIR:-target}
bin="$target/$profile/faultline-lab"
[ "$profile" = dev ] && bin="$target/debug/faultline-lab"
mkdir -p "$(dirname "$out")"
rm -f "$out"
# winit wants a runtime directory; Xvfb sessions often have none.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
FAULTLINE_LAB_SCREENSHOT="$out" \
FAULTLINE_LAB_FRAMES="${FRAMES:-40}" \
FAULTLINE_LAB_SEEK_TIME="${SEEK_TIME:-2.2003}" \
FAULTLINE_LAB_SELECT="${SELECT:-0}" \
FAULTLINE_LAB_SIZE="${SIZE:-1600x1000}" \
  timeout 120 xvfb-run -a -s "-screen 0 1920x1200x24" "$bin" "$scenario"
test -s "$out" || { echo "error: no screenshot was written to $out" >&2; exit 1; }
echo "screenshot: $out"
