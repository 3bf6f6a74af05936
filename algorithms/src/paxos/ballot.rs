//! Ballots (Lamport's "proposal numbers"): totally ordered, and unique per
//! proposer because each carries its proposer's id ("Paxos Made Simple",
//! §2.2: "different proposers choose their numbers from disjoint sets").

use faultline_sim::NodeId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A ballot: a round number, then the proposer that owns it. Ordered by
/// round first, so a proposer jumps ahead of another by taking a higher
/// round, and two proposers never share a ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ballot {
    /// The round.
    pub round: u64,
    /// The proposer that owns the ballot.
    pub proposer: NodeId,
}

impl Ballot {
    /// The ballot below every real one (round 0 is never used).
    pub const ZERO: Ballot = Ballot {
        round: 0,
        proposer: NodeId(0),
    };

    /// A ballot of `proposer` in `round`.
    pub fn new(round: u64, proposer: NodeId) -> Self {
        Ballot { round, proposer }
    }

    /// The smallest ballot of `proposer` above `seen`.
    pub fn above(seen: Ballot, proposer: NodeId) -> Self {
        Ballot::new(seen.round + 1, proposer)
    }
}

impl Default for Ballot {
    fn default() -> Self {
        Ballot::ZERO
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Ballot::ZERO {
            return f.write_str("-");
        }
        write!(f, "{}.{}", self.round, self.proposer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballots_order_by_round_then_proposer_and_never_collide() {
        let a = Ballot::new(3, NodeId(0));
        let b = Ballot::new(3, NodeId(2));
        assert!(a < b && b < Ballot::new(4, NodeId(0)));
        assert!(Ballot::above(b, NodeId(0)) > b);
        assert_ne!(Ballot::above(a, NodeId(1)), Ballot::above(a, NodeId(2)));
        assert_eq!(b.to_string(), "3.n2");
        assert!(Ballot::ZERO < Ballot::new(1, NodeId(0)));
    }
}
