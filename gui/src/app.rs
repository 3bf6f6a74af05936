//! The app: lays out the panels, reads shortcuts, and applies the frame's
//! commands at its end. This is the only place the session changes.

use crate::command::{Command, Selection};
use crate::help::{self, AppKey};
use crate::panels::checks::ChecksPanel;
use crate::panels::cluster::ClusterView;
use crate::panels::faults::{FaultsPanel, PartitionDraft, default_save_path};
use crate::panels::inspector::Inspector;
use crate::panels::log::EventLog;
use crate::panels::picker::ScenarioPicker;
use crate::panels::spacetime::SpaceTimeView;
use crate::panels::transport::TransportBar;
use crate::session::{Session, Speed};
use crate::web::{WebState, editor::download_name};
use crate::{text, theme};
use eframe::egui::{self, RichText};
use faultline_sim::{Fault, RunStatus};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the lab remembers between launches (with egui's own memory:
/// panel sizes, window position).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The last scenario opened.
    pub last_scenario: Option<PathBuf>,
    /// Playback speed, log10 of simulated seconds per wall second.
    pub speed_log10: f64,
    /// Play as fast as possible.
    pub speed_max: bool,
    /// Show the scenario picker.
    pub show_picker: bool,
    /// Show the event log.
    pub show_log: bool,
    /// Show the right-hand panel (checks, inspector, faults).
    pub show_side: bool,
    /// Show the space-time diagram.
    pub show_spacetime: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            last_scenario: None,
            speed_log10: Speed::default().log10,
            speed_max: false,
            show_picker: true,
            show_log: true,
            show_side: true,
            show_spacetime: true,
        }
    }
}

/// A short message in the top bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
}

/// The Faultline lab.
pub struct LabApp {
    /// Remembered between launches.
    pub settings: Settings,
    /// The open scenario and its run.
    pub session: Option<Session>,
    /// Why the last scenario could not be opened.
    pub open_error: Option<String>,
    /// The last message for the user.
    pub notice: Option<Notice>,
    /// What is selected.
    pub selection: Selection,
    /// Whether playback runs.
    pub playing: bool,
    /// The help overlay.
    pub show_help: bool,
    /// The partition being drawn.
    pub draft: PartitionDraft,
    /// Panels.
    pub picker: ScenarioPicker,
    /// The transport.
    pub transport: TransportBar,
    /// The cluster view.
    pub cluster: ClusterView,
    /// The space-time diagram.
    pub spacetime: SpaceTimeView,
    /// The inspector.
    pub inspector: Inspector,
    /// The event log.
    pub log: EventLog,
    /// The checks.
    pub checks: ChecksPanel,
    /// Fault injection.
    pub faults: FaultsPanel,
    /// Set when the lab runs in a browser: scenarios come from its library,
    /// saved branches become downloads, the address follows the run
    /// ([`crate::web`]).
    pub web: Option<WebState>,
    commands: Vec<Command>,
}

impl LabApp {
    /// A lab over the scenarios in `scenarios_dir`, with remembered settings.
    pub fn new(settings: Settings, scenarios_dir: PathBuf) -> Self {
        LabApp {
            settings,
            session: None,
            open_error: None,
            notice: None,
            selection: Selection::None,
            playing: false,
            show_help: false,
            draft: PartitionDraft::default(),
            picker: ScenarioPicker::new(scenarios_dir),
            transport: TransportBar::default(),
            cluster: ClusterView::default(),
            spacetime: SpaceTimeView::default(),
            inspector: Inspector,
            log: EventLog::default(),
            checks: ChecksPanel::default(),
            faults: FaultsPanel::default(),
            web: None,
            commands: Vec::new(),
        }
    }

    /// A lab as it runs in a browser: the picker lists the embedded
    /// scenarios, files come from the user or the library, saved branches
    /// are downloads ([`crate::web`]).
    pub fn new_in_browser(settings: Settings) -> Self {
        let mut lab = LabApp::new(settings, PathBuf::from(crate::web::library::SHIPPED_DIR));
        let web = WebState::default();
        lab.picker.in_browser = true;
        lab.picker.list(&web.library.files());
        lab.web = Some(web);
        lab
    }

    /// The playback speed.
    pub fn speed(&self) -> Speed {
        Speed {
            log10: self.settings.speed_log10,
            max: self.settings.speed_max,
        }
    }

