//! Hand-built histories whose answers can be worked out on paper.

use faultline_checker::models::{CasRegister, KvModel, Register};
use faultline_checker::{
    Budget, KvInput, KvOutput, Model, Operation, Outcome, RegisterInput, RegisterOutput, Step,
    Verdict, check,
};

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

fn write(client: u64, value: i64, call: u64, ret: u64) -> RegisterOperation {
    Operation {
        client,
        input: RegisterInput::Write { value },
        call,
        outcome: Outcome::Ok(RegisterOutput::Written),
        ret: Some(ret),
    }
}

fn read(client: u64, value: Option<i64>, call: u64, ret: u64) -> RegisterOperation {
    Operation {
        client,
        input: RegisterInput::Read,
        call,
        outcome: Outcome::Ok(RegisterOutput::Value(value)),
        ret: Some(ret),
    }
}

fn unknown_write(client: u64, value: i64, call: u64) -> RegisterOperation {
    Operation {
        client,
        input: RegisterInput::Write { value },
        call,
        outcome: Outcome::Unknown,
        ret: None,
    }
}

fn verdict_of(history: &[RegisterOperation]) -> Verdict {
    check(&Register, history, Budget::unlimited()).verdict
}

#[test]
fn empty_history_is_linearizable() {
    assert_eq!(verdict_of(&[]), Verdict::Linearizable);
}

#[test]
fn stale_read_is_caught_and_explained() {
    let history = vec![
        write(1, 1, 0, 10),
        write(1, 2, 20, 30),
        read(2, Some(1), 40, 50),
    ];
    let result = check(&Register, &history, Budget::unlimited());
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    let failure = result.failure.expect("a failure report");
    assert_eq!(failure.partition, None);
    assert_eq!(failure.prefix_indices(), vec![0, 1]);
    assert_eq!(failure.state_after_prefix, "2");
    assert_eq!(failure.unplaced_indices(), vec![2]);
    assert_eq!(failure.unplaced[0].description, "read() -> 1");
    let text = check(&Register, &history, Budget::unlimited()).to_string();
    assert!(text.contains("NOT linearizable"), "{text}");
    assert!(text.contains("read() -> 1"), "{text}");
}

#[test]
fn concurrent_writes_may_take_effect_in_either_order() {
    // Two overlapping writes: a later read may see either, but not nil.
    for seen in [Some(1), Some(2)] {
        let history = vec![
            write(1, 1, 0, 50),
            write(2, 2, 10, 60),
            read(3, seen, 70, 80),
        ];
        assert_eq!(verdict_of(&history), Verdict::Linearizable, "read {seen:?}");
    }
    let history = vec![
        write(1, 1, 0, 50),
        write(2, 2, 10, 60),
        read(3, None, 70, 80),
    ];
    assert_eq!(verdict_of(&history), Verdict::NotLinearizable);
}

#[test]
fn a_read_concurrent_with_a_write_may_see_old_or_new() {
    for seen in [None, Some(7)] {
        let history = vec![write(1, 7, 0, 100), read(2, seen, 10, 20)];
        assert_eq!(verdict_of(&history), Verdict::Linearizable, "read {seen:?}");
    }
    // ...but once one read saw the new value, a later one cannot see the old.
    let history = vec![
        write(1, 7, 0, 100),
        read(2, Some(7), 10, 20),
        read(3, None, 30, 40),
    ];
    assert_eq!(verdict_of(&history), Verdict::NotLinearizable);
}

#[test]
fn unknown_write_may_or_may_not_take_effect() {
    let base = || vec![write(1, 1, 0, 10), unknown_write(2, 2, 20)];
    for seen in [Some(1), Some(2)] {
        let mut history = base();
        history.push(read(3, seen, 30, 40));
        assert_eq!(verdict_of(&history), Verdict::Linearizable, "read {seen:?}");
    }
    // It takes effect at most once: 2 then 1 again is impossible.
    let mut history = base();
    history.extend([read(3, Some(2), 30, 40), read(3, Some(1), 50, 60)]);
    assert_eq!(verdict_of(&history), Verdict::NotLinearizable);
    // It may take effect long after its invocation...
    let mut history = base();
    history.extend([read(3, Some(1), 30, 40), read(3, Some(2), 1_000, 1_001)]);
    assert_eq!(verdict_of(&history), Verdict::Linearizable);
    // ...but never before it.
    let mut history = base();
    history.push(read(3, Some(2), 12, 15));
    assert_eq!(verdict_of(&history), Verdict::NotLinearizable);
}

#[test]
fn failed_operations_are_ignored() {
    let failed = Operation {
        outcome: Outcome::Fail,
        ..write(1, 5, 0, 10)
    };
    assert_eq!(
        verdict_of(&[failed.clone(), read(2, None, 20, 30)]),
        Verdict::Linearizable
    );
    assert_eq!(
        verdict_of(&[failed, read(2, Some(5), 20, 30)]),
        Verdict::NotLinearizable
    );
}

#[test]
fn touching_intervals_count_as_concurrent() {
    // The write returns at 10 and the read is invoked at 10: same instant.
    assert_eq!(
        verdict_of(&[write(1, 1, 0, 10), read(2, None, 10, 20)]),
        Verdict::Linearizable
    );
    assert_eq!(
        verdict_of(&[write(1, 1, 0, 10), read(2, None, 11, 20)]),
        Verdict::NotLinearizable
    );
}

#[test]
fn every_operation_next_in_line_is_reported() {
    // Two stale reads, both invoked before either returns, then more work.
    let history = vec![
        write(1, 1, 0, 10),
        write(1, 2, 20, 30),
        read(2, Some(1), 40, 50),
        read(3, Some(1), 45, 55),
        write(1, 3, 60, 70),
    ];
    let failure = check(&Register, &history, Budget::unlimited())
        .failure
        .unwrap();
    assert_eq!(failure.prefix_indices(), vec![0, 1]);
    assert_eq!(failure.unplaced_indices(), vec![2, 3]);
}

