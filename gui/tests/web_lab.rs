//! The lab as it runs in a browser, driven on the desktop by label: the
//! picker's file buttons, the editor with an error at its line, opening
//! pasted text, and saving a branch as a download.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use faultline_algorithms::scenario::Scenario;
use faultline_gui::web::{Link, follow, library};
use faultline_gui::{LabApp, Settings};
use std::path::Path;

fn browser_lab() -> Harness<'static, LabApp> {
    let mut app = LabApp::new_in_browser(Settings::default());
    app.open(Path::new("scenarios/gossip/basic.toml"), None);
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut LabApp| app.frame_ui(ui), app);
    h.run();
    h
}

#[test]
fn pasted_text_shows_the_command_lines_error_then_opens_when_fixed() {
    let mut h = browser_lab();
    // No path field in a browser: a dialog and the editor instead.
    assert!(h.query_by_label("File").is_none());
    h.get_by_label("Open a file…").click();
    h.run();
    assert!(h.state().web.as_ref().unwrap().pick_file);
    h.get_by_label("Paste or edit…").click();
    h.run();
    h.get_by_label("Clear").click();
    h.run();
    let bad = "name = \"Mine\"\nalgorithm = \"gossip\"\nservers = \"three\"\n";
    h.get_by_label("Scenario text").focus();
    h.get_by_label("Scenario text").type_text(bad);
    h.run();
    let cli = Scenario::parse("pasted.toml", bad).unwrap_err().to_string();
    assert!(cli.starts_with("pasted.toml:3:"), "{cli}");
    h.get_by_label(&cli);

    let good = library::shipped_text(Path::new("scenarios/gossip/basic.toml"))
        .unwrap()
        .replace("name = \"Gossip basics\"", "name = \"Mine\"");
    h.state_mut().web.as_mut().unwrap().editor.text = good;
    h.run();
    h.get_by_label_contains("reads as \"Mine\"");
    h.get_by_label("▶ Open this text").click();
    h.run();
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.scenario.name, "Mine");
    assert_eq!(s.path, Path::new("pasted.toml"));
}

#[test]
fn a_link_lands_on_its_event_and_save_downloads_the_branch() {
    let mut h = browser_lab();
    follow(
        h.state_mut(),
        &Link::parse("#scenario=raft/leader-crash&seed=3&event=120").unwrap(),
    );
    h.run();
    assert_eq!(h.state().session.as_ref().unwrap().cursor(), 120);
    // The button is at the bottom of the side panel's scroll area.
    h.get_by_label("💾 Save as scenario").click_accesskit();
    h.run();
    let web = h.state().web.as_ref().unwrap();
    assert_eq!(web.downloads.len(), 1);
    assert_eq!(web.downloads[0].name, "leader-crash-branch.toml");
    h.get_by_label_contains("faultline replay leader-crash-branch.toml");
}
