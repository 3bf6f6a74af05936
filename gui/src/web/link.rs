//! Links to a moment of a run: the address's fragment names a shipped
//! scenario, a seed and an event, so that "this run, at this moment" can be
//! shared, bookmarked and opened again exactly there.
//!
//! ```text
//! #scenario=raft/leader-crash&seed=3&event=120
//! #scenario=raft/leader-crash&seed=3&run=end      run to the end on opening
//! #scenario=gossip/basic&play                     start playing
//! ```
//!
//! A fragment, not a query: it never reaches the server, so any static file
//! host serves every link, and changing it does not reload the page. A file
//! of the user's (opened from their disk or edited) cannot be named by a
//! link; its address says `file=NAME` so that opening it tells why.

use faultline_algorithms::scenario::parse_seed;
use std::fmt;

/// What an address says to open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// A shipped scenario's link name (`raft/leader-crash`).
    pub scenario: Option<String>,
    /// A user's file, named only to say it cannot be opened from a link.
    pub file: Option<String>,
    /// The seed (`None`: the scenario's own).
    pub seed: Option<u64>,
    /// The event to land on (`None`: the start).
    pub event: Option<u64>,
    /// Run the branch to its end on opening (`run=end`).
    pub run_to_end: bool,
    /// Start playing on opening (`play`).
    pub play: bool,
}

impl Link {
    /// Reads a fragment, with or without its leading `#`. An empty one is
    /// the empty link.
    pub fn parse(fragment: &str) -> Result<Link, String> {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        let mut link = Link::default();
        for pair in fragment.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            match key {
                "scenario" => link.scenario = Some(value),
                "file" => link.file = Some(value),
                "seed" => link.seed = Some(parse_seed(&value).map_err(|e| format!("seed: {e}"))?),
                "event" => {
                    link.event = Some(value.trim().parse().map_err(|_| {
                        format!("event: expected a whole number of events, found `{value}`")
                    })?)
                }
                "run" if value == "end" => link.run_to_end = true,
                "run" => return Err(format!("run: expected `end`, found `{value}`")),
                "play" => link.play = true,
                other => {
                    return Err(format!(
                        "unknown setting `{other}` (the address takes scenario, seed, event, \
                         run=end and play)"
                    ));
                }
            }
        }
        Ok(link)
    }
}

impl fmt::Display for Link {
    /// The fragment, with its `#` (just `#` for the empty link).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(s) = &self.scenario {
            parts.push(format!("scenario={}", encode(s)));
        }
        if let Some(s) = &self.file {
            parts.push(format!("file={}", encode(s)));
        }
        if let Some(seed) = self.seed {
            parts.push(format!("seed={seed}"));
        }
        if let Some(event) = self.event {
            parts.push(format!("event={event}"));
        }
        if self.run_to_end {
            parts.push("run=end".into());
        }
        if self.play {
            parts.push("play".into());
        }
        write!(f, "#{}", parts.join("&"))
    }
}

/// Percent-encodes all but letters, digits and `-._~/`.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Undoes [`encode`] (and `+` for a space); a malformed escape is kept as
/// it is.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back_what_it_wrote() {
        let link = Link {
            scenario: Some("raft/leader-crash".into()),
            seed: Some(3),
            event: Some(120),
            ..Link::default()
        };
        assert_eq!(
            link.to_string(),
            "#scenario=raft/leader-crash&seed=3&event=120"
        );
        assert_eq!(Link::parse(&link.to_string()), Ok(link));
        let mine = Link {
            file: Some("my file.toml".into()),
            run_to_end: true,
            play: true,
            ..Link::default()
        };
        assert_eq!(mine.to_string(), "#file=my%20file.toml&run=end&play");
        assert_eq!(Link::parse(&mine.to_string()), Ok(mine));
        assert_eq!(Link::parse(""), Ok(Link::default()));
        assert_eq!(Link::parse("#"), Ok(Link::default()));
    }

    #[test]
    fn a_bad_link_says_what_is_wrong() {
        let e = Link::parse("#scenario=x&seed=many").unwrap_err();
        assert!(e.starts_with("seed: "), "{e}");
        let e = Link::parse("#event=-1").unwrap_err();
        assert!(e.contains("whole number"), "{e}");
        let e = Link::parse("#colour=red").unwrap_err();
        assert!(e.contains("unknown setting `colour`"), "{e}");
        let e = Link::parse("#run=forever").unwrap_err();
        assert!(e.contains("expected `end`"), "{e}");
        // A broken escape is kept, not a panic.
        assert_eq!(
            Link::parse("#file=a%2").unwrap().file.as_deref(),
            Some("a%2")
        );
        assert_eq!(
            Link::parse("#file=%zz%").unwrap().file.as_deref(),
            Some("%zz%")
        );
    }
}
