//! Property tests: histories recorded from a random sequential run of a
//! key-value store stay linearizable however much their operations'
//! windows are widened, and stop being linearizable when one read returns a
//! stale value that no legal order could produce. The weak checkers
//! (`faultline_checker::weak`) raise no alarm on the linearizable ones.

use std::collections::BTreeMap;

use faultline_checker::models::KvModel;
use faultline_checker::weak::check_weak;
use faultline_checker::{Budget, KvInput, KvOutput, Operation, Outcome, Verdict, check};
use proptest::prelude::*;

type KvOperation = Operation<KvInput, KvOutput>;

/// Slot width of one operation in the sequential run: operation `i` is
/// invoked at `SLOT * i` and returns at `SLOT * i + SLOT / 2`.
const SLOT: u64 = 100;

/// A random operation to run: (kind, key, a coin used by some kinds).
type Plan = (u8, u8, bool);

fn plan() -> impl Strategy<Value = Plan> {
    (0u8..4, 0u8..3, any::<bool>())
}

/// Run `plans` one at a time against a map and record what a client would
/// have seen. Every written value carries the unique token `<i>`.
/// Also returns, per operation, the value of its key before and after.
fn sequential_run(plans: &[Plan]) -> (Vec<KvOperation>, Vec<(String, String)>) {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    let mut history = Vec::new();
    let mut values = Vec::new();
    for (i, &(kind, key, coin)) in plans.iter().enumerate() {
        let key = format!("k{key}");
        let token = format!("<{i}>");
        let before = map.get(&key).cloned().unwrap_or_default();
        let (input, output) = match kind {
            0 => {
                // The absent-equals-empty convention: an empty value may be
                // reported either way.
                let seen = if before.is_empty() && coin {
                    None
                } else {
                    Some(before.clone())
                };
                (KvInput::Get { key: key.clone() }, KvOutput::Value(seen))
            }
            1 => {
                map.insert(key.clone(), token.clone());
                (
                    KvInput::Put {
                        key: key.clone(),
                        value: token,
                    },
                    KvOutput::Written,
                )
            }
            2 => {
                map.insert(key.clone(), format!("{before}{token}"));
                (
                    KvInput::Append {
                        key: key.clone(),
                        value: token,
                    },
                    KvOutput::Written,
                )
            }
            _ => {
                // coin: expect the current value (swaps) or one never written.
                let expected = if coin {
                    (!before.is_empty()).then(|| before.clone())
                } else {
                    Some("<never>".into())
                };
                let swapped = coin;
                if swapped {
                    map.insert(key.clone(), token.clone());
                }
                (
                    KvInput::Cas {
                        key: key.clone(),
                        expected,
                        new: token,
                    },
                    KvOutput::Cas(swapped),
                )
            }
        };
        let after = map.get(&key).cloned().unwrap_or_default();
        let call = SLOT * i as u64;
        history.push(Operation {
            client: i as u64,
            input,
            call,
            outcome: Outcome::Ok(output),
            ret: Some(call + SLOT / 2),
        });
        values.push((before, after));
    }
    (history, values)
}

/// Widen every window by up to `widths[i]` slots on each side.
fn widen(history: &mut [KvOperation], widths: &[(u8, u8)]) {
    for (operation, &(early, late)) in history.iter_mut().zip(widths.iter().cycle()) {
        operation.call = operation.call.saturating_sub(u64::from(early) * SLOT / 3);
        operation.ret = operation.ret.map(|ret| ret + u64::from(late) * SLOT / 3);
    }
}

