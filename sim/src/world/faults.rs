//! Applying faults to a running world: crashes and restarts, partitions,
//! clock changes, link changes and dropping a chosen message.

use super::*;

impl<P: Process> World<P> {
    pub(super) fn apply_fault(&mut self, fault: Fault) {
        self.state.stats.faults += 1;
        let now = self.state.now;
        let fault = match fault {
            Fault::Aimed { role, action, .. } => self.resolve_aimed(role, *action),
            other => other,
        };
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
            Fault::Reconnect { node } => self.state.network.reconnect(*node),
            // No server held the role.
            Fault::Aimed { .. } => false,
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
        self.fault_applied = effective.then(|| fault.kind_name());
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

    /// The fault `action` aimed at the holder of `role` now, recorded so
    /// the applied schedule names the node; the aimed fault itself when no
    /// server holds the role.
    fn resolve_aimed(&mut self, role: String, action: Fault) -> Fault {
        let holder = role_holder(&self.state.nodes, self.config.servers, &role);
        self.state.aimed.push(Resolution {
            at: self.state.now,
            role: role.clone(),
            action: action.clone(),
            chosen: holder,
        });
        match holder.and_then(|n| action.with_node(n)) {
            Some(concrete) => concrete,
            None => Fault::Aimed {
                role,
                chosen: None,
                action: Box::new(action),
            },
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

/// Which server an aimed fault hit: kept in the run's state so the applied
/// schedule (summaries, replay files) names it.
#[derive(Clone, Debug)]
pub(crate) struct Resolution {
    pub at: SimTime,
    pub role: String,
    pub action: Fault,
    pub chosen: Option<NodeId>,
}

/// The live server holding `role` now: the highest value of the role's
/// observable, the lowest id on a tie; `None` when no server holds it.
pub(crate) fn role_holder<P: Process>(
    slots: &[NodeSlot<P>],
    servers: u32,
    role: &str,
) -> Option<NodeId> {
    if role == crate::fault::CRASHED {
        return (0..servers)
            .map(NodeId)
            .find(|id| slots[id.index()].process.is_none());
    }
    let index = P::OBSERVABLES
        .iter()
        .position(|o| o.name == role && o.kind == crate::observe::ObservableKind::Role)?;
    let mut best: Option<(u64, NodeId)> = None;
    for i in 0..servers {
        let id = NodeId(i);
        let Some(p) = slots[id.index()].process.as_ref() else {
            continue;
        };
        let value = p.observe(index).unwrap_or(0);
        if value > 0 && best.is_none_or(|(b, _)| value > b) {
            best = Some((value, id));
        }
    }
    best.map(|(_, id)| id)
}

/// Checks that an aimed fault names a role `P` publishes and an action a
/// role can aim.
pub fn validate_aimed<P: Process>(fault: &Fault) -> Result<(), ConfigError> {
    let Fault::Aimed { role, action, .. } = fault else {
        return Ok(());
    };
    let restart = matches!(**action, Fault::Restart { .. });
    if restart != (role == crate::fault::CRASHED) {
        return Err(ConfigError::Invalid(format!(
            "fault `{fault}`: a restart aims at `{}` and only a restart does",
            crate::fault::CRASHED
        )));
    }
    let is_role = restart
        || P::OBSERVABLES
            .iter()
            .any(|o| o.name == role && o.kind == crate::observe::ObservableKind::Role);
    if !is_role {
        return Err(ConfigError::Invalid(format!(
            "fault `{fault}` aims at `{role}`, which is not a role this algorithm publishes"
        )));
    }
    if action.with_node(NodeId(0)).is_none() {
        return Err(ConfigError::Invalid(format!(
            "a `{}` fault cannot be aimed at a role",
            action.kind_name()
        )));
    }
    Ok(())
}