#[test]
fn cas_register_follows_etcd_semantics() {
    let cas = |client, expected, new, swapped, call, ret| Operation {
        client,
        input: RegisterInput::Cas { expected, new },
        call,
        outcome: Outcome::Ok(RegisterOutput::Cas(swapped)),
        ret: Some(ret),
    };
    let ok = vec![
        write(1, 1, 0, 10),
        cas(2, 1, 5, true, 20, 30),
        cas(3, 1, 6, false, 40, 50),
        read(1, Some(5), 60, 70),
    ];
    assert_eq!(
        check(&CasRegister, &ok, Budget::unlimited()).verdict,
        Verdict::Linearizable
    );
    let bad = vec![write(1, 1, 0, 10), cas(3, 1, 6, false, 20, 30)];
    assert_eq!(
        check(&CasRegister, &bad, Budget::unlimited()).verdict,
        Verdict::NotLinearizable
    );
    // An unknown cas that cannot match changes nothing and is harmless.
    let unknown = Operation {
        outcome: Outcome::Unknown,
        ret: None,
        ..cas(2, 9, 4, true, 20, 0)
    };
    let history = vec![write(1, 1, 0, 10), unknown, read(3, Some(1), 40, 50)];
    assert_eq!(
        check(&CasRegister, &history, Budget::unlimited()).verdict,
        Verdict::Linearizable
    );
}

#[test]
fn kv_failure_names_the_key_and_other_keys_do_not_matter() {
    let op = |client, input: KvInput, output: KvOutput, call, ret| Operation {
        client,
        input,
        call,
        outcome: Outcome::Ok(output),
        ret: Some(ret),
    };
    let put = |key: &str, value: &str| KvInput::Put {
        key: key.into(),
        value: value.into(),
    };
    let get = |key: &str| KvInput::Get { key: key.into() };
    let seen = |value: &str| KvOutput::Value(Some(value.into()));
    let history = vec![
        op(1, put("a", "1"), KvOutput::Written, 0, 10),
        op(2, put("b", "1"), KvOutput::Written, 5, 15),
        op(1, get("b"), seen("1"), 20, 30),
        op(2, get("a"), seen(""), 25, 35),
    ];
    let result = check(&KvModel, &history, Budget::unlimited());
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    assert_eq!(result.stats.partitions, 2);
    let failure = result.failure.clone().unwrap();
    assert_eq!(failure.partition.as_deref(), Some("a"));
    assert_eq!(failure.unplaced_indices(), vec![3]);
    assert!(result.to_string().contains(r#"get("a") -> """#));
}

#[test]
fn a_step_budget_gives_an_honest_and_repeatable_unknown() {
    let mut history = Vec::new();
    for client in 0..12 {
        history.push(write(client, client as i64, 0, 1_000));
    }
    history.push(read(99, Some(-1), 2_000, 2_001));
    let first = check(&Register, &history, Budget::steps(50));
    assert!(matches!(first.verdict, Verdict::Unknown { .. }), "{first}");
    assert!(
        first.to_string().contains("step budget of 50 exhausted"),
        "{first}"
    );
    let again = check(&Register, &history, Budget::steps(50));
    assert_eq!(
        (first.verdict, first.stats.steps),
        (again.verdict, again.stats.steps)
    );
    // Given enough steps the answer is definite.
    assert_eq!(
        check(&Register, &history, Budget::unlimited()).verdict,
        Verdict::NotLinearizable
    );
}

#[test]
fn a_time_budget_of_zero_stops_at_once() {
    let history = vec![write(1, 1, 0, 10), read(2, Some(1), 20, 30)];
    let result = check(&Register, &history, Budget::time(std::time::Duration::ZERO));
    assert!(
        matches!(result.verdict, Verdict::Unknown { .. }),
        "{result}"
    );
}

/// A coin that lands on either side when flipped: a nondeterministic model.
struct Coin;

#[derive(Clone, Debug)]
enum CoinOp {
    Flip,
    Look,
}

impl Model for Coin {
    type State = u8;
    type Input = CoinOp;
    type Output = u8;

    fn init(&self) -> u8 {
        0
    }

    fn step(&self, state: &u8, input: &CoinOp, output: Option<&u8>) -> Step<u8> {
        match (input, output) {
            (CoinOp::Flip, _) => Step::OneOf(vec![0, 1]),
            (CoinOp::Look, Some(seen)) if seen != state => Step::Reject,
            (CoinOp::Look, _) => Step::To(*state),
        }
    }
}

#[test]
fn nondeterministic_steps_are_backtracked_through() {
    let op = |input, output, call, ret| Operation {
        client: 0,
        input,
        call,
        outcome: Outcome::Ok(output),
        ret: Some(ret),
    };
    // Heads first would fail the second look: the search must try tails.
    let history = vec![
        op(CoinOp::Flip, 0, 0, 10),
        op(CoinOp::Look, 1, 20, 30),
        op(CoinOp::Look, 1, 40, 50),
    ];
    assert_eq!(
        check(&Coin, &history, Budget::unlimited()).verdict,
        Verdict::Linearizable
    );
    let history = vec![
        op(CoinOp::Flip, 0, 0, 10),
        op(CoinOp::Look, 1, 20, 30),
        op(CoinOp::Look, 0, 40, 50),
    ];
    assert_eq!(
        check(&Coin, &history, Budget::unlimited()).verdict,
        Verdict::NotLinearizable
    );
}
