//! A branch made in the lab replays through the command line: crash a node
//! and drop a message by clicking, save the branch with the lab's "Save as
//! scenario" button, then `faultline replay` and `faultline run` the file
//! with the built binary and compare fingerprints.

mod common;

use common::{assert_exit, faultline, field, root, scratch, stdout};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use faultline_gui::command::Command;
use faultline_gui::{LabApp, Settings};
use faultline_sim::{Fault, NodeId};

fn lab() -> Harness<'static, LabApp> {
    let mut app = LabApp::new(Settings::default(), root().join("scenarios"));
    app.open(&root().join("scenarios/gossip/basic.toml"), None);
    assert!(app.session.is_some(), "{:?}", app.open_error);
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut LabApp| app.frame_ui(ui), app);
    h.run();
    h
}

#[test]
fn a_branch_saved_in_the_lab_replays_to_its_fingerprint_through_the_cli() {
    let mut h = lab();
    h.state_mut().push(Command::Seek(600));
    h.run();
    h.get_by_label("node n1").click();
    h.run();
    h.get_by_label("Crash node").click();
    h.run();
    h.get_all_by_label("Drop")
        .next()
        .expect("a message in flight")
        .click();
    h.run();
    let schedule = h.state().session.as_ref().unwrap().handle.fault_schedule();
    assert!(
        schedule
            .iter()
            .any(|f| f.after_event == Some(600) && f.fault == Fault::Crash { node: NodeId(1) }),
        "{schedule:?}"
    );
    assert!(
        schedule
            .iter()
            .any(|f| matches!(f.fault, Fault::DropMessage { .. })),
        "{schedule:?}"
    );

    let path = scratch("lab_branch").join("branch.toml");
    h.state_mut().faults.save_path = path.display().to_string();
    h.run();
    h.get_by_label("💾 Save as scenario").click_accesskit();
    h.run();
    let notice = h.state().notice.clone().expect("the save reports back");
    assert!(!notice.error, "{}", notice.text);

    // The lab's own run of the branch, to its end.
    let lab_fingerprint = {
        let session = h.state_mut().session.as_mut().unwrap();
        session.seek(u64::MAX);
        format!("{:#018x}", session.handle.fingerprint())
    };
    assert!(notice.text.contains(&lab_fingerprint), "{}", notice.text);

    let file = path.display().to_string();
    let out = faultline(&["replay", &file]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert_eq!(
        field(&text, "fingerprint").as_deref(),
        Some(lab_fingerprint.as_str()),
        "{text}"
    );

    let out = faultline(&["run", &file]);
    assert_exit(&out, 0);
    assert_eq!(
        field(&stdout(&out), "fingerprint").as_deref(),
        Some(lab_fingerprint.as_str())
    );
}
