//! The page glue of the lab in a browser (compiled for `wasm32` only): it
//! starts eframe in the page's canvas, and carries what the lab asks of the
//! page and what the page brings to the lab.
//!
//! - The address: read on start and on every `hashchange` ([`Link`]);
//!   written back (with `history.replaceState`, which neither reloads nor
//!   fills the back button's list) when the lab moves, at most once a second
//!   while playing, since browsers throttle rapid address changes.
//! - Files: the "Open a file…" dialog and files dropped on the page are read
//!   and opened as scenario text; downloads become a link clicked for the
//!   user.
//! - The status: `document.title`, and a hidden `#lab-status` element with
//!   [`super::status`] and the time of the first frame, which the browser
//!   test reads.
//! - Failures: a browser that cannot draw (no WebGL), a missing canvas or a
//!   panic write a readable message into `#lab-message` instead of leaving a
//!   blank page.

use super::{Link, current_link, follow, status, title};
use crate::app::{LabApp, Settings};
use crate::command::Command;
use eframe::egui;
use faultline_algorithms::scenario::Scenario;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The page's canvas, message and status elements (see `web/index.html`).
const CANVAS_ID: &str = "lab";
const MESSAGE_ID: &str = "lab-message";
const STATUS_ID: &str = "lab-status";

/// Milliseconds between address updates while playing.
const ADDRESS_INTERVAL_MS: f64 = 1_000.0;

/// What the page brings to the lab between frames.
enum Incoming {
    /// A file the user chose or dropped, and its bytes (or why they could
    /// not be read).
    File {
        name: String,
        bytes: Result<Vec<u8>, String>,
    },
    /// The address's fragment changed.
    Address(String),
}

type Inbox = Rc<RefCell<Vec<Incoming>>>;

/// Starts the lab in the page (the `wasm32` binary's `main`).
pub fn start() {
    wasm_bindgen_futures::spawn_local(run());
}

async fn run() {
    let canvas = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(CANVAS_ID))
        .and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok());
    let Some(canvas) = canvas else {
        show_message(&format!(
            "This page has no <canvas id=\"{CANVAS_ID}\"> for the lab to draw in."
        ));
        return;
    };
    let inbox: Inbox = Rc::default();
    let runner = eframe::WebRunner::new();
    let app_inbox = inbox.clone();
    let started = runner
        .start(
            canvas,
            eframe::WebOptions::default(),
            Box::new(move |cc| {
                let settings: Settings = cc
                    .storage
                    .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                    .unwrap_or_default();
                Ok(Box::new(PageLab::new(
                    cc.egui_ctx.clone(),
                    settings,
                    app_inbox,
                )))
            }),
        )
        .await;
    match started {
        Ok(()) => {
            hide_message();
            watch_for_panics(runner);
        }
        Err(e) => show_message(&format!(
            "The lab cannot draw in this browser: {}.\n\nIt draws with WebGL 2 (or WebGPU). \
             Turn on hardware acceleration or WebGL in the browser's settings, try another \
             browser, or run the lab on the desktop (see the project's README). \
             `faultline run` needs no graphics at all.",
            js_text(&e)
        )),
    }
}

/// The lab with its page around it.
struct PageLab {
    lab: LabApp,
    inbox: Inbox,
    ctx: egui::Context,
    /// The fragment last written to the address, and when (ms).
    address: String,
    address_at: f64,
    /// When the first frame was drawn, in ms since the page started loading.
    first_frame_ms: Option<f64>,
    shown_status: String,
    shown_title: String,
}

impl PageLab {
    fn new(ctx: egui::Context, settings: Settings, inbox: Inbox) -> Self {
        let mut lab = LabApp::new_in_browser(settings);
        let fragment = location_hash();
        match Link::parse(&fragment) {
            Ok(link) if link != Link::default() => follow(&mut lab, &link),
            Ok(_) => open_default(&mut lab),
            Err(e) => {
                open_default(&mut lab);
                lab.open_error = Some(format!("The address is not a lab link: {e}"));
            }
        }
        listen_for_address_changes(&ctx, &inbox);
        PageLab {
            lab,
            inbox,
            ctx,
            address: fragment,
            address_at: f64::NEG_INFINITY,
            first_frame_ms: None,
            shown_status: String::new(),
            shown_title: String::new(),
        }
    }

