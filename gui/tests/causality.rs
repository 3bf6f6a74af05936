//! Causal highlighting in the lab, used as a student would: click an event,
//! see what happened before and after it, list what was concurrent with it,
//! and ask why a violation happened. The relations the lab shows (found by
//! searches over the graph) are checked against vector clocks computed
//! here in one pass.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use faultline_gui::causal::Relation;
use faultline_gui::command::{Command, Selection};
use faultline_gui::{LabApp, Settings, text};
use faultline_sim::{CausalGraph, RecordKind, VectorClocks};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn lab(file: &str) -> Harness<'static, LabApp> {
    let mut app = LabApp::new(Settings::default(), repo().join("scenarios"));
    app.open(&repo().join("scenarios").join(file), None);
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut LabApp| app.frame_ui(ui), app);
    h.run();
    h
}

/// The graph and every step's clock of the lab's known run.
fn clocks(h: &Harness<'_, LabApp>) -> (CausalGraph, VectorClocks) {
    let s = h.state().session.as_ref().unwrap();
    let graph = CausalGraph::build(s.records(), s.node_count());
    let clocks = VectorClocks::new(&graph);
    (graph, clocks)
}

/// A delivery on n1 from n0 some way into the gossip run, its send, and
/// a record on n2 concurrent with it.
fn a_delivery_and_a_concurrent_event(h: &Harness<'_, LabApp>) -> (usize, usize, usize) {
    let s = h.state().session.as_ref().unwrap();
    let records = s.records();
    let (graph, clocks) = clocks(h);
    let step = |r: usize| graph.step_of(r).unwrap();
    for (d, r) in records.iter().enumerate().skip(100) {
        let RecordKind::Deliver { msg, from, to, .. } = r.kind else {
            continue;
        };
        if (from.0, to.0) != (0, 1) {
            continue;
        }
        let send = graph.send_record(msg).unwrap();
        let concurrent = (0..records.len()).find(|&c| {
            records[c].kind.nodes().0.is_some_and(|n| n.0 == 2)
                && clocks.concurrent(&graph, step(c), step(d))
        });
        if let Some(c) = concurrent {
            return (d, send, c);
        }
    }
    panic!("no delivery from n0 to n1 with a concurrent event on n2");
}

fn click_log_entry(h: &mut Harness<'_, LabApp>, record: usize) {
    let line = {
        let s = h.state().session.as_ref().unwrap();
        text::record(&s.records()[record])
    };
    h.get_by_label("Search").focus();
    h.get_by_label("Search").type_text(&line);
    h.run();
    h.get_by_label_contains(&line).click();
    h.run();
}

#[test]
fn clicking_a_delivery_lights_up_its_send_as_past_and_not_a_concurrent_event() {
    let mut h = lab("gossip/basic.toml");
    let (d, send, concurrent) = a_delivery_and_a_concurrent_event(&h);
    click_log_entry(&mut h, d);
    assert_eq!(h.state().selection, Selection::Record(d));
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.causal.relation(d), Some(Relation::Same));
    assert_eq!(s.causal.relation(send), Some(Relation::Past));
    assert_eq!(s.causal.relation(concurrent), Some(Relation::Concurrent));
    // The inspector shows the delivery's vector clock.
    let (graph, clocks) = clocks(&h);
    let expected: Vec<String> = clocks
        .get(graph.step_of(d).unwrap())
        .iter()
        .enumerate()
        .map(|(i, c)| format!("n{i}={c}"))
        .collect();
    h.get_by_label(&format!("vector clock: {}", expected.join(" ")));

    // Clicking the message's arrow in the space-time diagram selects the
    // message; it stands for its delivery, so the send is past again.
    let RecordKind::Deliver { msg, .. } = s.records()[d].kind else {
        unreachable!()
    };
    h.state_mut().push(Command::Select(Selection::Message(msg)));
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.causal.relation(send), Some(Relation::Past));
    assert_eq!(s.causal.relation(concurrent), Some(Relation::Concurrent));
    // And choosing nothing clears the highlight.
    h.state_mut().push(Command::Select(Selection::None));
    h.run();
    assert_eq!(
        h.state().session.as_ref().unwrap().causal.relation(send),
        None
    );
}

