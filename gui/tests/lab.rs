//! Interaction tests of the lab: widgets found by label, clicked and typed
//! into through AccessKit, as a student would use them.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use faultline_algorithms::scenario::{Scenario, replay};
use faultline_gui::command::Selection;
use faultline_gui::panels::cluster::server_sides;
use faultline_gui::{LabApp, Settings};
use faultline_sim::{Fault, NodeId, RunStatus};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenario(rel: &str) -> PathBuf {
    repo().join("scenarios").join(rel)
}

fn harness(app: LabApp) -> Harness<'static, LabApp> {
    Harness::builder()
        .with_size([1500.0, 950.0])
        // Following the cursor scrolls the log, which takes a few frames.
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut LabApp| app.frame_ui(ui), app)
}

/// A lab with nothing open.
fn empty_lab() -> Harness<'static, LabApp> {
    harness(LabApp::new(Settings::default(), repo().join("scenarios")))
}

/// A lab with the default gossip scenario open.
fn gossip_lab() -> Harness<'static, LabApp> {
    let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
    app.open(&scenario("gossip/basic.toml"), None);
    let mut h = harness(app);
    h.run();
    h
}

fn cursor(h: &Harness<'_, LabApp>) -> u64 {
    h.state()
        .session
        .as_ref()
        .expect("a scenario is open")
        .cursor()
}

#[test]
fn opens_a_scenario_by_path_and_shows_a_bad_one_without_crashing() {
    let mut h = empty_lab();
    h.run();
    h.get_by_label("File").focus();
    h.get_by_label("File")
        .type_text(&scenario("gossip/basic.toml").display().to_string());
    h.run();
    h.get_by_label("Open").click();
    h.run();
    let s = h.state().session.as_ref().expect("opened");
    assert_eq!(s.scenario.name, "Gossip basics");
    assert_eq!(s.cursor(), 0);

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\nalgorithm = \"gossip\"\nservers = \"three\"\n",
    )
    .unwrap();
    h.state_mut().picker.path_text = bad.display().to_string();
    h.run();
    h.get_by_label("Open").click();
    h.run();
    let error = h.state().open_error.clone().expect("an error is shown");
    assert!(error.contains("bad.toml:3:"), "{error}");
    h.get_by_label("Cannot open the scenario");
    // The run that was open is still there.
    assert_eq!(
        h.state().session.as_ref().unwrap().scenario.name,
        "Gossip basics"
    );
}

#[test]
fn the_picker_lists_scenarios_and_opens_one_with_a_seed() {
    let mut h = empty_lab();
    h.run();
    h.get_by_label("Seed").focus();
    h.get_by_label("Seed").type_text("7");
    h.run();
    // The list is longer than the panel: scroll the entry into view first,
    // as a student would.
    h.get_by_label_contains("crash-restart.toml").scroll_to_me();
    h.run();
    h.get_by_label_contains("crash-restart.toml").click();
    h.run();
    let s = h.state().session.as_ref().expect("opened");
    assert!(s.path.ends_with("gossip/crash-restart.toml"));
    assert_eq!(s.seed, 7);
}

#[test]
fn play_pause_step_and_seek_back_and_forward() {
    let mut h = gossip_lab();
    h.get_by_label("▶ Play").click();
    h.run_steps(20);
    assert!(h.state().playing);
    let played = cursor(&h);
    assert!(played > 0, "playing ran events");
    h.get_by_label("⏸ Pause").click();
    h.run();
    assert!(!h.state().playing);
    let paused = cursor(&h);
    h.run_steps(5);
    assert_eq!(cursor(&h), paused, "paused means paused");

    h.get_by_label("Step ▶").click();
    h.run();
    assert_eq!(cursor(&h), paused + 1);
    h.get_by_label("◀ Back").click();
    h.run();
    assert_eq!(cursor(&h), paused);

    // Forward 100 events with the keyboard, note the fingerprint, go back
    // to the start and forward again: the same state.
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.run();
    let target = paused + 100;
    assert_eq!(cursor(&h), target);
    let fingerprint = h.state().session.as_ref().unwrap().handle.fingerprint();
    h.key_press(egui::Key::Home);
    h.run();
    assert_eq!(cursor(&h), 0);
    h.get_by_label("Go to event")
        .set_value_accesskit(target as f64);
    h.run();
    assert_eq!(cursor(&h), target);
    assert_eq!(
        h.state().session.as_ref().unwrap().handle.fingerprint(),
        fingerprint
    );

    h.key_press(egui::Key::End);
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.handle.status(), &RunStatus::Finished);
}

