//! # faultline-sim: the deterministic kernel
//!
//! This crate owns simulated time, the event queue, nodes and their local
//! clocks, the network, faults, client histories, invariants, the trace with
//! its fingerprint, snapshots and seeking, and the object-safe
//! [`SimHandle`] through which tools drive a run. It knows nothing of any
//! particular algorithm.
//!
//! A run is a pure function of (algorithm, configuration, seed): all
//! randomness comes from derived ChaCha streams ([`rng`]), all time is
//! virtual ([`SimTime`]), collections iterate in a defined order, and there
//! are no threads inside a run. The fingerprint ([`World::fingerprint`])
//! checks that promise.
//!
//! ```
//! use faultline_sim::*;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! /// Every node pings the next one once a second.
//! #[derive(Clone, Debug, Hash)]
//! struct Ping { pongs: u64 }
//!
//! impl Process for Ping {
//!     type Msg = u64;
//!     type Timer = ();
//!     type Durable = ();
//!     type Family = NoOps; // no clients
//!     fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
//!         ctx.set_timer(Duration::from_secs(1), ());
//!     }
//!     fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, _from: NodeId, _msg: u64) {
//!         self.pongs += 1;
//!     }
//!     fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _timer: ()) {
//!         let next = NodeId((ctx.id().0 + 1) % ctx.server_count() as u32);
//!         ctx.send(next, self.pongs);
//!         ctx.set_timer(Duration::from_secs(1), ());
//!     }
//!     fn view(&self) -> NodeView { NodeView::new("pinger", format!("{} pongs", self.pongs)) }
//! }
//!
//! let config = WorldConfig { seed: 7, servers: 3, end: SimTime::from_duration(Duration::from_secs(5)), ..WorldConfig::default() };
//! let factory: Factory<Ping> = Arc::new(|_, _, _| Ping { pongs: 0 });
//! let mut world = World::new(config.clone(), factory.clone(), vec![]).unwrap();
//! assert_eq!(world.run(), &RunStatus::Finished);
//! let again = { let mut w = World::new(config, factory, vec![]).unwrap(); w.run(); w.fingerprint() };
//! assert_eq!(world.fingerprint(), again);
//! ```

pub mod causality;
pub mod clock;
pub mod explore;
pub mod family;
pub mod fault;
pub mod handle;
pub mod hash;
pub mod invariant;
pub mod limits;
pub mod monitor;
pub mod network;
pub mod observe;
pub mod process;
pub mod queue;
pub mod rng;
pub mod shrink;
#[cfg(feature = "proptest")]
pub mod strategies;
pub mod time;
pub mod topology;
pub mod trace;
pub mod workload;
pub mod world;

pub use causality::{CausalGraph, StepId, StepSet, VectorClocks, Why, WhyStep};
pub use clock::LocalClock;
pub use family::{NoOps, OpFamily};
pub use fault::{Fault, FaultSchedule, ScheduledFault};
pub use handle::{NodeInfo, OpStatus, OpText, OpTiming, SimHandle};
pub use invariant::{FnInvariant, Invariant, WorldRef, invariant_fn};
pub use monitor::TimeCheck;
pub use network::{DropReason, LatencyDist, LinkChange, LinkConfig, Network};
pub use observe::{Observable, ObservableKind, Report, ReportDoc};
pub use process::{
    Ctx, MsgId, NodeId, NodeKind, NodeView, OpId, OpInput, OpOf, OpOutput, Process, TimerId,
    ViewSection,
};
pub use rng::SimRng;
pub use time::{LocalTime, SimTime};
pub use trace::{RecordKind, TraceMode, TraceRecord};
pub use workload::{ClientGroup, Pin, WorkloadConfig};
pub use world::{
    AdversarySetup, Budgets, Choice, ConfigError, Factory, InFlight, RunStatus, Stats, Violation,
    World, WorldConfig,
};

pub use faultline_checker::{Operation, Outcome};