    /// Queues a command, as a panel would.
    pub fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// Applies the queued commands now, as the end of a frame does (for a
    /// host that drives the lab without frames, and tests).
    pub fn apply_queued(&mut self) {
        for command in std::mem::take(&mut self.commands) {
            self.apply(command);
        }
    }

    /// Applies one command now.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Open { path, seed } => self.open(&path, seed),
            Command::Reload { seed } => {
                if let Some(path) = self.session.as_ref().map(|s| s.path.clone()) {
                    self.open(&path, seed);
                }
            }
            Command::ToggleHelp => self.show_help = !self.show_help,
            Command::SetSpeed { log10, max } => {
                self.settings.speed_log10 = log10.clamp(Speed::MIN_LOG10, Speed::MAX_LOG10);
                self.settings.speed_max = max;
            }
            Command::Select(selection) => {
                self.selection = selection;
                if let Some(session) = self.session.as_mut() {
                    session.focus(selection, false);
                }
            }
            Command::Why(record) => {
                self.selection = Selection::Record(record);
                if let Some(session) = self.session.as_mut() {
                    session.focus(self.selection, true);
                }
            }
            Command::SaveBranch(path) if self.web.is_some() => self.download_branch(&path),
            Command::OpenText { path, text, seed } => self.open_text(path, text, seed),
            Command::Download { name, text } => self.download(name, text),
            Command::PickFile => match self.web.as_mut() {
                Some(web) => web.pick_file = true,
                None => self.not_in_browser("Opening a file from a dialog"),
            },
            Command::ToggleEditor => match self.web.as_mut() {
                Some(web) => web.editor.open = !web.editor.open,
                None => self.not_in_browser("The scenario editor"),
            },
            command => self.apply_to_run(command),
        }
    }

    fn apply_to_run(&mut self, command: Command) {
        let speed = self.speed();
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let was_violated = matches!(session.handle.status(), RunStatus::Violated(_));
        let before = session.cursor();
        let mut crossing = false;
        match command {
            Command::Play => {
                if session.handle.status().is_running() {
                    self.playing = true;
                } else {
                    self.notice = Some(Notice {
                        text: "The run has stopped: seek back to play again.".into(),
                        error: false,
                    });
                }
            }
            Command::Pause => self.playing = false,
            Command::TogglePlay => {
                self.playing = !self.playing && session.handle.status().is_running();
            }
            Command::StepEvent => {
                self.playing = false;
                session.step();
                crossing = true;
            }
            Command::StepBack => {
                self.playing = false;
                session.step_back();
            }
            Command::StepToNext(kind) => {
                self.playing = false;
                session.step_to_next(kind);
                crossing = true;
            }
            Command::Seek(event) => session.seek(event),
            Command::SeekBy(delta) => {
                let target = session.cursor().saturating_add_signed(delta);
                session.seek(target);
            }
            Command::SeekEnd => {
                self.playing = false;
                session.seek_end();
            }
            Command::JumpToViolation => {
                self.playing = false;
                match session.violation_event() {
                    Some(event) => session.seek(event),
                    None => {
                        self.notice = Some(Notice {
                            text: "No violation is known in this run.".into(),
                            error: false,
                        })
                    }
                }
            }
            Command::Tick { wall_seconds } => {
                if self.playing && !session.tick(wall_seconds, speed) {
                    self.playing = false;
                }
                crossing = true;
            }
            Command::Inject(fault) => {
                let shown = fault.to_string();
                match session.inject(fault) {
                    Ok(()) => {
                        self.notice = Some(Notice {
                            text: format!("Injected {shown} after event {}.", session.cursor() - 1),
                            error: false,
                        });
                        self.log.invalidate();
                        self.checks.invalidate();
                        if let Selection::Record(i) = self.selection
                            && i >= session.records().len()
                        {
                            self.selection = Selection::None;
                            session.focus(Selection::None, false);
                        }
                    }
                    Err(e) => {
                        self.notice = Some(Notice {
                            text: format!("Cannot inject {shown}: {e}"),
                            error: true,
                        })
                    }
                }
            }
            Command::RunToEnd => {
                self.playing = false;
                session.run_to_end();
            }
            Command::SaveBranch(path) => {
                self.notice = Some(match session.save_branch(&path) {
                    Ok(saved) => Notice {
                        text: format!(
                            "Saved {} (fingerprint {:#018x}, outcome {}{}). Replay: faultline replay {}",
                            text::path(&path),
                            saved.fingerprint,
                            saved.outcome,
                            if saved.liveness_dropped {
                                "; liveness check dropped: its bound no longer fits after the last fault"
                            } else {
                                ""
                            },
                            text::path(&path)
                        ),
                        error: false,
                    },
                    Err(e) => Notice {
                        text: format!("Cannot save the branch: {e}"),
                        error: true,
                    },
                });
            }
            Command::ToggleTour => {
                session.tour.on = !session.tour.on && !session.scenario.tour.steps.is_empty();
            }
            Command::TourGo(i) => {
                self.playing = false;
                let last = session.scenario.tour.steps.len().saturating_sub(1);
                session.tour.on = true;
                session.tour.step = i.min(last);
                session.tour.replaying = None;
                match session.tour.anchor(session.tour.step) {
                    Some(a) => session.seek(a),
                    None => {
                        self.notice = Some(Notice {
                            text: "This branch does not reach that tour step; it stays on the card. Rejoin the tour from an earlier step, or reload the scenario.".into(),
                            error: false,
                        })
                    }
                }
            }
            Command::TourReplay => {
                let i = session.tour.step;
                let from = (0..i)
                    .rev()
                    .find_map(|k| session.tour.anchor(k))
                    .unwrap_or(0);
                if session.tour.anchor(i).is_some() {
                    session.seek(from);
                    session.tour.replaying = Some(i);
                    self.playing = session.handle.status().is_running();
                }
            }
            Command::TourRejoin => {
                self.playing = false;
                if let Some(i) = faultline_algorithms::scenario::Tour::nearest(
                    &session.tour.anchors,
                    session.cursor(),
                ) {
                    session.tour.on = true;
                    session.tour.step = i;
                    if let Some(a) = session.tour.anchor(i) {
                        session.seek(a);
                    }
                }
            }
            Command::Open { .. }
            | Command::Reload { .. }
            | Command::ToggleHelp
            | Command::SetSpeed { .. }
            | Command::Select(_)
            | Command::Why(_)
            | Command::OpenText { .. }
            | Command::Download { .. }
            | Command::PickFile
            | Command::ToggleEditor => unreachable!("handled by apply"),
        }
        if crossing && session.tour_crossed(before) {
            self.playing = false;
        }
        if let RunStatus::Violated(v) = session.handle.status()
            && !was_violated
        {
            self.playing = false;
            self.notice = Some(Notice {
                text: format!(
                    "Invariant {} violated at event {}: the run stopped there.",
                    v.invariant, v.event
                ),
                error: true,
            });
        }
    }

    /// Opens a scenario; on failure the current one stays open and the
    /// error is shown in the picker. In a browser the file comes from the
    /// library (embedded or brought in by the user), not the disk.
    pub fn open(&mut self, path: &Path, seed: Option<u64>) {
        let opened = match &self.web {
            None => Session::open(path, seed),
            Some(web) => match web.library.get(path) {
                Some(text) => Session::open_text(path, text, seed),
                None => Err(format!(
                    "{}: error: no such scenario in this page (open a file from your disk \
                     with \"Open a file…\", or paste it into the editor)",
                    path.display()
                )),
            },
        };
        self.opened(path, opened);
    }

    /// Shows a newly opened session, or why it could not be opened.
    pub(crate) fn opened(&mut self, path: &Path, opened: Result<Session, String>) {
        match opened {
            Ok(session) => {
                self.playing = false;
                self.selection = Selection::None;
                self.open_error = None;
                self.notice = None;
                self.draft.clear();
                self.cluster.reset();
                self.spacetime.reset(&session);
                self.log.invalidate();
                self.checks.invalidate();
                self.faults.save_path = default_save_path(&session);
                if self.web.is_some() {
                    // A download has a name, not a folder.
                    self.faults.save_path = download_name(&self.faults.save_path);
                }
                self.picker.path_text = path.display().to_string();
                self.settings.last_scenario = Some(path.to_path_buf());
                if let Some(web) = self.web.as_mut() {
                    web.editor.load(path, &session.scenario.text);
                }
                self.session = Some(session);
            }
            Err(e) => {
                self.open_error = Some(e);
                self.settings.show_picker = true;
            }
        }
    }

    /// Turns app-level keys into commands.
    fn app_key(&mut self, key: AppKey) {
        let selection = self.selection;
        let session = self.session.as_ref();
        match key {
            AppKey::CrashSelected => {
                if let (Selection::Node(node), Some(s)) = (selection, session) {
                    let fault = if s.handle.node_info(node).up {
                        Fault::Crash { node }
                    } else {
                        Fault::Restart { node }
                    };
                    self.commands.push(Command::Inject(fault));
                }
            }
            AppKey::IsolateSelected => {
                if let Selection::Node(node) = selection {
                    self.commands.push(Command::Inject(Fault::Isolate { node }));
                }
            }
            AppKey::DropSelected => {
                if let Selection::Message(m) = selection {
                    self.commands
                        .push(Command::Inject(Fault::DropMessage { message: m.0 }));
                }
            }
            AppKey::Faster | AppKey::Slower => {
                let step = if key == AppKey::Faster { 0.25 } else { -0.25 };
                self.commands.push(Command::SetSpeed {
                    log10: self.settings.speed_log10 + step,
                    max: false,
                });
            }
            AppKey::Escape => {
                if self.show_help {
                    self.show_help = false;
                } else {
                    self.commands.push(Command::Select(Selection::None));
                }
            }
            AppKey::TogglePicker => self.settings.show_picker = !self.settings.show_picker,
            AppKey::Reload => {
                let seed = self.picker.seed().unwrap_or(None);
                self.commands.push(Command::Reload { seed });
            }
            AppKey::Save => {
                let path = PathBuf::from(self.faults.save_path.trim());
                if !self.faults.save_path.trim().is_empty() {
                    self.commands.push(Command::SaveBranch(path));
                }
            }
        }
    }

    /// One frame of the whole lab inside `ui`.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let (commands, keys) = help::read_shortcuts(&ctx);
        self.commands.extend(commands);
        for key in keys {
            self.app_key(key);
        }
        if self.playing {
            let dt = ctx.input(|i| i.stable_dt) as f64;
            self.commands.push(Command::Tick { wall_seconds: dt });
        }

        self.top_bar_ui(ui);
        if self.settings.show_picker {
            egui::Panel::left("picker")
                .resizable(true)
                .default_size(260.0)
                .show(ui, |ui| {
                    let current = self.session.as_ref().map(|s| s.path.as_path());
                    self.picker
                        .ui(ui, current, self.open_error.as_deref(), &mut self.commands);
                });
        }
        if let Some(session) = self.session.as_ref() {
            if self.settings.show_side {
                egui::Panel::right("side")
                    .resizable(true)
                    .default_size(340.0)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical().show(ui, |ui| {
                            if !session.steps.is_empty() {
                                egui::CollapsingHeader::new(
                                    RichText::new("Explored path").strong(),
                                )
                                .id_salt("path")
                                .default_open(true)
                                .show(ui, |ui| {
                                    crate::panels::path::ui(ui, session, &mut self.commands)
                                });
                            }
                            let failing = self.checks.failing(session);
                            let title = if failing {
                                RichText::new("Checks ✖").color(theme::RED).strong()
                            } else {
                                RichText::new("Checks").strong()
                            };
                            egui::CollapsingHeader::new(title)
                                .id_salt("checks")
                                .default_open(true)
                                .show(ui, |ui| {
                                    self.checks
                                        .ui(ui, session, self.playing, &mut self.commands)
                                });
                            egui::CollapsingHeader::new(RichText::new("Inspector").strong())
                                .id_salt("inspector")
                                .default_open(true)
                                .show(ui, |ui| {
                                    self.inspector.ui(
                                        ui,
                                        session,
                                        self.selection,
                                        &mut self.draft,
                                        &mut self.commands,
                                    )
                                });
                            egui::CollapsingHeader::new(RichText::new("Faults").strong())
                                .id_salt("faults")
                                .default_open(true)
                                .show(ui, |ui| {
                                    self.faults.ui(
                                        ui,
                                        session,
                                        self.selection,
                                        &mut self.draft,
                                        &mut self.commands,
                                    )
                                });
                        });
                    });
            }
            if self.settings.show_log {
                egui::Panel::bottom("log")
                    .resizable(true)
                    .default_size(170.0)
                    .show(ui, |ui| {
                        self.log.ui(ui, session, self.selection, &mut self.commands)
                    });
            }
            egui::CentralPanel::default().show(ui, |ui| {
                if self.settings.show_spacetime {
                    egui::Panel::bottom("spacetime")
                        .resizable(true)
                        .default_size(260.0)
                        .show(ui, |ui| {
                            self.spacetime
                                .ui(ui, session, self.selection, &mut self.commands)
                        });
                }
                if session.tour.on {
                    egui::Panel::right("tour")
                        .resizable(true)
                        .default_size(300.0)
                        .show(ui, |ui| {
                            crate::panels::tour::ui(ui, session, &mut self.commands)
                        });
                }
                let cluster = egui::CentralPanel::no_frame().show(ui, |ui| {
                    self.cluster.ui(
                        ui,
                        session,
                        self.selection,
                        &mut self.draft,
                        &mut self.commands,
                    )
                });
                if let Some(web) = self.web.as_mut() {
                    web.cluster_rect = Some(cluster.response.rect);
                }
            });
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.vertical_centered(|ui| {
                    ui.add_space(60.0);
                    ui.heading("Faultline lab");
                    ui.label(if self.web.is_some() {
                        "Pick a scenario on the left (Ctrl+O shows the picker), open a file from your disk, or paste one into the editor."
                    } else {
                        "Pick a scenario on the left (Ctrl+O shows the picker), or type a path and press Open."
                    });
                    ui.label("Press F1 for keyboard shortcuts.");
                });
            });
        }
        let mut show_help = self.show_help;
        help::help_ui(&ctx, &mut show_help);
        self.show_help = show_help;
        if let Some(web) = self.web.as_mut() {
            let current = self
                .session
                .as_ref()
                .map(|s| (s.path.as_path(), s.scenario.text.as_str()));
            let seed = self.picker.seed().unwrap_or(None);
            web.editor.ui(&ctx, current, seed, &mut self.commands);
        }

        let commands = std::mem::take(&mut self.commands);
        // What was drawn this frame is now stale: draw the new state at once.
        let changed = !commands.is_empty();
        for command in commands {
            self.apply(command);
        }
        if self.playing || changed {
            ctx.request_repaint();
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Faultline lab").strong().size(16.0));
                ui.separator();
                ui.toggle_value(&mut self.settings.show_picker, "Scenarios")
                    .on_hover_text("Ctrl+O");
                ui.toggle_value(&mut self.settings.show_spacetime, "Space-time");
                ui.toggle_value(&mut self.settings.show_log, "Event log");
                ui.toggle_value(&mut self.settings.show_side, "Side panel");
                if let Some(web) = self.web.as_mut() {
                    ui.toggle_value(&mut web.editor.open, "Editor")
                        .on_hover_text("Edit the open scenario, or paste one in");
                }
                if ui.button("Help").on_hover_text("F1").clicked() {
                    self.commands.push(Command::ToggleHelp);
                }
                if let Some(s) = &self.session
                    && !s.scenario.tour.steps.is_empty()
                {
                    let mut on = s.tour.on;
                    if ui
                        .toggle_value(&mut on, "Tour")
                        .on_hover_text(
                            "The scenario's guided tour: a narration card beside the cluster view",
                        )
                        .clicked()
                    {
                        self.commands.push(Command::ToggleTour);
                    }
                }
                ui.separator();
                if let Some(s) = &self.session {
                    ui.label(RichText::new(&s.scenario.name).strong());
                    ui.label(
                        RichText::new(format!("{} · seed {}", text::path(&s.path), s.seed)).weak(),
                    );
                }
            });
            if let Some(session) = self.session.as_ref() {
                let speed = self.speed();
                self.transport
                    .ui(ui, session, self.playing, speed, &mut self.commands);
            }
            if let Some(n) = self.notice.clone() {
                let color = if n.error { theme::RED } else { theme::GREEN };
                ui.horizontal(|ui| {
                    ui.colored_label(color, &n.text);
                    if ui
                        .small_button("Dismiss")
                        .on_hover_text("dismiss")
                        .clicked()
                    {
                        self.notice = None;
                    }
                });
            }
        });
    }
}
