//! Log replication (§5.3): AppendEntries with the consistency check and
//! fast back-up, InstallSnapshot for compacted entries (§7), the commit
//! rule (§5.4.2), applying committed entries in order, and compaction.

use super::*;

impl Server {
    /// Starts a heartbeat round: AppendEntries (or a snapshot) to every peer.
    pub(super) fn broadcast_append(&mut self, ctx: &mut SCtx<'_, '_>) {
        self.round += 1;
        self.round_sent.push_back((self.round, self.lease_now(ctx)));
        if self.round_sent.len() > 64 {
            self.round_sent.pop_front();
        }
        self.progress[self.id.index()].acked_round = self.round;
        for peer in ctx.peers() {
            self.send_append(ctx, peer);
        }
        if self.servers == 1 {
            self.on_round_acked(ctx);
        }
    }

    /// Sends `peer` the entries from its next index (optimistically assuming
    /// they arrive), or the snapshot when those entries are compacted.
    pub(super) fn send_append(&mut self, ctx: &mut SCtx<'_, '_>, peer: NodeId) {
        let next = self.progress[peer.index()].next_index;
        if next <= self.log.base_index() {
            let snapshot = ctx
                .durable()
                .snapshot
                .clone()
                .expect("a compacted log has a snapshot");
            self.progress[peer.index()].next_index = snapshot.last_index + 1;
            ctx.send(
                peer,
                RaftMsg::InstallSnapshot {
                    term: self.current_term,
                    snapshot: Box::new(snapshot),
                    round: self.round,
                },
            );
            return;
        }
        let prev = next - 1;
        let entries = self
            .log
            .entries_from(next, self.params.max_entries_per_append as usize);
        self.progress[peer.index()].next_index = next + entries.len() as Index;
        ctx.send(
            peer,
            RaftMsg::AppendEntries {
                term: self.current_term,
                prev_log_index: prev,
                prev_log_term: self
                    .log
                    .term_at(prev)
                    .expect("prev is at or after the base"),
                entries,
                leader_commit: self.commit_index,
                round: self.round,
            },
        );
    }