#[test]
fn clicking_the_timeline_seeks_forward_and_back() {
    let mut h = gossip_lab();
    let horizon = h.state().session.as_ref().unwrap().horizon;
    // A click in the middle of the strip lands near the middle of the run.
    h.get_by_label("Timeline").click();
    h.run();
    let middle = cursor(&h);
    assert!(
        middle.abs_diff(horizon / 2) <= horizon / 50,
        "{middle} of {horizon}"
    );
    let fingerprint = h.state().session.as_ref().unwrap().handle.fingerprint();
    h.get_by_label("End ⏭").click();
    h.run();
    assert_eq!(cursor(&h), horizon);
    h.get_by_label("Timeline").click();
    h.run();
    assert_eq!(cursor(&h), middle, "back to the same event");
    assert_eq!(
        h.state().session.as_ref().unwrap().handle.fingerprint(),
        fingerprint,
        "and the same state"
    );
}

#[test]
fn clocks_skew_and_step_and_a_node_isolates_from_the_keyboard() {
    let mut h = gossip_lab();
    h.state_mut().faults.clock_node = 2;
    h.state_mut().faults.clock_ms = 250;
    h.run();
    h.get_by_label("Skew").click();
    h.run();
    let info = |h: &Harness<'_, LabApp>| {
        h.state()
            .session
            .as_ref()
            .unwrap()
            .handle
            .node_info(NodeId(2))
    };
    assert_eq!(info(&h).clock_offset_nanos, 250_000_000);
    h.get_by_label("Step").click();
    h.run();
    assert_eq!(info(&h).clock_offset_nanos, 500_000_000);

    h.get_by_label("node n1").click();
    h.run();
    h.key_press(egui::Key::I);
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(
        server_sides(s.handle.network(), 3),
        vec![vec![NodeId(0), NodeId(2)], vec![NodeId(1)]]
    );
    let injected: Vec<Fault> = s
        .handle
        .fault_schedule()
        .into_iter()
        .filter(|f| f.after_event.is_some())
        .map(|f| f.fault)
        .collect();
    assert_eq!(injected.len(), 3, "{injected:?}");
    assert_eq!(injected[2], Fault::Isolate { node: NodeId(1) });
}

#[test]
fn step_to_next_fault_reaches_the_scripted_partition() {
    let mut h = gossip_lab();
    h.get_by_label("Next fault").click();
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.handle.now().as_nanos(), 2_000_000_000);
    assert_eq!(server_sides(s.handle.network(), 3).len(), 2);
}

#[test]
fn crash_a_node_from_the_cluster_view() {
    let mut h = gossip_lab();
    h.state_mut()
        .push(faultline_gui::command::Command::Seek(300));
    h.run();
    h.get_by_label("node n1").click_secondary();
    h.run();
    h.get_by_label("Crash").click();
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert!(!s.handle.node_info(NodeId(1)).up, "n1 is down");
    assert!(
        s.handle
            .fault_schedule()
            .iter()
            .any(|f| f.after_event == Some(300) && f.fault == Fault::Crash { node: NodeId(1) }),
        "the crash is recorded at event 300"
    );
    // Select it and restart it from the inspector.
    h.get_by_label("node n1").click();
    h.run();
    assert_eq!(h.state().selection, Selection::Node(NodeId(1)));
    h.get_by_label("Restart node").click();
    h.run();
    assert!(
        h.state()
            .session
            .as_ref()
            .unwrap()
            .handle
            .node_info(NodeId(1))
            .up
    );
}

#[test]
fn nodes_can_be_dragged_in_the_cluster_view() {
    let mut h = gossip_lab();
    let before = h.state().cluster.position(1).expect("laid out");
    let from = h.get_by_label("node n1").rect().center();
    let to = from + egui::vec2(-60.0, 40.0);
    h.hover_at(from);
    h.run();
    h.drag_at(from);
    h.run();
    for k in 1..=6 {
        h.hover_at(from + (to - from) * (k as f32 / 6.0));
        h.run();
    }
    h.drop_at(to);
    h.run();
    let after = h.state().cluster.position(1).unwrap();
    assert!(
        after.x < before.x && after.y > before.y,
        "{before:?} -> {after:?}"
    );
    let moved_to = h.get_by_label("node n1").rect().center();
    assert!(moved_to.distance(to) < 3.0, "{moved_to:?} vs {to:?}");
}