    /// Hands what the page brought to the lab, as commands.
    fn take_inbox(&mut self) {
        let incoming: Vec<Incoming> = self.inbox.borrow_mut().drain(..).collect();
        for item in incoming {
            match item {
                Incoming::File { name, bytes } => self.open_file(name, bytes),
                Incoming::Address(fragment) => {
                    if fragment == self.address {
                        continue;
                    }
                    self.address = fragment.clone();
                    match Link::parse(&fragment) {
                        Ok(link) => follow(&mut self.lab, &link),
                        Err(e) => {
                            self.lab.open_error =
                                Some(format!("The address is not a lab link: {e}"))
                        }
                    }
                }
            }
        }
    }

    fn open_file(&mut self, name: String, bytes: Result<Vec<u8>, String>) {
        let seed = self.lab.picker.seed().unwrap_or(None);
        match bytes.map(String::from_utf8) {
            Ok(Ok(text)) => self.lab.push(Command::OpenText {
                path: PathBuf::from(name),
                text,
                seed,
            }),
            Ok(Err(e)) => {
                // Not UTF-8: the reader's own message, at the first bad byte.
                let message = match Scenario::from_bytes(&name, e.as_bytes()) {
                    Err(e) => e.to_string(),
                    Ok(_) => format!("{name}: error: not UTF-8 text"),
                };
                self.lab.open_error = Some(message);
            }
            Err(e) => {
                self.lab.open_error = Some(format!("{name}: error: cannot read the file: {e}"))
            }
        }
    }

    /// Reads files dropped on the page (asynchronously, as browsers do).
    fn take_dropped_files(&self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        for file in dropped {
            let inbox = self.inbox.clone();
            let ctx = self.ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = file
                    .path()
                    .file_name()
                    .map_or_else(|| "dropped.toml".into(), |n| n.to_string_lossy().into());
                let bytes = file.bytes_async().await;
                inbox.borrow_mut().push(Incoming::File { name, bytes });
                ctx.request_repaint();
            });
        }
    }

    /// Carries out what the lab asked of the page in this frame.
    fn after_frame(&mut self) {
        let now = now_ms();
        if self.first_frame_ms.is_none() {
            self.first_frame_ms = Some(now);
        }
        if let Some(web) = self.lab.web.as_mut() {
            for download in web.downloads.drain(..) {
                if let Err(e) = offer_download(&download.name, &download.text) {
                    self.lab.open_error = Some(format!(
                        "Cannot download {}: {}",
                        download.name,
                        js_text(&e)
                    ));
                }
            }
            if std::mem::take(&mut web.pick_file)
                && let Err(e) = ask_for_file(&self.inbox, &self.ctx)
            {
                self.lab.open_error = Some(format!("Cannot open a file dialog: {}", js_text(&e)));
            }
        }
        if self.lab.session.is_some() {
            let link = current_link(&self.lab).to_string();
            let due = !self.lab.playing || now - self.address_at >= ADDRESS_INTERVAL_MS;
            if link != self.address && due {
                set_address(&link);
                self.address = link;
                self.address_at = now;
            } else if link != self.address {
                // Come back to write it even if nothing else asks for a frame.
                self.ctx
                    .request_repaint_after(std::time::Duration::from_millis(1_000));
            }
        }
        let mut text = status(&self.lab);
        if let Some(ms) = self.first_frame_ms {
            text.push_str(&format!("\nfirst_frame_ms={ms:.0}"));
        }
        if text != self.shown_status {
            set_status(&text);
            self.shown_status = text;
        }
        let page_title = title(&self.lab);
        if page_title != self.shown_title {
            if let Some(d) = web_sys::window().and_then(|w| w.document()) {
                d.set_title(&page_title);
            }
            self.shown_title = page_title;
        }
    }
}

