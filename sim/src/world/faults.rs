//! Applying faults to a running world: crashes and restarts, partitions,
//! clock changes, link changes and dropping a chosen message.

use super::*;

impl<P: Process> World<P> {
    pub(super) fn apply_fault(&mut self, fault: Fault) {
        self.state.stats.faults += 1;
        let now = self.state.now;
        let effective = match &fault {
            Fault::Partition { groups } => {
                self.state.network.partition(groups);
                true
            }
            Fault::PartitionOneWay { from, to } => {
                self.state.network.partition_one_way(from, to);
                true
            }
            Fault::Isolate { node } => {
                self.state.network.isolate(*node);
                true
            }
            Fault::Heal => {
                let any = self.state.network.any_cut();
                self.state.network.heal();
                any
            }
            Fault::Link { from, to, change } => {
                self.state.network.change_links(*from, *to, change);
                true
            }
            Fault::Crash { node } => {
                let slot = &mut self.state.nodes[node.index()];
                if slot.process.is_none() {
                    false
                } else {
                    slot.process = None;
                    slot.epoch += 1;
                    if let Some(load) = slot.load.as_mut() {
                        // The open operation stays in the history with unknown outcome.
                        load.outstanding = None;
                    }
                    true
                }
            }
            Fault::Restart { .. } => self.state.nodes[fault_node(&fault).index()]
                .process
                .is_none(),
            Fault::ClockOffset { node, offset } => {
                self.state.nodes[node.index()]
                    .clock
                    .set_offset(now, *offset);
                self.reschedule_timers(*node);
                true
            }
            Fault::ClockDrift { node, ppm } => {
                self.state.nodes[node.index()].clock.set_drift(now, *ppm);
                self.reschedule_timers(*node);
                true
            }
            Fault::ClockStep { node, delta } => {
                self.state.nodes[node.index()].clock.step(now, *delta);
                self.reschedule_timers(*node);
                true
            }
            Fault::DropMessage { message } => self.drop_in_flight(MsgId(*message)),
        };
        let restart = match (&fault, effective) {
            (Fault::Restart { node }, true) => Some(*node),
            _ => None,
        };
        self.record(
            RecordKind::Fault {
                fault: Box::new(fault),
                effective,
            },
            effective as u64,
        );
        if let Some(node) = restart {
            let slot = &mut self.state.nodes[node.index()];
            slot.process = Some((self.factory)(node, slot.kind, &slot.durable));
            self.start_node(node);
        }
    }

    /// Moves a node's pending timers to the true time at which its changed
    /// clock reaches their local deadlines.
    pub(super) fn reschedule_timers(&mut self, node: NodeId) {
        let now = self.state.now;
        let clock = &self.state.nodes[node.index()].clock;
        self.state.queue.retime(|_, event| match event {
            Event::Timer {
                node: owner,
                deadline,
                ..
            } if *owner == node => Some(clock.true_time_of(*deadline, now)),
            _ => None,
        });
    }

    pub(super) fn drop_in_flight(&mut self, id: MsgId) -> bool {
        let dropped = self
            .state
            .queue
            .remove_first(|e| matches!(e, Event::Deliver { msg_id, .. } if *msg_id == id));
        match dropped {
            Some(Event::Deliver {
                msg_id,
                from,
                to,
                sent_at,
                ..
            }) => {
                self.count_drop(DropReason::Injected);
                self.record(
                    RecordKind::Drop {
                        msg: msg_id,
                        from,
                        to,
                        sent_at,
                        reason: DropReason::Injected,
                    },
                    0,
                );
                true
            }
            _ => false,
        }
    }
}

pub(super) fn fault_node(fault: &Fault) -> NodeId {
    fault.nodes()[0]
}

/// Checks that a fault names only existing nodes and sane values.
pub fn validate_fault(fault: &Fault, nodes: u32) -> Result<(), ConfigError> {
    for node in fault.nodes() {
        if node.0 >= nodes {
            return Err(ConfigError::NodeOutOfRange {
                fault: fault.to_string(),
                node,
                last: nodes.saturating_sub(1),
            });
        }
    }
    let max_jump = crate::limits::MAX_CLOCK_JUMP_NANOS;
    match fault {
        Fault::Link { change, .. } => change.validate().map_err(ConfigError::Invalid),
        Fault::ClockDrift { ppm, .. }
            if ppm.unsigned_abs() > crate::clock::MAX_DRIFT_PPM.unsigned_abs() =>
        {
            Err(ConfigError::Invalid(format!(
                "clock drift of {ppm}ppm is outside ±{}ppm",
                crate::clock::MAX_DRIFT_PPM
            )))
        }
        Fault::ClockOffset { offset: jump, .. } | Fault::ClockStep { delta: jump, .. }
            if jump.unsigned_abs() > max_jump.unsigned_abs() =>
        {
            Err(ConfigError::Invalid(format!(
                "a clock jump of {} is outside ±{} (365 days)",
                crate::time::format_nanos(*jump as i128),
                crate::time::format_nanos(max_jump as i128)
            )))
        }
        _ => Ok(()),
    }
}