#[test]
fn the_layout_holds_still_from_frame_to_frame() {
    for (file, node) in [
        ("gossip/basic.toml", "node n0"),
        ("hashing/scale-out.toml", "node n2"),
    ] {
        let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
        app.open(&scenario(file), None);
        let mut h = harness(app);
        h.run();
        h.get_by_label(node).click();
        h.run();
        let side = h.get_by_label("Checks").rect();
        let at = h.get_by_label(node).rect();
        h.run_steps(30);
        assert_eq!(
            h.get_by_label("Checks").rect(),
            side,
            "{file}: the side panel"
        );
        assert_eq!(h.get_by_label(node).rect(), at, "{file}: the cluster view");
    }
}

#[test]
fn draw_a_partition_with_the_node_menus_and_heal_it() {
    let mut h = gossip_lab();
    for (node, side) in [
        ("node n0", "Side A"),
        ("node n1", "Side B"),
        ("node n2", "Side B"),
    ] {
        h.get_by_label(node).click_secondary();
        h.run();
        h.get_by_label("Partition side").click();
        h.run();
        h.get_by_label(side).click();
        h.run();
    }
    h.get_by_label("✂ Cut").click();
    h.run();
    let network = h.state().session.as_ref().unwrap().handle.network().clone();
    assert!(network.is_cut(NodeId(0), NodeId(1)) && network.is_cut(NodeId(2), NodeId(0)));
    assert!(!network.is_cut(NodeId(1), NodeId(2)));
    assert_eq!(
        server_sides(&network, 3),
        vec![vec![NodeId(0)], vec![NodeId(1), NodeId(2)]]
    );
    assert!(h.state().draft.groups().is_none(), "the draft is spent");
    h.get_by_label("Heal").click();
    h.run();
    let network = h.state().session.as_ref().unwrap().handle.network().clone();
    assert_eq!(server_sides(&network, 3).len(), 1);
}

#[test]
fn save_as_scenario_replays_to_the_same_fingerprint() {
    let mut h = gossip_lab();
    h.state_mut()
        .push(faultline_gui::command::Command::Seek(400));
    h.run();
    h.get_by_label("node n2").click();
    h.run();
    h.get_by_label("Crash node").click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.run();
    h.get_by_label("Restart node").click();
    h.run();
    // Drop a message in flight, chosen from the list.
    let dropped = {
        let s = h.state().session.as_ref().unwrap();
        s.handle
            .in_flight()
            .first()
            .expect("messages in flight")
            .msg
    };
    // The list shows messages in arrival order: the first "Drop" is it.
    h.get_all_by_label("Drop").next().unwrap().click();
    h.run();
    assert!(
        h.state()
            .session
            .as_ref()
            .unwrap()
            .handle
            .fault_schedule()
            .iter()
            .any(|f| f.fault == Fault::DropMessage { message: dropped.0 }),
        "message #{} was dropped",
        dropped.0
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("branch.toml");
    h.state_mut().faults.save_path = path.display().to_string();
    h.run();
    // The button is at the bottom of the side panel's scroll area.
    h.get_by_label("💾 Save as scenario").click_accesskit();
    h.run();
    let notice = h.state().notice.clone().expect("a notice");
    assert!(!notice.error, "{}", notice.text);

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("after_event = 400"), "{text}");
    assert!(text.contains("kind = \"drop_message\""), "{text}");
    // Through the scenario loader, as `faultline replay` does.
    let saved = Scenario::load(&path).expect("the saved branch is a valid scenario");
    let report = saved.run_seed(saved.seed).unwrap();
    replay::verify(&saved, &report).expect("the branch replays to its fingerprint");
    // And the lab's own run of the branch, to its end, agrees.
    let lab_fingerprint = {
        let s = h.state_mut().session.as_mut().unwrap();
        s.seek(u64::MAX);
        s.handle.fingerprint()
    };
    assert_eq!(report.fingerprint, lab_fingerprint);
}