impl eframe::App for PageLab {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.take_inbox();
        self.take_dropped_files(ui.ctx());
        self.lab.frame_ui(ui);
        self.after_frame();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.lab.settings);
    }
}

/// Opens the last scenario (when the page has it), else the default one.
fn open_default(lab: &mut LabApp) {
    let remembered = lab.settings.last_scenario.clone().filter(|p| {
        lab.web
            .as_ref()
            .is_some_and(|w| w.library.is_shipped_as_is(p))
    });
    let path = remembered.unwrap_or_else(|| PathBuf::from(crate::DEFAULT_SCENARIO));
    lab.open(&path, None);
}

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

fn set_address(fragment: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(fragment));
    }
}

fn listen_for_address_changes(ctx: &egui::Context, inbox: &Inbox) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let inbox = inbox.clone();
    let ctx = ctx.clone();
    let on_change = Closure::<dyn FnMut()>::new(move || {
        inbox.borrow_mut().push(Incoming::Address(location_hash()));
        ctx.request_repaint();
    });
    let _ =
        window.add_event_listener_with_callback("hashchange", on_change.as_ref().unchecked_ref());
    // The listener lives as long as the page.
    on_change.forget();
}

/// Opens the browser's file dialog; the chosen file arrives in the inbox.
fn ask_for_file(inbox: &Inbox, ctx: &egui::Context) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let input: web_sys::HtmlInputElement = document.create_element("input")?.dyn_into()?;
    input.set_type("file");
    input.set_accept(".toml,text/plain,application/toml");
    let chosen = input.clone();
    let inbox = inbox.clone();
    let ctx = ctx.clone();
    let on_change = Closure::once_into_js(move || {
        let Some(file) = chosen.files().and_then(|files| files.get(0)) else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            let name = file.name();
            let bytes = JsFuture::from(file.array_buffer())
                .await
                .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
                .map_err(|e| js_text(&e));
            inbox.borrow_mut().push(Incoming::File { name, bytes });
            ctx.request_repaint();
        });
    });
    input.set_onchange(Some(on_change.unchecked_ref()));
    input.click();
    Ok(())
}

/// Hands `text` to the user as the file `name`.
fn offer_download(name: &str, text: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/toml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(
        Path::new(name)
            .file_name()
            .map_or(name, |n| n.to_str().unwrap_or(name)),
    );
    link.click();
    web_sys::Url::revoke_object_url(&url)
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn set_status(text: &str) {
    if let Some(e) = element(STATUS_ID) {
        e.set_text_content(Some(text));
    }
}

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Writes `text` into the page's message box and shows it over the lab.
fn show_message(text: &str) {
    if let Some(e) = element(MESSAGE_ID) {
        e.set_text_content(Some(text));
        let _ = e.set_attribute("class", "error");
        e.remove_attribute("hidden").ok();
    }
    if let Some(canvas) = element(CANVAS_ID) {
        let _ = canvas.set_attribute("hidden", "");
    }
    set_status(&format!("error={}", text.replace('\n', " ")));
}

fn hide_message() {
    if let Some(e) = element(MESSAGE_ID) {
        let _ = e.set_attribute("hidden", "");
    }
}

/// Checks every second whether the lab panicked, and says so in the page.
fn watch_for_panics(runner: eframe::WebRunner) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let reported = Rc::new(RefCell::new(false));
    let check = Closure::<dyn FnMut()>::new(move || {
        if runner.has_panicked() && !*reported.borrow() {
            *reported.borrow_mut() = true;
            let what = runner
                .panic_summary()
                .map_or_else(|| "unknown".to_string(), |p| p.message());
            show_message(&format!(
                "The lab stopped on an internal error (a bug in Faultline; please report it \
                 with this page's address):\n\n{what}"
            ));
        }
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
        check.as_ref().unchecked_ref(),
        1_000,
    );
    check.forget();
}

/// A JavaScript error or value in words.
fn js_text(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}