    /// Sends new entries to every follower that is caught up.
    pub(super) fn replicate_new(&mut self, ctx: &mut SCtx<'_, '_>) {
        let last = self.log.last_index();
        for peer in ctx.peers() {
            if self.progress[peer.index()].next_index <= last {
                self.send_append(ctx, peer);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_entries(
        &mut self,
        ctx: &mut SCtx<'_, '_>,
        from: NodeId,
        term: Term,
        mut prev_log_index: Index,
        mut prev_log_term: Term,
        mut entries: Vec<Entry>,
        leader_commit: Index,
        round: u64,
    ) {
        let reply = |ctx: &mut SCtx<'_, '_>, term, success, match_index, conflict| {
            ctx.send(
                from,
                RaftMsg::AppendEntriesReply {
                    term,
                    success,
                    match_index,
                    conflict,
                    round,
                },
            )
        };
        if term < self.current_term {
            reply(ctx, self.current_term, false, 0, None);
            return;
        }
        if self.keeps_leadership_despite(ctx, term) {
            return;
        }
        if self.role == Role::Leader && term == self.current_term {
            // Two leaders in one term: only a planted bug gets here.
            ctx.note_with(|| format!("leader got AppendEntries of its own term from {from}"));
            return;
        }
        self.become_follower(ctx, term);
        self.leader = Some(from);
        self.last_leader_contact = Some(self.lease_now(ctx));
        self.reset_election_timer(ctx);

        // Entries this server has compacted are committed, so they match.
        let base = self.log.base_index();
        if prev_log_index < base {
            let skip = ((base - prev_log_index) as usize).min(entries.len());
            entries.drain(..skip);
            prev_log_index = base;
            prev_log_term = self.log.base_term();
        }
        if prev_log_index > self.log.last_index() {
            let conflict = Conflict {
                term: None,
                index: self.log.last_index() + 1,
            };
            reply(ctx, self.current_term, false, 0, Some(conflict));
            return;
        }
        let prev_term_here = self
            .log
            .term_at(prev_log_index)
            .expect("prev is in the log");
        if prev_term_here != prev_log_term && !self.params.has(RaftBug::SkipPrevTermCheck) {
            let conflict = Conflict {
                term: Some(prev_term_here),
                index: self.log.first_index_of_term_run(prev_log_index),
            };
            reply(ctx, self.current_term, false, 0, Some(conflict));
            return;
        }
        // Append, deleting only entries that conflict (§5.3 receiver rule 3):
        // an AppendEntries delayed in the network must not cut off entries
        // that a later one already added.
        let match_index = prev_log_index + entries.len() as Index;
        for (k, entry) in entries.into_iter().enumerate() {
            let index = prev_log_index + 1 + k as Index;
            match self.log.term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) => {
                    // §5.3: the tail of a deposed leader (or of its
                    // followers) gives way to the current leader's entries.
                    ctx.report(super::super::ENTRIES_OVERWRITTEN);
                    self.log_truncate(ctx, index);
                    self.log_append(ctx, entry);
                }
                None => self.log_append(ctx, entry),
            }
        }
        if self.params.has(RaftBug::CommitFromStaleAppend) {
            self.commit_index = leader_commit.min(match_index);
        } else if leader_commit > self.commit_index {
            self.commit_index = self.commit_index.max(leader_commit.min(match_index));
        }
        self.apply_committed(ctx);
        reply(ctx, self.current_term, true, match_index, None);
    }

    /// `outcome` is the matching index on success, else the conflict hint.
    pub(super) fn on_append_reply(
        &mut self,
        ctx: &mut SCtx<'_, '_>,
        from: NodeId,
        term: Term,
        round: u64,
        outcome: Result<Index, Option<Conflict>>,
    ) {
        if !self.observe_reply_term(ctx, term) || self.role != Role::Leader {
            return;
        }
        let p = &mut self.progress[from.index()];
        p.acked_round = p.acked_round.max(round);
        let conflict = match outcome {
            Ok(match_index) => {
                p.match_index = p.match_index.max(match_index);
                p.next_index = p.next_index.max(p.match_index + 1);
                self.advance_commit(ctx);
                let p = &self.progress[from.index()];
                if p.match_index < self.log.last_index() && p.next_index <= self.log.last_index() {
                    self.send_append(ctx, from);
                }
                None
            }
            Err(conflict) => conflict,
        };
        if let Some(c) = conflict {
            // Fast back-up: skip the follower's whole conflicting term, or
            // jump to the end of its log.
            let next = match c.term {
                Some(t) => self.log.last_index_of_term(t).map_or(c.index, |i| i + 1),
                None => c.index,
            };
            let p = &mut self.progress[from.index()];
            p.next_index = next.max(p.match_index + 1).min(self.log.last_index() + 1);
            self.send_append(ctx, from);
        }
        self.on_round_acked(ctx);
    }

    pub(super) fn on_install_snapshot(
        &mut self,
        ctx: &mut SCtx<'_, '_>,
        from: NodeId,
        term: Term,
        snapshot: Snapshot,
        round: u64,
    ) {
        if term < self.current_term {
            ctx.send(
                from,
                RaftMsg::InstallSnapshotReply {
                    term: self.current_term,
                    last_index: 0,
                    round,
                },
            );
            return;
        }
        if self.keeps_leadership_despite(ctx, term)
            || (self.role == Role::Leader && term == self.current_term)
        {
            return;
        }
        self.become_follower(ctx, term);
        self.leader = Some(from);
        self.last_leader_contact = Some(self.lease_now(ctx));
        self.reset_election_timer(ctx);
        let last_index = snapshot.last_index;
        if last_index > self.commit_index {
            ctx.note_with(|| format!("installs snapshot up to {last_index} from {from}"));
            ctx.report(super::super::SNAPSHOT_INSTALLED);
            self.log
                .install_snapshot(last_index, snapshot.last_term, snapshot.chain);
            let d = ctx.durable_mut();
            d.log
                .install_snapshot(last_index, snapshot.last_term, snapshot.chain);
            self.kv = snapshot.state.clone();
            d.snapshot = Some(snapshot);
            self.commit_index = last_index;
            self.last_applied = last_index;
        }
        ctx.send(
            from,
            RaftMsg::InstallSnapshotReply {
                term: self.current_term,
                last_index,
                round,
            },
        );
    }

    pub(super) fn on_install_snapshot_reply(
        &mut self,
        ctx: &mut SCtx<'_, '_>,
        from: NodeId,
        term: Term,
        last_index: Index,
        round: u64,
    ) {
        if !self.observe_reply_term(ctx, term) || self.role != Role::Leader {
            return;
        }
        let p = &mut self.progress[from.index()];
        p.acked_round = p.acked_round.max(round);
        p.match_index = p.match_index.max(last_index);
        p.next_index = p.next_index.max(p.match_index + 1);
        self.advance_commit(ctx);
        self.on_round_acked(ctx);
    }

    /// The commit rule (§5.3, §5.4.2): the largest index stored on a
    /// majority, provided its entry is of the current term. Earlier-term
    /// entries are committed only indirectly, by a later entry of this term.
    pub(super) fn advance_commit(&mut self, ctx: &mut SCtx<'_, '_>) {
        let mut matches: Vec<Index> = self.progress.iter().map(|p| p.match_index).collect();
        matches[self.id.index()] = self.log.last_index();
        matches.sort_unstable_by(|a, b| b.cmp(a));
        let candidate = matches[self.majority() - 1];
        if candidate <= self.commit_index {
            return;
        }
        let own_term = self.log.term_at(candidate) == Some(self.current_term);
        if own_term || self.params.has(RaftBug::CommitPreviousTermByCount) {
            self.commit_index = candidate;
            self.apply_committed(ctx);
            self.serve_reads(ctx);
        }
    }

    // ----- The state machine -----

    pub(super) fn apply_committed(&mut self, ctx: &mut SCtx<'_, '_>) {
        let dedup = !self.params.has(RaftBug::NoDedup);
        // Only committed entries may be applied (§5.3); the planted bug lets
        // a leader apply what it has merely appended.
        let upto = if self.params.has(RaftBug::ApplyBeforeCommit) && self.role == Role::Leader {
            self.log.last_index()
        } else {
            self.commit_index
        };
        while self.last_applied < upto {
            let index = self.last_applied + 1;
            let Some(entry) = self.log.entry(index) else {
                break;
            };
            let applied = self.kv.apply(&entry.command, entry, dedup);
            self.last_applied = index;
            if let Applied::Output {
                client,
                seq,
                output,
            } = applied
                && self.role == Role::Leader
                && self.waiting.get(&client) == Some(&seq)
            {
                self.waiting.remove(&client);
                ctx.send(
                    client,
                    RaftMsg::ClientReply {
                        seq,
                        reply: ClientReply::Ok(output),
                    },
                );
            }
        }
        self.maybe_snapshot(ctx);
    }

    /// Log compaction (§7): once enough applied entries pile up, replace them
    /// by a snapshot of the state machine.
    pub(super) fn maybe_snapshot(&mut self, ctx: &mut SCtx<'_, '_>) {
        let threshold = self.params.snapshot_threshold;
        if threshold == 0 || self.last_applied - self.log.base_index() < threshold {
            return;
        }
        let index = self.last_applied;
        let state = if self.params.has(RaftBug::SnapshotWithoutSessions) {
            self.kv.without_sessions()
        } else {
            self.kv.clone()
        };
        let snapshot = Snapshot {
            last_index: index,
            last_term: self
                .log
                .term_at(index)
                .expect("applied entries are in the log"),
            chain: self.log.chain_at(index).expect("same"),
            state,
        };
        self.log.compact_to(index);
        let d = ctx.durable_mut();
        d.log.compact_to(index);
        d.snapshot = Some(snapshot);
        ctx.note_with(|| format!("snapshot up to {index}"));
        ctx.report(super::super::SNAPSHOT_TAKEN);
    }
}