/// A lab with `file` open, played at Max speed by clicking until it stops
/// (or `frames` frames have passed).
fn played_flat_out(file: &Path, frames: u32) -> Harness<'static, LabApp> {
    let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
    app.open(file, None);
    // Through to the end: a guided tour would stop at each of its steps.
    if let Some(s) = app.session.as_mut() {
        s.tour.on = false;
    }
    let mut h = harness(app);
    h.run();
    h.get_by_label("Max").click();
    h.run();
    h.get_by_label("▶ Play").click();
    for _ in 0..frames {
        h.step();
        if !h.state().playing {
            break;
        }
    }
    h.run();
    h
}

#[test]
fn a_violation_stops_the_run_and_the_checks_panel_jumps_to_it() {
    let mut h = played_flat_out(&scenario("bugs/gossip-volatile-store.toml"), 200);
    let s = h.state().session.as_ref().unwrap();
    let RunStatus::Violated(v) = s.handle.status() else {
        panic!("the run stops on the violation: {:?}", s.handle.status());
    };
    let recorded = Scenario::load(&scenario("bugs/gossip-volatile-store.toml"))
        .unwrap()
        .replay
        .expect("a replay file");
    assert_eq!(v.invariant, "acked_values_survive");
    assert_eq!(Some(v.event), recorded.event);
    assert!(!h.state().playing);
    h.get_by_label("✖ INVARIANT VIOLATED");

    h.key_press(egui::Key::Home);
    h.run();
    assert_eq!(cursor(&h), 0);
    h.get_by_label("Jump to violation").click();
    h.run();
    assert_eq!(Some(cursor(&h)), recorded.event);
    let violations = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .records()
        .iter()
        .filter(|r| r.kind.name() == "violation")
        .count();
    assert_eq!(violations, 1, "re-running to the violation records it once");
    assert!(matches!(
        h.state().session.as_ref().unwrap().handle.status(),
        RunStatus::Violated(_)
    ));
}

/// Every minimised catch of the bug zoo, opened in the lab and played at
/// full speed, reproduces its recorded fingerprint, and the checks panel
/// shows the recorded outcome: an invariant stops the run on its event; a
/// history that is not linearizable is judged when the run has finished.
#[test]
fn the_bug_zoo_catches_replay_exactly_in_the_lab() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios/bugs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let recorded = Scenario::load(&file)
            .unwrap()
            .replay
            .expect("a replay file");
        let h = played_flat_out(&file, 5_000);
        let s = h.state().session.as_ref().unwrap();
        match s.handle.status() {
            RunStatus::Violated(v) => {
                assert_eq!(v.invariant, recorded.outcome, "{}", file.display());
                assert_eq!(Some(v.event), recorded.event, "{}", file.display());
            }
            RunStatus::Finished => {}
            other => panic!("{}: the run did not end: {other:?}", file.display()),
        }
        assert_eq!(
            s.handle.fingerprint(),
            recorded.fingerprint,
            "{}",
            file.display()
        );
        let outcome = format!(
            "outcome {} (expected {})",
            recorded.outcome, recorded.outcome
        );
        h.get_by_label_contains(&outcome);
    }
}

#[test]
fn the_event_log_filters_and_clicking_an_entry_seeks_to_it() {
    let mut h = gossip_lab();
    h.get_by_label("Search").focus();
    h.get_by_label("Search").type_text("fault: partition");
    h.run();
    let shown = {
        let app = h.state_mut();
        let records = app.session.as_ref().unwrap().records().to_vec();
        app.log.shown(&records).to_vec()
    };
    assert_eq!(shown.len(), 1, "one partition in the scenario");
    h.get_by_label_contains("fault: partition").click();
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.handle.now().as_nanos(), 2_000_000_000);
    assert_eq!(h.state().selection, Selection::Record(shown[0]));
}

#[test]
fn shortcuts_toggle_play_and_the_help_overlay() {
    let mut h = gossip_lab();
    h.key_press(egui::Key::Space);
    h.run_steps(3);
    assert!(h.state().playing);
    h.key_press(egui::Key::Space);
    h.run();
    assert!(!h.state().playing);
    h.key_press(egui::Key::F1);
    h.run();
    assert!(h.state().show_help);
    h.get_by_label("Keyboard shortcuts");
    let node = h.get_by_label_contains("Play / pause");
    assert!(node.accesskit_node().value().is_some() || node.accesskit_node().label().is_some());
}

