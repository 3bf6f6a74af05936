//! Keyboard shortcuts: the one table the app, the help overlay and
//! `docs/gui.md` agree on.

use crate::command::{Command, NextKind};
use eframe::egui::{self, Key, Modifiers};

/// One shortcut: its keys as shown, and what it does.
pub struct Shortcut {
    /// The keys, as shown to people.
    pub keys: &'static str,
    /// What it does.
    pub action: &'static str,
}

/// Every shortcut, in the order the help overlay lists them.
pub const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        keys: "Space",
        action: "Play / pause",
    },
    Shortcut {
        keys: "Right arrow",
        action: "Step one event",
    },
    Shortcut {
        keys: "Left arrow",
        action: "Step back one event",
    },
    Shortcut {
        keys: "Shift+Right / Shift+Left",
        action: "Forward / back 100 events",
    },
    Shortcut {
        keys: "M",
        action: "Step to the next message delivery or drop",
    },
    Shortcut {
        keys: "F",
        action: "Step to the next fault",
    },
    Shortcut {
        keys: "Home / End",
        action: "Go to the start / the end of the known run",
    },
    Shortcut {
        keys: "V",
        action: "Jump to the violation",
    },
    Shortcut {
        keys: "+ / -",
        action: "Faster / slower playback",
    },
    Shortcut {
        keys: "X",
        action: "Crash (or restart) the selected node",
    },
    Shortcut {
        keys: "I",
        action: "Isolate the selected node",
    },
    Shortcut {
        keys: "H",
        action: "Heal every partition",
    },
    Shortcut {
        keys: "Del",
        action: "Drop the selected in-flight message",
    },
    Shortcut {
        keys: "Esc",
        action: "Clear the selection, close this help",
    },
    Shortcut {
        keys: "Ctrl+O",
        action: "Show / hide the scenario picker",
    },
    Shortcut {
        keys: "Ctrl+R",
        action: "Reload the scenario",
    },
    Shortcut {
        keys: "Ctrl+S",
        action: "Save the branch as a scenario",
    },
    Shortcut {
        keys: "F1 or ?",
        action: "Show / hide this help",
    },
];

/// Keys that need the app's state to turn into commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppKey {
    /// Crash or restart the selected node.
    CrashSelected,
    /// Isolate the selected node.
    IsolateSelected,
    /// Drop the selected message.
    DropSelected,
    /// Faster playback.
    Faster,
    /// Slower playback.
    Slower,
    /// Clear selection / close help.
    Escape,
    /// Toggle the picker.
    TogglePicker,
    /// Reload.
    Reload,
    /// Save the branch.
    Save,
}

/// Reads this frame's shortcuts. Nothing fires while a text field has focus.
pub fn read_shortcuts(ctx: &egui::Context) -> (Vec<Command>, Vec<AppKey>) {
    let mut commands = Vec::new();
    let mut keys = Vec::new();
    if ctx.egui_wants_keyboard_input() {
        return (commands, keys);
    }
    ctx.input_mut(|i| {
        let mut take = |m: Modifiers, k: Key| i.consume_key(m, k);
        if take(Modifiers::NONE, Key::Space) {
            commands.push(Command::TogglePlay);
        }
        if take(Modifiers::SHIFT, Key::ArrowRight) {
            commands.push(Command::SeekBy(100));
        }
        if take(Modifiers::SHIFT, Key::ArrowLeft) {
            commands.push(Command::SeekBy(-100));
        }
        if take(Modifiers::NONE, Key::ArrowRight) {
            commands.push(Command::StepEvent);
        }
        if take(Modifiers::NONE, Key::ArrowLeft) {
            commands.push(Command::StepBack);
        }
        if take(Modifiers::NONE, Key::M) {
            commands.push(Command::StepToNext(NextKind::Message));
        }
        if take(Modifiers::NONE, Key::F) {
            commands.push(Command::StepToNext(NextKind::Fault));
        }
        if take(Modifiers::NONE, Key::Home) {
            commands.push(Command::Seek(0));
        }
        if take(Modifiers::NONE, Key::End) {
            commands.push(Command::SeekEnd);
        }
        if take(Modifiers::NONE, Key::V) {
            commands.push(Command::JumpToViolation);
        }
        if take(Modifiers::NONE, Key::H) {
            commands.push(Command::Inject(faultline_sim::Fault::Heal));
        }
        if take(Modifiers::NONE, Key::F1)
            || take(Modifiers::SHIFT, Key::Questionmark)
            || take(Modifiers::NONE, Key::Questionmark)
        {
            commands.push(Command::ToggleHelp);
        }
        if take(Modifiers::NONE, Key::Plus)
            || take(Modifiers::NONE, Key::Equals)
            || take(Modifiers::SHIFT, Key::Equals)
        {
            keys.push(AppKey::Faster);
        }
        if take(Modifiers::NONE, Key::Minus) {
            keys.push(AppKey::Slower);
        }
        if take(Modifiers::NONE, Key::X) {
            keys.push(AppKey::CrashSelected);
        }
        if take(Modifiers::NONE, Key::I) {
            keys.push(AppKey::IsolateSelected);
        }
        if take(Modifiers::NONE, Key::Delete) || take(Modifiers::NONE, Key::Backspace) {
            keys.push(AppKey::DropSelected);
        }
        if take(Modifiers::NONE, Key::Escape) {
            keys.push(AppKey::Escape);
        }
        if take(Modifiers::COMMAND, Key::O) {
            keys.push(AppKey::TogglePicker);
        }
        if take(Modifiers::COMMAND, Key::R) {
            keys.push(AppKey::Reload);
        }
        if take(Modifiers::COMMAND, Key::S) {
            keys.push(AppKey::Save);
        }
    });
    (commands, keys)
}

/// The help overlay.
pub fn help_ui(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                for s in SHORTCUTS {
                    ui.monospace(s.keys);
                    ui.label(s.action);
                    ui.end_row();
                }
            });
            ui.separator();
            ui.label("Mouse: drag nodes to move them; right-click a node for faults; scroll the space-time diagram to zoom, drag it to pan; click anything to inspect it.");
        });
}
