//! The browser lab's behaviour, driven on the desktop: links in and out,
//! files brought in, errors as the command line prints them, downloads
//! that replay.

use super::*;
use crate::app::Settings;
use faultline_algorithms::scenario::Scenario;
use std::path::Path;

fn browser_lab() -> LabApp {
    LabApp::new_in_browser(Settings::default())
}

fn settle(lab: &mut LabApp) {
    lab.apply_queued();
}

/// The fingerprint and outcome of `faultline run FILE --seed N`.
fn cli_fingerprint(file: &str, text: &str, seed: u64) -> u64 {
    let scenario = Scenario::parse(file, text).unwrap();
    let mut config = scenario.world_config(seed, faultline_sim::TraceMode::Fingerprint);
    config.snapshot_every = 0;
    let mut handle = scenario.build_with(config).unwrap();
    handle.run();
    scenario.evaluate(handle.as_ref(), seed).fingerprint
}

#[test]
fn a_link_lands_on_the_scenario_seed_and_event_and_the_address_follows() {
    let mut lab = browser_lab();
    let link = Link::parse("#scenario=raft/leader-crash&seed=3&event=120").unwrap();
    follow(&mut lab, &link);
    settle(&mut lab);
    let s = lab.session.as_ref().expect("opened");
    assert_eq!(s.path, Path::new("scenarios/raft/leader-crash.toml"));
    assert_eq!((s.seed, s.cursor()), (3, 120));
    assert_eq!(current_link(&lab), link);
    assert!(status(&lab).contains("link=raft/leader-crash\nseed=3\nevent=120\n"));
    assert_eq!(
        title(&lab),
        format!("{} (seed 3) · Faultline lab", s.scenario.name)
    );
    // Playing leaves the event out of the address.
    lab.playing = true;
    assert_eq!(
        current_link(&lab).to_string(),
        "#scenario=raft/leader-crash&seed=3"
    );
}

#[test]
fn run_to_end_gives_the_command_lines_fingerprint() {
    let mut lab = browser_lab();
    follow(
        &mut lab,
        &Link::parse("#scenario=gossip/basic&seed=7&run=end").unwrap(),
    );
    settle(&mut lab);
    let s = lab.session.as_ref().unwrap();
    assert!(!s.handle.status().is_running());
    let path = "scenarios/gossip/basic.toml";
    let expected = cli_fingerprint(path, library::shipped_text(Path::new(path)).unwrap(), 7);
    assert_eq!(s.handle.fingerprint(), expected);
    assert!(status(&lab).contains(&format!("fingerprint={}", format_fingerprint(expected))));
}

#[test]
fn a_link_to_something_the_page_lacks_says_why() {
    let mut lab = browser_lab();
    follow(&mut lab, &Link::parse("#scenario=raft/nope").unwrap());
    assert!(lab.session.is_none());
    assert!(lab.open_error.as_deref().unwrap().contains("`raft/nope`"));
    follow(&mut lab, &Link::parse("#file=mine.toml").unwrap());
    assert!(
        lab.open_error
            .as_deref()
            .unwrap()
            .contains("cannot carry it")
    );
}

#[test]
fn a_bad_file_gets_the_command_lines_error_and_opens_in_the_editor() {
    let mut lab = browser_lab();
    let text = "name = \"x\"\nalgorithm = \"gossip\"\nservers = \"three\"\n";
    lab.apply(Command::OpenText {
        path: "bad.toml".into(),
        text: text.into(),
        seed: None,
    });
    let cli = Scenario::parse("bad.toml", text).unwrap_err().to_string();
    assert!(cli.starts_with("bad.toml:3:"), "{cli}");
    assert_eq!(lab.open_error.as_deref(), Some(cli.as_str()));
    let web = lab.web.as_mut().unwrap();
    assert!(web.editor.open);
    assert_eq!(web.editor.text, text);
    assert!(status(&lab).contains(&format!("error={cli}")));
}

#[test]
fn a_users_file_opens_reloads_and_is_listed_but_not_linked() {
    let mut lab = browser_lab();
    let text = library::shipped_text(Path::new("scenarios/gossip/basic.toml")).unwrap();
    let text = text.replace("name = \"Gossip basics\"", "name = \"My gossip\"");
    lab.apply(Command::OpenText {
        path: "mine.toml".into(),
        text,
        seed: Some(5),
    });
    assert_eq!(lab.open_error, None);
    assert_eq!(lab.session.as_ref().unwrap().scenario.name, "My gossip");
    assert!(
        lab.picker
            .entries
            .iter()
            .any(|e| e.shown == "your files/mine.toml")
    );
    lab.apply(Command::Reload { seed: Some(6) });
    assert_eq!(lab.session.as_ref().unwrap().seed, 6);
    assert_eq!(current_link(&lab).to_string(), "#file=mine.toml&seed=6");
}

#[test]
fn a_saved_branch_is_a_download_that_replays_to_its_fingerprint() {
    let mut lab = browser_lab();
    lab.open(Path::new("scenarios/gossip/basic.toml"), None);
    lab.apply(Command::Seek(300));
    lab.apply(Command::Inject(faultline_sim::Fault::Crash {
        node: faultline_sim::NodeId(1),
    }));
    assert_eq!(lab.faults.save_path, "basic-branch.toml");
    lab.apply(Command::SaveBranch(lab.faults.save_path.clone().into()));
    let web = lab.web.as_ref().unwrap();
    let [download] = web.downloads.as_slice() else {
        panic!("one download, got {:?}", web.downloads.len());
    };
    assert_eq!(download.name, "basic-branch.toml");
    let saved = Scenario::parse("basic-branch.toml", &download.text).unwrap();
    let replay = saved.replay.as_ref().expect("a replay file");
    assert_eq!(
        cli_fingerprint("basic-branch.toml", &download.text, saved.seed),
        replay.fingerprint
    );
    let notice = lab.notice.as_ref().unwrap();
    assert!(
        notice.text.contains("faultline replay basic-branch.toml"),
        "{}",
        notice.text
    );
}

#[test]
fn the_desktop_lab_has_none_of_this() {
    let mut lab = LabApp::new(Settings::default(), "scenarios".into());
    lab.apply(Command::Download {
        name: "x.toml".into(),
        text: String::new(),
    });
    assert!(lab.notice.as_ref().unwrap().error);
    assert!(lab.web.is_none());
    assert_eq!(current_link(&lab), Link::default());
}
