//! # faultline-gui: the Faultline lab
//!
//! An eframe app that drives any algorithm through the kernel's object-safe
//! [`SimHandle`](faultline_sim::SimHandle): open a scenario, play, pause,
//! step and scrub back through the run, watch messages fly in the cluster
//! view and the space-time diagram, inspect any node's view, inject faults
//! with the mouse, see the checks turn red, and save the branch as a
//! scenario that replays to the same fingerprint. `docs/gui.md` describes
//! every view and shortcut.
//!
//! Architecture (as in egui_demo_app and rerun): the run's state lives in a
//! [`Session`], apart from drawing. Panels
//! ([`panels`]) are small structs whose `ui` methods draw and push
//! [`Command`](command::Command)s; the [`LabApp`] applies them at
//! the end of the frame. The time cursor moves only there.

pub mod app;
mod automation;
pub mod causal;
pub mod command;
pub mod help;
pub mod panels;
pub mod save;
pub mod session;
pub mod text;
pub mod theme;
pub mod web;

pub use app::{LabApp, Settings};
pub use automation::Automation;
pub use session::Session;

use std::path::PathBuf;

/// How to start the lab.
#[derive(Clone, Debug, Default)]
pub struct LaunchOptions {
    /// A scenario to open at once (default: the last one, else
    /// `scenarios/gossip/basic.toml` when it exists).
    pub scenario: Option<PathBuf>,
    /// Its seed (default: the scenario's).
    pub seed: Option<u64>,
    /// The folder the picker lists (default: `scenarios`).
    pub scenarios_dir: Option<PathBuf>,
}

/// The scenario opened when none is given and none is remembered.
pub const DEFAULT_SCENARIO: &str = "scenarios/gossip/basic.toml";

/// Runs the lab until its window closes. (In a browser, `web::start`
/// runs it in the page instead.)
///
/// The environment can script a run (used by `scripts/screenshot.sh` and
/// the frame-rate measurement); see [`Automation::from_env`].
#[cfg(not(target_arch = "wasm32"))]
pub fn run(options: LaunchOptions) -> Result<(), String> {
    let automation = Automation::from_env();
    let scripted = automation.is_active();
    let viewport = eframe::egui::ViewportBuilder::default()
        .with_title("Faultline lab")
        .with_app_id("faultline-lab")
        .with_inner_size(automation.window_size());
    let mut native = eframe::NativeOptions {
        viewport,
        persist_window: !scripted,
        ..eframe::NativeOptions::default()
    };
    if automation.measures_fps() {
        // Measure the lab, not the display's refresh.
        native.wgpu_options.surface.present_mode = eframe::wgpu::PresentMode::AutoNoVsync;
    }
    eframe::run_native(
        "Faultline lab",
        native,
        Box::new(move |cc| {
            let settings = if scripted {
                Settings::default()
            } else {
                cc.storage
                    .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                    .unwrap_or_default()
            };
            let dir = options
                .scenarios_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("scenarios"));
            let mut lab = LabApp::new(settings, dir);
            let scenario = options
                .scenario
                .clone()
                .or_else(|| lab.settings.last_scenario.clone().filter(|p| p.exists()))
                .or_else(|| {
                    let p = PathBuf::from(DEFAULT_SCENARIO);
                    p.exists().then_some(p)
                });
            if let Some(path) = scenario {
                lab.open(&path, options.seed);
            }
            Ok(Box::new(Lab { lab, automation }))
        }),
    )
    .map_err(|e| {
        format!(
            "cannot open the lab's window: {e}\nThe lab needs a display (X11 or Wayland) and \
             Vulkan or OpenGL drivers; `faultline run` works without either."
        )
    })
}

/// The eframe wrapper: persistence and scripted runs around [`LabApp`].
#[cfg(not(target_arch = "wasm32"))]
struct Lab {
    lab: LabApp,
    automation: Automation,
}

#[cfg(not(target_arch = "wasm32"))]
impl eframe::App for Lab {
    fn ui(&mut self, ui: &mut eframe::egui::Ui, _frame: &mut eframe::Frame) {
        self.automation.before_frame(ui.ctx(), &mut self.lab);
        let started = std::time::Instant::now();
        self.lab.frame_ui(ui);
        self.automation.after_frame(ui.ctx(), started.elapsed());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if !self.automation.is_active() {
            eframe::set_value(storage, eframe::APP_KEY, &self.lab.settings);
        }
    }

    fn persist_egui_memory(&self) -> bool {
        !self.automation.is_active()
    }
}
