//! Commands: everything the UI may ask of the session. Panels never change
//! the run themselves; they push commands, and the app applies them at the
//! end of the frame, in order. The time cursor moves only here.

use faultline_sim::{Fault, MsgId, NodeId};
use std::path::PathBuf;

/// What a "step to next" looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextKind {
    /// The next delivery or drop of a message.
    Message,
    /// The next applied fault.
    Fault,
}

/// What is selected, for the inspector and highlights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    /// Nothing.
    #[default]
    None,
    /// A node.
    Node(NodeId),
    /// A message (in flight, delivered or dropped).
    Message(MsgId),
    /// A trace record, by index into the records.
    Record(usize),
    /// A client operation, by index into the history.
    Operation(usize),
}

/// One request from the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Open a scenario file with a seed (`None`: the file's own).
    Open {
        /// The file.
        path: PathBuf,
        /// The seed.
        seed: Option<u64>,
    },
    /// Open the current scenario again from disk, with the seed field's seed.
    Reload {
        /// The seed.
        seed: Option<u64>,
    },
    /// Start playing.
    Play,
    /// Stop playing.
    Pause,
    /// Play or pause.
    TogglePlay,
    /// Run one event.
    StepEvent,
    /// Go back one event.
    StepBack,
    /// Run until an event of this kind has run.
    StepToNext(NextKind),
    /// Move the cursor to after this many events.
    Seek(u64),
    /// Move the cursor by this many events (negative: back).
    SeekBy(i64),
    /// Move to the end of the known run.
    SeekEnd,
    /// Move to the violation, when one is known.
    JumpToViolation,
    /// Advance playback by this much wall time.
    Tick {
        /// Wall-clock seconds since the last frame.
        wall_seconds: f64,
    },
    /// Change the playback speed (log10 of simulated seconds per wall second).
    SetSpeed {
        /// log10(simulated seconds per wall second).
        log10: f64,
        /// As fast as possible.
        max: bool,
    },
    /// Select something.
    Select(Selection),
    /// Select a record and explain it: the faults and the chain of
    /// messages it depends on ("Why did this happen?").
    Why(usize),
    /// Apply a fault now (recorded in the branch).
    Inject(Fault),
    /// Write the branch as a scenario file.
    SaveBranch(PathBuf),
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Open scenario text that is not a file on disk (opened in a browser,
    /// pasted, edited); it is kept under `path` so that Reload finds it.
    OpenText {
        /// The name it is known by (in messages, the picker, downloads).
        path: PathBuf,
        /// The scenario file's text.
        text: String,
        /// The seed (`None`: the text's own).
        seed: Option<u64>,
    },
    /// Run the branch to its end (a link's `run=end`).
    RunToEnd,
    /// Hand a file to the user (a browser download).
    Download {
        /// The file's name.
        name: String,
        /// Its contents.
        text: String,
    },
    /// Ask the user for a scenario file from their disk (in a browser).
    PickFile,
    /// Show or hide the scenario editor (in a browser).
    ToggleEditor,
    /// Show or hide the guided tour's card (and its highlights).
    ToggleTour,
    /// Go to a tour step: the card shows it and the cursor moves to its
    /// anchor (when the branch reaches it).
    TourGo(usize),
    /// Play the current tour step again, from the previous step's anchor
    /// (or the start) to its own, and stop there.
    TourReplay,
    /// Go back to the tour from wherever the cursor is: to the last step
    /// at or before it.
    TourRejoin,
}
