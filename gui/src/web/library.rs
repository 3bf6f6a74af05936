//! The scenario files of a lab without a file system: every shipped
//! scenario, embedded at build time (`gui/build.rs`), and the files the user
//! brought in — opened from their disk, pasted, or edited in the page — kept
//! in memory under the name they were given.
//!
//! Shipped files are named as from the repository root
//! (`scenarios/raft/leader-crash.toml`), so an error in one reads exactly as
//! `faultline run scenarios/raft/leader-crash.toml` prints it. Links name
//! them shorter: `raft/leader-crash`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/shipped_scenarios.rs"));

/// The folder the shipped scenarios are named under.
pub const SHIPPED_DIR: &str = "scenarios";

/// Embedded scenarios and the user's own files.
#[derive(Clone, Debug, Default)]
pub struct Library {
    /// The user's files by name; a name may hide a shipped file (an edit).
    user: BTreeMap<PathBuf, String>,
}

impl Library {
    /// The shipped scenarios and nothing of the user's yet.
    pub fn shipped() -> Self {
        Library::default()
    }

    /// The text of a file: the user's version first, else the shipped one.
    pub fn get(&self, path: &Path) -> Option<&str> {
        self.user
            .get(path)
            .map(String::as_str)
            .or_else(|| shipped_text(path))
    }

    /// Keeps a file of the user's (replacing one of the same name).
    pub fn insert(&mut self, path: PathBuf, text: String) {
        self.user.insert(path, text);
    }

    /// Whether `path` is shipped and unedited: a link can name it.
    pub fn is_shipped_as_is(&self, path: &Path) -> bool {
        match (shipped_text(path), self.user.get(path)) {
            (Some(_), None) => true,
            (Some(shipped), Some(user)) => shipped == user,
            (None, _) => false,
        }
    }

    /// Every file, shipped ones first in path order, then the user's that
    /// are not edits of shipped ones.
    pub fn files(&self) -> Vec<(PathBuf, &str)> {
        let mut out: Vec<(PathBuf, &str)> = SHIPPED
            .iter()
            .map(|(path, _)| {
                let path = PathBuf::from(path);
                let text = self.get(&path).unwrap_or_default();
                (path, text)
            })
            .collect();
        for (path, text) in &self.user {
            if shipped_text(path).is_none() {
                out.push((path.clone(), text.as_str()));
            }
        }
        out
    }
}

/// The embedded text of a shipped scenario.
pub fn shipped_text(path: &Path) -> Option<&'static str> {
    let wanted = path.to_str()?;
    SHIPPED
        .binary_search_by(|(p, _)| (*p).cmp(wanted))
        .ok()
        .map(|i| SHIPPED[i].1)
}

/// A shipped scenario's name in links: `raft/leader-crash` for
/// `scenarios/raft/leader-crash.toml`. `None` for any other path.
pub fn link_name(path: &Path) -> Option<String> {
    let inner = path
        .to_str()?
        .strip_prefix(SHIPPED_DIR)?
        .strip_prefix('/')?;
    let name = inner.strip_suffix(".toml")?;
    shipped_text(path).map(|_| name.to_string())
}

/// The shipped scenario a link names (`raft/leader-crash`, with or without
/// the folder and the extension).
pub fn path_of_link_name(name: &str) -> Option<PathBuf> {
    let name = name.trim().trim_start_matches('/');
    let name = name.strip_prefix("scenarios/").unwrap_or(name);
    let name = name.strip_suffix(".toml").unwrap_or(name);
    let path = PathBuf::from(format!("{SHIPPED_DIR}/{name}.toml"));
    shipped_text(&path).map(|_| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_is_embedded_sorted_and_as_on_disk() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let on_disk = faultline_algorithms::scenario::scenario_files(&root.join(SHIPPED_DIR));
        assert_eq!(SHIPPED.len(), on_disk.len());
        assert!(SHIPPED.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
        for file in on_disk {
            let name = file
                .strip_prefix(&root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            let text = std::fs::read_to_string(&file).unwrap();
            assert_eq!(
                shipped_text(Path::new(&name)),
                Some(text.as_str()),
                "{name}"
            );
        }
    }

    #[test]
    fn link_names_round_trip_and_unknown_names_are_none() {
        let path = PathBuf::from("scenarios/raft/leader-crash.toml");
        assert_eq!(link_name(&path).as_deref(), Some("raft/leader-crash"));
        assert_eq!(path_of_link_name("raft/leader-crash"), Some(path.clone()));
        assert_eq!(
            path_of_link_name("scenarios/raft/leader-crash.toml"),
            Some(path)
        );
        assert_eq!(path_of_link_name("raft/no-such-thing"), None);
        assert_eq!(path_of_link_name("../Cargo"), None);
        assert_eq!(link_name(Path::new("mine.toml")), None);
    }

    #[test]
    fn a_users_edit_hides_the_shipped_text_and_is_no_longer_linkable() {
        let path = PathBuf::from("scenarios/gossip/basic.toml");
        let mut library = Library::shipped();
        assert!(library.is_shipped_as_is(&path));
        library.insert(path.clone(), "name = \"edited\"".into());
        assert_eq!(library.get(&path), Some("name = \"edited\""));
        assert!(!library.is_shipped_as_is(&path));
        library.insert(PathBuf::from("mine.toml"), "x".into());
        let files = library.files();
        assert_eq!(files.len(), SHIPPED.len() + 1);
        assert_eq!(files.last().unwrap().0, PathBuf::from("mine.toml"));
    }
}