#[test]
fn the_inspector_draws_protocol_sections() {
    let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
    app.open(&scenario("hashing/ring-join.toml"), None);
    assert!(app.session.is_some(), "{:?}", app.open_error);
    let mut h = harness(app);
    h.run();
    h.get_by_label("node n0").click();
    h.run();
    let view = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .handle
        .node_view(NodeId(0));
    let ring = view
        .sections
        .iter()
        .find_map(|s| match s {
            faultline_sim::ViewSection::Ring { positions, .. } => Some(positions.len()),
            _ => None,
        })
        .expect("a hash ring node shows its ring");
    h.get_by_label_contains(&format!("{ring} positions of n0"));
}

/// Operations of any family are shown in words: a Paxos client's
/// proposals in the inspector and the checks panel's verdict, a
/// Multi-Paxos server's log as a table.
#[test]
fn a_consensus_run_shows_its_proposals_and_a_paxos_log() {
    let mut h = played_flat_out(&scenario("paxos/one-proposer.toml"), 400);
    h.state_mut().apply(faultline_gui::command::Command::Pause);
    h.state_mut().apply(faultline_gui::command::Command::Select(
        Selection::Operation(0),
    ));
    h.run();
    h.get_by_label("consensus");
    let words = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .handle
        .describe_op(0)
        .expect("an operation");
    assert!(words.input.starts_with("propose "), "{words:?}");
    h.get_by_label(&words.input);
    h.get_by_label_contains("ok -> decided");
    h.get_by_label_contains("linearizable");
    // A server's acceptor table: slot 0, its ballot and the chosen value.
    let view = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .handle
        .node_view(NodeId(1));
    let rows = view
        .sections
        .iter()
        .find_map(|s| match s {
            faultline_sim::ViewSection::Table { title, rows, .. } if title == "acceptor" => {
                Some(rows.clone())
            }
            _ => None,
        })
        .expect("a Paxos server shows its acceptor table");
    assert_eq!(rows[0][3], "chosen (learned)", "{rows:?}");

    let mut session =
        faultline_gui::Session::open(&scenario("multi-paxos/stable-leader.toml"), None).unwrap();
    session.seek(3_000);
    let view = session.handle.node_view(NodeId(0));
    let log = view
        .sections
        .iter()
        .find_map(|s| match s {
            faultline_sim::ViewSection::Table { title, rows, .. } if title == "log" => Some(rows),
            _ => None,
        })
        .expect("a Multi-Paxos server shows its log");
    assert!(log.iter().any(|r| r[3] == "applied"), "{log:?}");
}

#[test]
fn the_storm_benchmark_scenario_has_5000_messages_in_flight() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/storm-50.toml");
    let mut session = faultline_gui::Session::open(&path, None).unwrap();
    session.seek(20_000);
    assert_eq!(session.node_count(), 50);
    assert_eq!(session.handle.in_flight().len(), 5_000);
}

#[test]
fn a_late_branch_saves_and_replays_through_the_loader() {
    let mut s = faultline_gui::Session::open(&scenario("gossip/basic.toml"), None).unwrap();
    s.seek(700);
    s.inject(Fault::Crash { node: NodeId(1) }).unwrap();
    s.seek(1200);
    s.inject(Fault::ClockStep {
        node: NodeId(0),
        delta: 300_000_000,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.toml");
    let saved = s.save_branch(&path).expect("saves");
    let loaded = Scenario::load(&path).expect("loads");
    let report = loaded.run_seed(loaded.seed).unwrap();
    replay::verify(&loaded, &report).expect("replays");
    assert_eq!(report.fingerprint, saved.fingerprint);
    s.seek(u64::MAX);
    assert_eq!(s.handle.fingerprint(), saved.fingerprint);
}

#[test]
fn a_folder_a_binary_file_and_a_missing_file_are_reported_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x9c]).unwrap();
    let missing = dir.path().join("missing.toml");
    let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
    for path in [dir.path(), binary.as_path(), missing.as_path()] {
        app.open(path, None);
        let error = app.open_error.clone().expect("an error");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(error.contains(&name), "{error}");
        assert!(app.session.is_none());
    }
}

/// The checks panel shows the weak checks a scenario names once the run has
/// ended, each marked as it held or failed, as `faultline run` prints them.
#[test]
fn the_checks_panel_shows_the_weak_checks_at_the_end() {
    let h = played_flat_out(&scenario("hashing/weak-lost-appends.toml"), 2_000);
    assert!(!h.state().playing, "the run reached its end");
    h.get_by_label_contains("✖ durability: ");
    h.get_by_label_contains("judged acknowledged writes lost");
    h.get_by_label_contains("outcome durability (expected durability)");
    let h = played_flat_out(&scenario("hashing/weak-sessions.toml"), 2_000);
    h.get_by_label_contains("✖ sessions: violations over");
}

