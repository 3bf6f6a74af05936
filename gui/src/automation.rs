//! Scripted runs for screenshots and frame-rate measurements, driven by
//! environment variables so the app itself needs no test-only flags:
//!
//! | variable | effect |
//! |---|---|
//! | `FAULTLINE_LAB_SIZE=1600x1000` | window size |
//! | `FAULTLINE_LAB_SEEK=N` | seek to event N at start |
//! | `FAULTLINE_LAB_SEEK_TIME=2.5` | seek to the first event at or after 2.5 s |
//! | `FAULTLINE_LAB_SELECT=N` | select node N |
//! | `FAULTLINE_LAB_SCREENSHOT=out.png` | save a screenshot after `FAULTLINE_LAB_FRAMES` frames (default 30), then exit |
//! | `FAULTLINE_LAB_FPS=N` | play, measure N frames, print the frame rate, then exit |
//! | `FAULTLINE_LAB_HIDE=picker,log,side,spacetime` | hide these panels |
//!
//! A scripted run neither reads nor writes the remembered layout.

use crate::app::LabApp;
use crate::command::{Command, Selection};
use eframe::egui;
use faultline_sim::NodeId;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Frames played before the frame-rate measurement starts.
const FPS_WARMUP_FRAMES: u32 = 5;

/// A scripted run, read from the environment.
#[derive(Debug, Default)]
pub struct Automation {
    size: Option<[f32; 2]>,
    seek: Option<u64>,
    seek_time: Option<f64>,
    select: Option<u32>,
    screenshot: Option<PathBuf>,
    screenshot_frame: u32,
    fps_frames: Option<u32>,
    hide: Vec<String>,
    frame: u32,
    fps_started: Option<Instant>,
    ui_time: Duration,
    saved: Arc<AtomicBool>,
    requested: bool,
}

fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

impl Automation {
    /// Reads the `FAULTLINE_LAB_*` variables.
    pub fn from_env() -> Self {
        let size = std::env::var("FAULTLINE_LAB_SIZE").ok().and_then(|s| {
            let (w, h) = s.split_once('x')?;
            Some([w.trim().parse().ok()?, h.trim().parse().ok()?])
        });
        Automation {
            size,
            seek: var("FAULTLINE_LAB_SEEK"),
            seek_time: var("FAULTLINE_LAB_SEEK_TIME"),
            select: var("FAULTLINE_LAB_SELECT"),
            screenshot: std::env::var_os("FAULTLINE_LAB_SCREENSHOT").map(PathBuf::from),
            screenshot_frame: var("FAULTLINE_LAB_FRAMES").unwrap_or(30),
            fps_frames: var("FAULTLINE_LAB_FPS"),
            hide: std::env::var("FAULTLINE_LAB_HIDE")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default(),
            ..Automation::default()
        }
    }

    /// Whether anything is scripted.
    pub fn is_active(&self) -> bool {
        self.screenshot.is_some() || self.fps_frames.is_some()
    }

    /// Whether this run measures the frame rate.
    pub fn measures_fps(&self) -> bool {
        self.fps_frames.is_some()
    }

    /// The window size.
    pub fn window_size(&self) -> [f32; 2] {
        self.size.unwrap_or([1440.0, 900.0])
    }

    /// Called before each frame.
    pub fn before_frame(&mut self, ctx: &egui::Context, lab: &mut LabApp) {
        if !self.is_active()
            && self.seek.is_none()
            && self.seek_time.is_none()
            && self.select.is_none()
        {
            return;
        }
        self.frame += 1;
        if self.frame == 1 {
            for panel in &self.hide {
                match panel.as_str() {
                    "picker" => lab.settings.show_picker = false,
                    "log" => lab.settings.show_log = false,
                    "side" => lab.settings.show_side = false,
                    "spacetime" => lab.settings.show_spacetime = false,
                    other => eprintln!("FAULTLINE_LAB_HIDE: unknown panel `{other}`"),
                }
            }
            if let (Some(t), Some(session)) = (self.seek_time, lab.session.as_ref()) {
                let nanos = (t * 1e9) as u64;
                let i = session
                    .records()
                    .partition_point(|r| r.time.as_nanos() < nanos);
                if let Some(r) = session.records().get(i) {
                    lab.push(Command::Seek(r.event));
                }
            }
            if let Some(e) = self.seek {
                lab.push(Command::Seek(e));
            }
            if let Some(n) = self.select {
                lab.push(Command::Select(Selection::Node(NodeId(n))));
            }
            if self.fps_frames.is_some() {
                lab.push(Command::Play);
            }
        }
        if self.is_active() {
            ctx.request_repaint();
        }
        if let Some(path) = &self.screenshot {
            if self.frame >= self.screenshot_frame && !self.requested {
                self.requested = true;
                let path = path.clone();
                let saved = self.saved.clone();
                ctx.request_screenshot(move |image| {
                    let [w, h] = image.size;
                    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
                    match image::RgbaImage::from_raw(w as u32, h as u32, bytes) {
                        Some(img) => match img.save(&path) {
                            Ok(()) => eprintln!("saved {}", path.display()),
                            Err(e) => eprintln!("error: cannot save {}: {e}", path.display()),
                        },
                        None => eprintln!("error: bad screenshot buffer"),
                    }
                    saved.store(true, Ordering::SeqCst);
                });
            }
            if self.saved.load(Ordering::SeqCst) {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    /// Called after each frame with the time the lab's own code took.
    pub fn after_frame(&mut self, ctx: &egui::Context, ui_time: Duration) {
        let Some(frames) = self.fps_frames else {
            return;
        };
        if self.frame == FPS_WARMUP_FRAMES {
            self.fps_started = Some(Instant::now());
            self.ui_time = Duration::ZERO;
        } else if let Some(started) = self.fps_started {
            self.ui_time += ui_time;
            let measured = self.frame - FPS_WARMUP_FRAMES;
            if measured == frames {
                let wall = started.elapsed().as_secs_f64();
                println!(
                    "fps: {:.1} over {frames} frames ({:.2} ms per frame; the lab's ui code {:.2} ms of it)",
                    frames as f64 / wall,
                    wall * 1e3 / frames as f64,
                    self.ui_time.as_secs_f64() * 1e3 / frames as f64
                );
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }
}
