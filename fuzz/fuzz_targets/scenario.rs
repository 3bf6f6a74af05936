//! libFuzzer target: any bytes given to the scenario loader are loaded (and
//! then run for a few thousand events) or refused with an error located at
//! `file:line:column`, never a panic or an abort. The same promise as
//! `tests/scenario_fuzz.rs`, for campaigns of hours with coverage guidance;
//! seed it with the shipped scenarios (docs/testing.md).

#![no_main]

use faultline_algorithms::scenario::Scenario;
use faultline_sim::TraceMode;
use libfuzzer_sys::fuzz_target;

/// Events a scenario that loads is run for.
const RUN_EVENTS: u64 = 2_000;

fuzz_target!(|data: &[u8]| {
    match Scenario::from_bytes("fuzz.toml", data) {
        Ok(scenario) => {
            let mut config = scenario.world_config(scenario.seed, TraceMode::Fingerprint);
            config.snapshot_every = 0;
            let mut handle = scenario
                .build_with(config)
                .expect("a scenario that loaded builds");
            handle.run_until_event(RUN_EVENTS);
        }
        Err(e) => assert!(
            e.location.is_some() && e.to_string().starts_with("fuzz.toml:"),
            "refused without a location: {e}"
        ),
    }
});
