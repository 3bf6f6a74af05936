//! Quorum sizes, majority or flexible (Howard, Malkhi & Spiegelman,
//! "Flexible Paxos: Quorum intersection revisited", 2016).
//!
//! Classic Paxos uses majorities for both phases. Flexible Paxos observes
//! that safety needs only that *every phase-1 quorum meets every phase-2
//! quorum* (§3): with `n` acceptors and quorums of sizes `q1` and `q2`,
//! that holds exactly when `q1 + q2 > n`. A small `q2` makes the common
//! case (phase 2, every command) cheaper; the price is a large `q1` at
//! leader changes. Two phase-2 quorums need not meet: one value is chosen
//! per ballot, and phase 1 carries it forward.

use crate::algorithm::ParamError;

/// The quorum sizes in force for `acceptors` acceptors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quorums {
    /// Promises a proposer needs before phase 2.
    pub q1: usize,
    /// Acceptances that choose a value.
    pub q2: usize,
    /// The number of acceptors.
    pub acceptors: usize,
}

impl Quorums {
    /// A majority of `acceptors`.
    pub fn majority(acceptors: usize) -> usize {
        acceptors / 2 + 1
    }

    /// Resolves the configured sizes and checks them: each between 1 and
    /// the acceptors, and `q1 + q2 > acceptors`. With neither given, both
    /// are majorities; with one given, the other is the smallest size that
    /// still intersects it (`n - q + 1`). `disjoint` plants the bug variant
    /// of that name, an off-by-one in both derivations: a "majority" of
    /// `n / 2` (two of four acceptors) and a derived size of `n - q`, so
    /// the two quorums can miss each other; explicit sizes with
    /// `q1 + q2 <= n` are let through as well.
    pub fn resolve(
        doc: &str,
        q1: Option<u32>,
        q2: Option<u32>,
        acceptors: usize,
        disjoint: bool,
    ) -> Result<Quorums, ParamError> {
        let size = |key: &str, q: Option<u32>, other: Option<u32>| -> Result<usize, ParamError> {
            let Some(q) = q else {
                return Ok(match other {
                    None if disjoint => (acceptors / 2).max(1),
                    None => Quorums::majority(acceptors),
                    Some(o) if disjoint => acceptors.saturating_sub(o as usize).max(1),
                    Some(o) => (acceptors + 1).saturating_sub(o as usize).max(1),
                });
            };
            let q = q as usize;
            if q == 0 || q > acceptors {
                return Err(ParamError::at_key(
                    doc,
                    key,
                    format!(
                        "{key} is {q}, but a quorum must be between 1 and the {acceptors} acceptors"
                    ),
                ));
            }
            Ok(q)
        };
        let quorums = Quorums {
            q1: size("q1", q1, q2)?,
            q2: size("q2", q2, q1)?,
            acceptors,
        };
        if quorums.q1 + quorums.q2 <= acceptors && !disjoint {
            let key = if q2.is_some() { "q2" } else { "q1" };
            return Err(ParamError::at_key(
                doc,
                key,
                format!(
                    "q1 + q2 = {} + {} is not above the {acceptors} acceptors: a phase-1 quorum and a \
                     phase-2 quorum could miss each other, and two values could be chosen (Flexible Paxos §3); \
                     expected q1 + q2 > {acceptors} (or bug = \"non_intersecting_quorums\", which plants exactly this)",
                    quorums.q1, quorums.q2
                ),
            ));
        }
        Ok(quorums)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majorities_by_default_and_flexible_quorums_must_intersect() {
        let q = Quorums::resolve("", None, None, 5, false).unwrap();
        assert_eq!((q.q1, q.q2), (3, 3));
        let q = Quorums::resolve("", Some(4), Some(2), 5, false).unwrap();
        assert_eq!((q.q1, q.q2), (4, 2));
        // One size given: the other is the smallest that intersects it,
        // or one less with the bug.
        let q = Quorums::resolve("", None, Some(2), 5, false).unwrap();
        assert_eq!((q.q1, q.q2), (4, 2));
        let q = Quorums::resolve("", None, Some(2), 5, true).unwrap();
        assert_eq!((q.q1, q.q2), (3, 2));
        // The bug's "majority" of four acceptors is two.
        let q = Quorums::resolve("", None, None, 4, true).unwrap();
        assert_eq!((q.q1, q.q2), (2, 2));
        let q = Quorums::resolve("", None, None, 4, false).unwrap();
        assert_eq!((q.q1, q.q2), (3, 3));
        let doc = "[params]\nq1 = 3\nq2 = 2\n";
        let e = Quorums::resolve(doc, Some(3), Some(2), 5, false).unwrap_err();
        assert!(
            e.message.contains("3 + 2 is not above the 5 acceptors"),
            "{}",
            e.message
        );
        assert_eq!(&doc[e.span.unwrap()], "q2 = 2");
        assert!(Quorums::resolve(doc, Some(3), Some(2), 5, true).is_ok());
        let e = Quorums::resolve("", Some(6), None, 5, false).unwrap_err();
        assert!(e.message.contains("between 1 and the 5"), "{}", e.message);
    }
}
