//! Snapshot tests of the main views, rendered with wgpu (on CI: Mesa's
//! software Vulkan, lavapipe). Regenerate after a deliberate change with
//! `UPDATE_SNAPSHOTS=true cargo test -p faultline-gui --test snapshots`.
//!
//! The picker is hidden so that adding scenario files does not change the
//! images; the runs are fixed by their seeds, and paths are shown relative
//! to the working directory, so the images are the same on every machine.
//!
//! The renderer must exist: a machine without one fails here with a message
//! naming the packages to install, rather than skipping the check.

use eframe::egui_wgpu;
use egui_kittest::wgpu::{WgpuTestRenderer, create_render_state, default_wgpu_setup};
use egui_kittest::{Harness, SnapshotOptions, SnapshotResults};
use faultline_gui::command::{Command, Selection};
use faultline_gui::{LabApp, Settings};
use faultline_sim::NodeId;
use std::path::Path;

/// How far an image may drift from its reference: egui's per-pixel colour
/// tolerance, and a few dozen pixels of rasteriser rounding (one changed
/// character of text is more than this).
fn options() -> SnapshotOptions {
    SnapshotOptions::new().threshold(0.6).max_failed_pixels(40)
}

/// The software renderer (Mesa's lavapipe through wgpu's Vulkan backend, or
/// llvmpipe through GL), or a failure that says what is missing.
fn renderer() -> WgpuTestRenderer {
    let state = std::panic::catch_unwind(|| {
        create_render_state(
            default_wgpu_setup(),
            egui_wgpu::RendererOptions::PREDICTABLE,
        )
    });
    match state {
        Ok(state) => {
            let info = state.adapter.get_info();
            eprintln!(
                "snapshots rendered by {} ({:?}, {:?})",
                info.name, info.backend, info.device_type
            );
            WgpuTestRenderer::from_render_state(state)
        }
        Err(_) => panic!(
            "no wgpu adapter to render the snapshot tests with. Install Mesa's software \
             renderers (Debian: `apt-get install mesa-vulkan-drivers libvulkan1 libegl1 \
             libegl-mesa0 libgl1-mesa-dri libgbm1`, as .ci/run does) and run the tests again."
        ),
    }
}

fn lab(scenario: &str) -> Harness<'static, LabApp> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let settings = Settings {
        show_picker: false,
        ..Settings::default()
    };
    let mut app = LabApp::new(settings, repo.join("scenarios"));
    app.open(&repo.join("scenarios").join(scenario), None);
    assert!(app.session.is_some(), "{:?}", app.open_error);
    Harness::builder()
        .with_size([1280.0, 800.0])
        .with_max_steps(64)
        .with_options(options())
        .renderer(renderer())
        .build_ui_state(|ui, app: &mut LabApp| app.frame_ui(ui), app)
}

fn seek_to_time(h: &mut Harness<'_, LabApp>, nanos: u64) {
    let event = {
        let s = h.state().session.as_ref().unwrap();
        let i = s.records().partition_point(|r| r.time.as_nanos() < nanos);
        s.records()[i].event
    };
    h.state_mut().push(Command::Seek(event));
}

#[test]
fn main_views_snapshots() {
    let mut results = SnapshotResults::new();

    // Mid-partition, n0 selected: the cut, halos, drops, the space-time
    // diagram with the partition marked, the inspector.
    let mut h = lab("gossip/basic.toml");
    seek_to_time(&mut h, 2_250_100_000);
    h.state_mut()
        .push(Command::Select(Selection::Node(NodeId(0))));
    h.run();
    results.add(h.try_snapshot("lab_gossip_partition"));

    // A crashed node, then the help overlay over it.
    h.state_mut()
        .push(Command::Inject(faultline_sim::Fault::Crash {
            node: NodeId(2),
        }));
    h.run();
    results.add(h.try_snapshot("lab_gossip_crashed_node"));
    h.state_mut().push(Command::ToggleHelp);
    h.run();
    results.add(h.try_snapshot("lab_help_overlay"));

    // A violation: the checks panel turns red.
    let mut h = lab("bugs/gossip-volatile-store.toml");
    h.state_mut().push(Command::JumpToViolation);
    h.run();
    assert_eq!(h.state().session.as_ref().unwrap().cursor(), 409);
    results.add(h.try_snapshot("lab_violation"));

    // Why it happened: the violation selected, its past lit up, the faults
    // and the chain of messages in the inspector.
    let violation = h.state().session.as_ref().unwrap().index.violation;
    h.state_mut()
        .push(Command::Why(violation.expect("recorded")));
    h.run();
    results.add(h.try_snapshot("lab_why"));

    // A delivery selected mid-run: its causal past blue, its future pink,
    // the rest faded, its vector clock in the inspector.
    let mut h = lab("gossip/basic.toml");
    seek_to_time(&mut h, 1_000_000_000);
    h.run();
    let delivery = {
        let s = h.state().session.as_ref().unwrap();
        let from = s.first_future_record();
        from + s.records()[from..]
            .iter()
            .position(|r| r.kind.name() == "deliver")
            .expect("a delivery after 1s")
    };
    h.state_mut()
        .push(Command::Select(Selection::Record(delivery)));
    h.run();
    results.add(h.try_snapshot("lab_causal"));
}
