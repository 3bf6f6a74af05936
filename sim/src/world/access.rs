//! Read-only views of a world: its clock, counters, nodes, history,
//! trace and messages in flight.

use super::*;

impl<P: Process> World<P> {
    /// The configuration.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// True time now.
    pub fn now(&self) -> SimTime {
        self.state.now
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.state.stats.events
    }

    /// The running fingerprint.
    pub fn fingerprint(&self) -> u64 {
        crate::trace::finish(self.state.fingerprint)
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.state.stats
    }

    /// Running, finished or violated.
    pub fn status(&self) -> &RunStatus {
        &self.state.status
    }

    /// The client history so far.
    pub fn history(&self) -> &[OpOf<P>] {
        &self.state.history
    }

    /// The operation family's workload settings in force: one per client
    /// group, or one for all.
    pub fn workloads(&self) -> &[<P::Family as OpFamily>::Workload] {
        &self.workloads
    }

    /// The stored trace records (empty unless the trace mode is full). In a
    /// world that was seeked backwards this runs past the cursor: the known
    /// future of the current branch.
    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }

    /// The payload of a message, when the trace mode is full.
    pub fn payload(&self, msg: MsgId) -> Option<&P::Msg> {
        self.payloads.get(msg.0 as usize)
    }

    /// The live process of a node (`None` while crashed).
    pub fn process(&self, id: NodeId) -> Option<&P> {
        self.state.nodes.get(id.index())?.process.as_ref()
    }

    /// The durable state of a node.
    pub fn durable(&self, id: NodeId) -> &P::Durable {
        &self.state.nodes[id.index()].durable
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.state.nodes.len()
    }

    /// Server or client.
    pub fn kind(&self, id: NodeId) -> NodeKind {
        self.state.nodes[id.index()].kind
    }

    /// The node's clock.
    pub fn clock(&self, id: NodeId) -> &LocalClock {
        &self.state.nodes[id.index()].clock
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.state.network
    }

    /// A node's view (a crashed node shows as `down`).
    pub fn view(&self, id: NodeId) -> NodeView {
        match self.process(id) {
            Some(p) => p.view(),
            None => NodeView::new("down", "crashed"),
        }
    }

    /// The invariants and their state.
    pub fn invariants(&self) -> impl Iterator<Item = &dyn Invariant<P>> {
        self.state.invariants.iter().map(|b| b.as_ref())
    }

    /// Every fault of this branch: the configured schedule plus injections.
    pub fn fault_schedule(&self) -> FaultSchedule {
        let mut all: FaultSchedule = self
            .config
            .faults
            .iter()
            .filter(|f| f.after_event.is_none())
            .cloned()
            .collect();
        all.extend(self.injections.iter().cloned());
        all.sort_by_key(|f| f.at);
        // Name the server each aimed fault hit, once it has applied.
        let mut used = vec![false; self.state.aimed.len()];
        for f in &mut all {
            let Fault::Aimed {
                role,
                chosen,
                action,
            } = &mut f.fault
            else {
                continue;
            };
            let found = self.state.aimed.iter().enumerate().position(|(i, r)| {
                !used[i] && r.at == f.at && &r.role == role && r.action == **action
            });
            if let Some(i) = found {
                used[i] = true;
                *chosen = self.state.aimed[i].chosen;
            }
        }
        all
    }

    /// Messages in flight now, in arrival order.
    pub fn in_flight(&self) -> Vec<InFlight> {
        let mut out: Vec<(u64, InFlight)> = self
            .state
            .queue
            .iter()
            .filter_map(|(time, seq, event)| match event {
                Event::Deliver {
                    msg_id,
                    from,
                    to,
                    sent_at,
                    ..
                } => Some((
                    seq,
                    InFlight {
                        msg: *msg_id,
                        from: *from,
                        to: *to,
                        sent_at: *sent_at,
                        deliver_at: time,
                    },
                )),
                _ => None,
            })
            .collect();
        out.sort_by_key(|(seq, f)| (f.deliver_at, *seq));
        out.into_iter().map(|(_, f)| f).collect()
    }

    /// The time of the next event, if the run can go on.
    pub fn next_time(&self) -> Option<SimTime> {
        if !self.state.status.is_running() {
            return None;
        }
        if self.next_injection().is_some() {
            return Some(self.state.now);
        }
        self.state
            .queue
            .peek_time()
            .filter(|&t| t <= self.config.end)
    }
}