#[test]
fn an_explored_path_lists_its_steps_and_a_click_goes_to_one() {
    let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
    app.open(&scenario("explore/raft-forget-vote-path.toml"), None);
    let mut h = harness(app);
    h.run();
    h.get_by_label_contains("Explored path");
    h.get_by_label_contains("0 of 8 steps taken");
    h.get_by_label_contains("1. fire n0's timer Election");
    // Three servers start first (three events); step 3 ends at event 6.
    h.get_by_label_contains("3. deliver #2: n1 -> n0 RequestVoteReply")
        .click();
    h.run();
    assert_eq!(cursor(&h), 6);
    h.get_by_label_contains("3 of 8 steps taken");
    // A file that is searched, not run, is refused with the command to use.
    let err =
        faultline_gui::session::Session::open(&scenario("explore/raft-forget-vote.toml"), None)
            .err()
            .expect("a search file does not open as a run");
    assert!(err.contains("faultline explore"), "{err}");
    // The last step is where the violation shows.
    h.get_by_label_contains("8. deliver #7").click();
    h.run();
    let session = h.state().session.as_ref().unwrap();
    assert!(
        matches!(session.handle.status(), RunStatus::Violated(v) if v.invariant == "election_safety"),
        "{:?}",
        session.handle.status()
    );
}

/// The lab on `raft/initial-election.toml`, whose tour has five steps.
fn toured_lab() -> (Harness<'static, LabApp>, Vec<u64>) {
    let file = scenario("raft/initial-election.toml");
    let anchors = Scenario::load(&file).unwrap().tour_anchors().unwrap();
    let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
    app.open(&file, None);
    let mut h = harness(app);
    h.run();
    (h, anchors)
}

fn tour_step(h: &Harness<'_, LabApp>) -> usize {
    h.state().session.as_ref().unwrap().tour.step
}

#[test]
fn the_tour_card_steps_forward_and_back_and_rejoins_after_a_scrub() {
    let (mut h, anchors) = toured_lab();
    assert_eq!(anchors.len(), 5);
    // The card opens on the first step; the run is still at its start, so
    // the card offers to join.
    h.get_by_label("Tour · step 1 of 5");
    h.get_by_label("Five followers, no leader");
    h.get_by_label("Rejoin the tour").click();
    h.run();
    assert_eq!(cursor(&h), anchors[0]);

    h.get_by_label("Next ▶").click();
    h.run();
    assert_eq!((tour_step(&h), cursor(&h)), (1, anchors[1]));
    h.get_by_label("Tour · step 2 of 5");
    h.get_by_label("Next ▶").click();
    h.run();
    assert_eq!((tour_step(&h), cursor(&h)), (2, anchors[2]));
    h.get_by_label("◀ Previous").click();
    h.run();
    assert_eq!((tour_step(&h), cursor(&h)), (1, anchors[1]));

    // Scrub away past step 3; the card says so and rejoins at the last
    // step at or before the cursor.
    let away = anchors[2] + 1;
    assert!(away < anchors[3]);
    h.state_mut()
        .push(faultline_gui::command::Command::Seek(away));
    h.run();
    assert_eq!(tour_step(&h), 1, "a scrub does not move the card");
    h.get_by_label_contains("You are at event");
    h.get_by_label("Rejoin the tour").click();
    h.run();
    assert_eq!((tour_step(&h), cursor(&h)), (2, anchors[2]));
    assert!(h.query_by_label("Rejoin the tour").is_none());
}

#[test]
fn playing_a_tour_stops_at_each_step_and_replays_one() {
    let (mut h, anchors) = toured_lab();
    h.get_by_label("Rejoin the tour").click();
    h.run();
    h.get_by_label("▶ Play").click();
    // Playback stops by itself at the next step's anchor.
    for _ in 0..400 {
        h.run_steps(5);
        if !h.state().playing {
            break;
        }
    }
    assert!(!h.state().playing);
    h.run();
    assert_eq!((tour_step(&h), cursor(&h)), (1, anchors[1]));
    h.get_by_label("A candidate asks for votes");

    // Replay the step: back to the previous anchor, then play to this one.
    h.get_by_label("↺ Replay this step").click();
    h.run_steps(1);
    assert!(cursor(&h) < anchors[1]);
    for _ in 0..400 {
        h.run_steps(5);
        if !h.state().playing {
            break;
        }
    }
    assert_eq!((tour_step(&h), cursor(&h)), (1, anchors[1]));
}

