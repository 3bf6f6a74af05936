//! [`Fixed`]: a run's shared configuration inside a node's state, left out
//! of the state's hash.
//!
//! Exhaustive exploration tells states apart by the hash of every node
//! ([`Process`](faultline_sim::Process) is `Hash`). A node's parameters (an
//! `Arc` of the scenario's `[params]`, a quorum's ring) are the same in every
//! state of a run, so hashing them only costs time, and some of them hold
//! floats, which have no `Hash`. Wrapping such a field in `Fixed` lets the
//! node keep `#[derive(Hash)]`: every other field, present and future, is
//! hashed, and the one thing skipped is visibly marked as constant.
//!
//! Only ever wrap what cannot change during a run.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// Configuration shared by every node and constant for the whole run.
/// Reads like the `Arc<T>` it holds; its `Debug` is `T`'s; its `Hash` feeds
/// nothing, because it is the same in every state of the run.
pub struct Fixed<T>(pub Arc<T>);

impl<T> Fixed<T> {
    /// The shared value, as the `Arc` it is held in.
    pub fn arc(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T> Clone for Fixed<T> {
    fn clone(&self) -> Self {
        Fixed(Arc::clone(&self.0))
    }
}

impl<T> From<Arc<T>> for Fixed<T> {
    fn from(value: Arc<T>) -> Self {
        Fixed(value)
    }
}

impl<T> Deref for Fixed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Fixed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Constant for the run: contributes nothing to a state's hash.
impl<T> Hash for Fixed<T> {
    fn hash<H: Hasher>(&self, _state: &mut H) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_sim::hash::stable_hash;

    #[derive(Hash)]
    struct Node {
        params: Fixed<Vec<f64>>,
        term: u64,
    }

    #[test]
    fn a_node_hashes_its_state_and_not_its_configuration() {
        let a = Node {
            params: Fixed(Arc::new(vec![0.5])),
            term: 1,
        };
        let b = Node {
            params: Fixed(Arc::new(vec![0.25])),
            term: 1,
        };
        let c = Node {
            params: Fixed(Arc::new(vec![0.5])),
            term: 2,
        };
        assert_eq!(stable_hash(&a), stable_hash(&b));
        assert_ne!(stable_hash(&a), stable_hash(&c));
        assert_eq!(a.params[0], 0.5);
        assert_eq!(format!("{:?}", a.params), "[0.5]");
    }
}
