//! Sending: the network decides each message's fate, and drops are
//! counted and traced with their reason.

use super::*;

impl<P: Process> World<P> {
    #[inline]
    pub(super) fn send(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        assert!(
            to.index() < self.state.nodes.len(),
            "{from} sent to {to}, which does not exist (the run has {} nodes)",
            self.state.nodes.len()
        );
        let payload_hash = stable_hash(&msg);
        let s = &mut self.state;
        let now = s.now;
        let msg_id = MsgId(s.next_msg);
        s.next_msg += 1;
        s.stats.sent += 1;
        let transit = if self.adversary.is_some() {
            // Under an adversary a message waits until it is chosen.
            if s.network.is_cut(from, to) && from != to {
                Transit::Dropped(DropReason::Partition)
            } else {
                Transit::Deliver(now, None)
            }
        } else {
            s.network.transmit(from, to, now, &mut s.net_rng)
        };
        let full = self.config.trace == TraceMode::Full;
        match transit {
            Transit::Dropped(reason) => {
                if full {
                    self.store_payload(msg_id, &msg);
                }
                self.count_drop(reason);
                self.record(
                    RecordKind::Send {
                        msg: msg_id,
                        from,
                        to,
                        deliver_at: None,
                        duplicate_of: None,
                    },
                    payload_hash,
                );
                self.record(
                    RecordKind::Drop {
                        msg: msg_id,
                        from,
                        to,
                        sent_at: now,
                        reason,
                    },
                    0,
                );
            }
            Transit::Deliver(at, duplicate) => {
                self.record(
                    RecordKind::Send {
                        msg: msg_id,
                        from,
                        to,
                        deliver_at: Some(at),
                        duplicate_of: None,
                    },
                    payload_hash,
                );
                if full {
                    self.store_payload(msg_id, &msg);
                }
                if let Some(dup_at) = duplicate {
                    let s = &mut self.state;
                    let dup_id = MsgId(s.next_msg);
                    s.next_msg += 1;
                    s.stats.sent += 1;
                    s.stats.duplicated += 1;
                    if full {
                        self.store_payload(dup_id, &msg);
                    }
                    self.record(
                        RecordKind::Send {
                            msg: dup_id,
                            from,
                            to,
                            deliver_at: Some(dup_at),
                            duplicate_of: Some(msg_id),
                        },
                        payload_hash,
                    );
                    let copy = Event::Deliver {
                        msg_id: dup_id,
                        from,
                        to,
                        sent_at: now,
                        msg: msg.clone(),
                    };
                    self.state.push(dup_at, copy);
                }
                self.state.push(
                    at,
                    Event::Deliver {
                        msg_id,
                        from,
                        to,
                        sent_at: now,
                        msg,
                    },
                );
            }
        }
    }

    pub(super) fn store_payload(&mut self, id: MsgId, msg: &P::Msg) {
        if (id.0 as usize) == self.payloads.len() {
            self.payloads.push(msg.clone());
        }
    }

    pub(super) fn count_drop(&mut self, reason: DropReason) {
        let stats = &mut self.state.stats;
        match reason {
            DropReason::Partition => stats.dropped_partition += 1,
            DropReason::Loss => stats.dropped_loss += 1,
            DropReason::NodeDown => stats.dropped_node_down += 1,
            DropReason::Injected => stats.dropped_injected += 1,
        }
    }
}