#[test]
fn a_tour_step_highlights_its_log_entry_and_a_branch_keeps_the_tour() {
    let (mut h, anchors) = toured_lab();
    // Step 4 highlights log entry 1 (the leader's no-op) in the inspector.
    h.state_mut()
        .push(faultline_gui::command::Command::TourGo(3));
    h.run();
    assert_eq!(cursor(&h), anchors[3]);
    let leader = {
        let s = h.state().session.as_ref().unwrap();
        let i = s
            .handle
            .observables()
            .iter()
            .position(|o| o.name == "leader")
            .unwrap();
        (0..5)
            .map(NodeId)
            .find(|&n| s.handle.observe(n, i).is_some_and(|v| v > 0))
            .expect("a leader at step 4")
    };
    h.state_mut()
        .push(faultline_gui::command::Command::Select(Selection::Node(
            leader,
        )));
    h.run();
    h.get_by_label_contains("(tour)");
    // Closing the tour removes the highlight.
    h.get_by_label("Close").click();
    h.run();
    assert!(h.query_by_label_contains("(tour)").is_none());
    h.get_by_label("Tour").click();
    h.run();
    h.get_by_label_contains("(tour)");

    // Crash the leader mid-tour: the branch keeps its tour, resolved again
    // on the branch (its last step, a client reply, still comes).
    h.state_mut()
        .push(faultline_gui::command::Command::Inject(Fault::Crash {
            node: leader,
        }));
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert!(s.tour.on);
    assert_eq!(s.tour.anchors.len(), 5);
    assert_eq!(
        s.tour.anchor(3),
        Some(anchors[3]),
        "before the branch point"
    );
    h.get_by_label("Next ▶").click();
    h.run();
    assert_eq!(tour_step(&h), 4);
    h.get_by_label("Clients find the leader");
}

#[test]
fn the_picker_leads_with_lessons_and_puts_the_bug_zoo_last() {
    let mut h = empty_lab();
    h.run();
    let entries = &h.state().picker.entries;
    let first_bug = entries
        .iter()
        .position(|e| e.shown.starts_with("bugs/"))
        .unwrap();
    assert!(
        entries[first_bug..]
            .iter()
            .all(|e| e.shown.starts_with("bugs/"))
    );
    assert!(
        entries[0].shown.starts_with("raft/"),
        "{}",
        entries[0].shown
    );
    assert!(
        entries[0].tour > 0,
        "a toured lesson first: {}",
        entries[0].shown
    );
    // Within a folder, bug variants come after the lesson's own files.
    let raft: Vec<&str> = entries
        .iter()
        .filter(|e| e.shown.starts_with("raft/"))
        .map(|e| e.shown.as_str())
        .collect();
    let first_bug = raft.iter().position(|s| s.contains("/bug-")).unwrap();
    assert!(
        raft[first_bug..].iter().all(|s| s.contains("/bug-")),
        "{raft:?}"
    );
    h.get_by_label_contains("initial-election.toml · tour, 5 steps");
}

#[test]
fn a_topology_lays_the_servers_out_by_region() {
    let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
    app.open(&scenario("raft/region-cut-off.toml"), None);
    let mut h = harness(app);
    h.run();
    let regions: Vec<Vec<usize>> = vec![vec![0, 1], vec![2, 3], vec![4]];
    let at = |i: usize| h.state().cluster.position(i).expect("laid out");
    let mut widest_inside = 0.0f32;
    let mut closest_across = f32::MAX;
    for (r, members) in regions.iter().enumerate() {
        for &a in members {
            for &b in members {
                widest_inside = widest_inside.max(at(a).distance(at(b)));
            }
            for other in regions.iter().skip(r + 1) {
                for &b in other {
                    closest_across = closest_across.min(at(a).distance(at(b)));
                }
            }
        }
    }
    assert!(
        widest_inside * 1.2 < closest_across,
        "a region's servers should sit together: {widest_inside} inside, {closest_across} across"
    );
    // The clients keep their row beneath.
    assert!(at(5).y > at(0).y && at(6).y > at(4).y);
}