fn widths() -> impl Strategy<Value = Vec<(u8, u8)>> {
    prop::collection::vec((0u8..16, 0u8..16), 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn widened_sequential_runs_are_linearizable(
        plans in prop::collection::vec(plan(), 0..40),
        widths in widths(),
        unknown in prop::collection::vec(any::<bool>(), 1..40),
        failed_extra in prop::collection::vec((0u8..3, 0u64..4_000), 0..5),
    ) {
        let (mut history, _) = sequential_run(&plans);
        widen(&mut history, &widths);
        // Forgetting that a write returned leaves it free to take effect
        // later or never: the real order is still one of the choices.
        for (operation, &unknown) in history.iter_mut().zip(unknown.iter().cycle()) {
            if unknown && !matches!(operation.input, KvInput::Get { .. }) {
                operation.outcome = Outcome::Unknown;
                operation.ret = None;
            }
        }
        // Failed operations never happened, whatever they would have done.
        for (key, call) in failed_extra {
            history.push(Operation {
                client: 1_000,
                input: KvInput::Put { key: format!("k{key}"), value: "<failed>".into() },
                call,
                outcome: Outcome::Fail,
                ret: Some(call + 1),
            });
        }
        let result = check(&KvModel, &history, Budget::unlimited());
        prop_assert_eq!(&result.verdict, &Verdict::Linearizable, "{}", result);
        // Every weak guarantee follows from linearizability: no alarm, also
        // when three clients share the operations as sessions.
        let mut sessions = history.clone();
        for (i, operation) in sessions.iter_mut().enumerate() {
            operation.client = i as u64 % 3;
        }
        let weak = check_weak(&sessions);
        prop_assert!(weak.durability.lost.is_empty(), "{:?}", weak.durability);
        prop_assert!(weak.sessions.violations.is_empty(), "{:?}", weak.sessions);
        prop_assert!(weak.staleness.stale.is_empty(), "{:?}", weak.staleness);
    }

    #[test]
    fn a_stale_read_makes_the_history_not_linearizable(
        plans in prop::collection::vec(plan(), 0..40),
        widths in widths(),
        choice in any::<u64>(),
    ) {
        // Make sure at least one read follows a write of the same key.
        let mut plans = plans;
        plans.extend([(2, 0, false), (0, 0, false)]);
        let (mut history, values) = sequential_run(&plans);
        // Candidate (read, last state-changing op on its key before it).
        let mut candidates = Vec::new();
        for (p, operation) in history.iter().enumerate() {
            if let KvInput::Get { key } = &operation.input {
                let writer = (0..p).rev().find(|&q| history[q].input.key() == key && values[q].0 != values[q].1);
                if let Some(q) = writer {
                    candidates.push((p, q));
                }
            }
        }
        let (p, q) = candidates[(choice % candidates.len() as u64) as usize];
        let key = history[p].input.key().to_string();
        // Values the key held before op q; none contains q's token.
        let mut earlier: Vec<String> = (0..=q)
            .filter(|&i| history[i].input.key() == key)
            .map(|i| values[i].0.clone())
            .collect();
        earlier.sort();
        earlier.dedup();
        let stale = earlier[((choice >> 32) % earlier.len() as u64) as usize].clone();
        prop_assert_ne!(&stale, &values[p].1);
        history[p].outcome = Outcome::Ok(KvOutput::Value(Some(stale)));

        // Widen windows, but never across op q or the read: everything
        // before q ends before q starts, everything between them stays
        // between them, everything after the read starts after it ends.
        widen(&mut history, &widths);
        let slot = |i: usize| (SLOT * i as u64, SLOT * i as u64 + SLOT / 2);
        for (i, operation) in history.iter_mut().enumerate() {
            let ret = operation.ret.expect("completed");
            let (call, ret) = if i == q || i == p {
                slot(i)
            } else if i < q {
                (operation.call, ret.min(slot(q).0 - 1))
            } else if i < p {
                (operation.call.max(slot(q).1 + 1), ret.min(slot(p).0 - 1))
            } else {
                (operation.call.max(slot(p).1 + 1), ret)
            };
            operation.call = call;
            operation.ret = Some(ret);
        }
        let result = check(&KvModel, &history, Budget::unlimited());
        prop_assert_eq!(&result.verdict, &Verdict::NotLinearizable, "{}", result);
        let failure = result.failure.as_ref().expect("a failure report");
        prop_assert_eq!(failure.partition.as_deref(), Some(key.as_str()));
    }
}
