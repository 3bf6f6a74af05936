//! The leader's side of the client protocol (§8): redirection, duplicate
//! suppression, and linearizable reads by log, ReadIndex or lease (thesis
//! §6.4).

use super::*;

impl Server {
    pub(super) fn on_client_request(
        &mut self,
        ctx: &mut SCtx<'_, '_>,
        client: NodeId,
        seq: u64,
        input: KvInput,
    ) {
        if self.role != Role::Leader {
            ctx.send(
                client,
                RaftMsg::ClientReply {
                    seq,
                    reply: ClientReply::NotLeader {
                        leader: self.leader,
                    },
                },
            );
            return;
        }
        if let KvInput::Get { key } = &input
            && self.params.read_mode != ReadMode::Log
        {
            self.start_read(ctx, client, seq, key.clone());
            return;
        }
        let dedup = !self.params.has(RaftBug::NoDedup);
        if dedup && let Some(s) = self.kv.session(client) {
            if s.seq == seq {
                let output = s.output.clone();
                ctx.send(
                    client,
                    RaftMsg::ClientReply {
                        seq,
                        reply: ClientReply::Ok(output),
                    },
                );
                return;
            }
            if s.seq > seq {
                return;
            }
        }
        if dedup && self.waiting.get(&client) == Some(&seq) {
            return; // Already in the log in this term; the reply will come.
        }
        self.waiting.insert(client, seq);
        let term = self.current_term;
        self.log_append(
            ctx,
            Entry::new(term, Command::Client { client, seq, input }),
        );
        self.progress[self.id.index()].match_index = self.log.last_index();
        self.advance_commit(ctx);
        if self.params.has(RaftBug::ApplyBeforeCommit) {
            self.apply_committed(ctx);
        }
        self.replicate_new(ctx);
    }

    pub(super) fn committed_in_term(&self) -> bool {
        self.log.term_at(self.commit_index) == Some(self.current_term)
    }

    pub(super) fn start_read(
        &mut self,
        ctx: &mut SCtx<'_, '_>,
        client: NodeId,
        seq: u64,
        key: String,
    ) {
        let now = self.lease_now(ctx);
        let local = self.params.has(RaftBug::LocalReads);
        let leased = self.params.read_mode == ReadMode::Lease
            && self.lease_until.is_some_and(|t| now < t)
            && self.committed_in_term();
        if local || (leased && self.last_applied >= self.commit_index) {
            let output = self.kv.read(&key);
            ctx.send(
                client,
                RaftMsg::ClientReply {
                    seq,
                    reply: ClientReply::Ok(output),
                },
            );
            return;
        }
        let read_index = self.committed_in_term().then_some(self.commit_index);
        self.reads.push(PendingRead {
            client,
            seq,
            key,
            read_index,
            round: if leased { 0 } else { self.round + 1 },
        });
        if !leased {
            self.broadcast_append(ctx);
        }
    }

    /// The highest heartbeat round answered by a majority (counting self).
    pub(super) fn majority_round(&self) -> u64 {
        let mut rounds: Vec<u64> = self.progress.iter().map(|p| p.acked_round).collect();
        rounds.sort_unstable_by(|a, b| b.cmp(a));
        rounds[self.majority() - 1]
    }

    pub(super) fn on_round_acked(&mut self, ctx: &mut SCtx<'_, '_>) {
        if self.params.read_mode == ReadMode::Lease {
            let confirmed = self.majority_round();
            let start = self
                .round_sent
                .iter()
                .find(|(r, _)| *r == confirmed)
                .map(|(_, t)| *t);
            if let Some(start) = start
                && confirmed > 0
            {
                let until = start + self.params.lease_duration();
                self.lease_until = Some(self.lease_until.map_or(until, |t| t.max(until)));
            }
        }
        self.serve_reads(ctx);
    }

    pub(super) fn serve_reads(&mut self, ctx: &mut SCtx<'_, '_>) {
        if self.reads.is_empty() || self.role != Role::Leader {
            return;
        }
        let confirmed = self.majority_round();
        let in_term = self.committed_in_term();
        let (commit, applied) = (self.commit_index, self.last_applied);
        let mut i = 0;
        while i < self.reads.len() {
            let read = &mut self.reads[i];
            if read.read_index.is_none() && in_term {
                read.read_index = Some(commit);
            }
            let ready = read.round <= confirmed && read.read_index.is_some_and(|r| applied >= r);
            if ready {
                let read = self.reads.swap_remove(i);
                let output = self.kv.read(&read.key);
                ctx.send(
                    read.client,
                    RaftMsg::ClientReply {
                        seq: read.seq,
                        reply: ClientReply::Ok(output),
                    },
                );
            } else {
                i += 1;
            }
        }
    }
}