#[test]
fn the_concurrent_filter_lists_exactly_the_concurrent_events() {
    let mut h = lab("gossip/basic.toml");
    let (d, send, concurrent) = a_delivery_and_a_concurrent_event(&h);
    click_log_entry(&mut h, d);
    // Empty the search box (as selecting its text and deleting it would).
    h.state_mut().log.search.clear();
    h.run();
    assert!(
        h.state().log.search.is_empty(),
        "{:?}",
        h.state().log.search
    );
    h.get_by_label("Concurrent with selected").click();
    h.run();
    assert!(h.state().log.concurrent_only);
    let shown = {
        let app = h.state_mut();
        let s = app.session.as_ref().unwrap();
        app.log.shown_in(s).to_vec()
    };
    let (graph, clocks) = clocks(&h);
    let records = h.state().session.as_ref().unwrap().records().len();
    let focus = graph.step_of(d).unwrap();
    let expected: Vec<usize> = (0..records)
        .filter(|&r| clocks.concurrent(&graph, graph.step_of(r).unwrap(), focus))
        .collect();
    assert!(expected.contains(&concurrent) && !expected.contains(&send));
    assert!(expected.len() > 10, "{}", expected.len());
    assert_eq!(shown, expected);
    h.get_by_label(&format!("{} of {records} records", expected.len()));
}

#[test]
fn why_lists_the_crash_the_violation_depends_on() {
    let mut h = lab("bugs/gossip-volatile-store.toml");
    let (violation, crash) = {
        let s = h.state().session.as_ref().unwrap();
        let violation = s
            .index
            .violation
            .expect("the violation is in the known future");
        let crash = s
            .records()
            .iter()
            .position(|r| text::record(r) == "fault: crash n0")
            .expect("the scenario crashes n0");
        (violation, crash)
    };
    h.get_by_label("Why did this happen?").click();
    h.run();
    assert_eq!(h.state().selection, Selection::Record(violation));
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(Some(s.cursor()), s.violation_event());
    let focus = s.causal.focus.as_ref().expect("the violation is in focus");
    let why = focus.why.as_ref().expect("and explained");
    assert_eq!(why.faults, vec![crash]);
    assert_eq!(why.chain[0].record, violation);
    assert_eq!(s.causal.relation(crash), Some(Relation::Past));
    // The crash broke the invariant: it is also the step before the
    // violation on the chain.
    assert_eq!(why.chain[1].record, crash);
    // The fault is listed (among the faults and on the chain), and a click
    // goes to it.
    let crash_time = text::time(s.records()[crash].time);
    let line = format!("{crash_time}  fault: crash n0");
    assert_eq!(h.query_all_by_label(&line).count(), 2);
    h.query_all_by_label(&line).next().unwrap().click();
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.cursor(), s.records()[crash].event + 1);
}

/// A click on a message's arrow in the space-time diagram itself (at the
/// arrow's middle, found from the view's window and lane layout) selects
/// the message, and its send lights up as past.
#[test]
fn clicking_an_arrow_in_the_space_time_diagram_lights_up_its_send() {
    let mut h = lab("gossip/basic.toml");
    let (d, send, concurrent) = a_delivery_and_a_concurrent_event(&h);
    let (sent, arrived, from, to, msg) = {
        let s = h.state().session.as_ref().unwrap();
        let r = &s.records()[d];
        let RecordKind::Deliver {
            msg,
            from,
            to,
            sent_at,
        } = r.kind
        else {
            unreachable!()
        };
        (
            sent_at.as_nanos() as f64,
            r.time.as_nanos() as f64,
            from,
            to,
            msg,
        )
    };
    // A window of 20ms around the message, held still.
    {
        let view = &mut h.state_mut().spacetime;
        view.follow = false;
        view.start = sent - 10e6;
        view.span = 20e6;
    }
    h.run();
    let (a, b) = {
        let view = &h.state().spacetime;
        (
            view.point(sent, from).expect("drawn"),
            view.point(arrived, to).expect("drawn"),
        )
    };
    // A press and a release where the pointer rests: a click.
    let middle = a + (b - a) * 0.5;
    h.hover_at(middle);
    h.run();
    h.drag_at(middle);
    h.step();
    h.drop_at(middle);
    h.run();
    assert_eq!(h.state().selection, Selection::Message(msg));
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.causal.relation(d), Some(Relation::Same));
    assert_eq!(s.causal.relation(send), Some(Relation::Past));
    assert_eq!(s.causal.relation(concurrent), Some(Relation::Concurrent));
}
