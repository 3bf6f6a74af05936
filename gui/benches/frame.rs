//! The lab's CPU cost per frame, without a GPU: egui's pass over every
//! panel plus tessellation, on 50 nodes with 5,000 messages in flight,
//! playing. What a GPU adds on top is small on real hardware; under Xvfb
//! with Mesa's software renderer, rasterisation dominates (see docs/gui.md).
//!
//! `cargo bench -p faultline-gui --bench frame [-- FRAMES]`

use eframe::egui::{self, Pos2, RawInput, Rect, vec2};
use faultline_gui::command::Command;
use faultline_gui::{LabApp, Settings};
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let frames: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lab = LabApp::new(Settings::default(), manifest.join("../scenarios"));
    lab.open(&manifest.join("benches/storm-50.toml"), None);
    assert!(lab.session.is_some(), "{:?}", lab.open_error);
    lab.push(Command::Seek(20_000));
    lab.push(Command::Play);
    let ctx = egui::Context::default();
    let mut ui_time = Duration::ZERO;
    let mut tessellate_time = Duration::ZERO;
    let mut in_flight_min = usize::MAX;
    let warmup = 10;
    for i in 0..frames + warmup {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(1600.0, 1000.0))),
            time: Some(i as f64 / 60.0),
            predicted_dt: 1.0 / 60.0,
            ..RawInput::default()
        };
        let started = Instant::now();
        let output = ctx.run_ui(input, |ui| lab.frame_ui(ui));
        let ran = started.elapsed();
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        let tessellated = started.elapsed() - ran;
        std::hint::black_box(primitives);
        if i >= warmup {
            ui_time += ran;
            tessellate_time += tessellated;
            let s = lab.session.as_ref().unwrap();
            in_flight_min = in_flight_min.min(s.handle.in_flight().len());
        }
    }
    let s = lab.session.as_ref().unwrap();
    assert!(lab.playing, "still playing");
    let per = |d: Duration| d.as_secs_f64() * 1e3 / frames as f64;
    let total = per(ui_time) + per(tessellate_time);
    println!(
        "50 nodes, >= {in_flight_min} messages in flight, all panels, 1600x1000, {frames} frames played to event {}",
        s.cursor()
    );
    println!(
        "per frame: ui {:.2} ms + tessellation {:.2} ms = {:.2} ms  ({:.0} frames/s of CPU work)",
        per(ui_time),
        per(tessellate_time),
        total,
        1e3 / total
    );
}
