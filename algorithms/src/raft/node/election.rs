//! Elections (§5.2): timeouts turn followers into candidates (after a
//! pre-vote round, thesis §9.6, when enabled), votes go only to candidates
//! whose logs are at least as up-to-date (§5.4.1), a higher term always
//! wins (Figure 2, "Rules for Servers"), and a new leader appends a no-op
//! (§8).

use super::*;

impl Server {
    pub(super) fn start_pre_vote(&mut self, ctx: &mut SCtx<'_, '_>) {
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.id]);
        self.reset_election_timer(ctx);
        ctx.note_with(|| format!("pre-vote for term {}", self.current_term + 1));
        self.request_votes(ctx, self.current_term + 1, true);
        if self.votes.len() >= self.majority() {
            self.start_election(ctx);
        }
    }

    pub(super) fn start_election(&mut self, ctx: &mut SCtx<'_, '_>) {
        self.role = Role::Candidate;
        self.current_term += 1;
        self.voted_for = Some(self.id);
        self.leader = None;
        self.persist_term_and_vote(ctx);
        self.votes = BTreeSet::from([self.id]);
        self.answered.clear();
        self.reset_election_timer(ctx);
        ctx.note_with(|| format!("election for term {}", self.current_term));
        self.request_votes(ctx, self.current_term, false);
        let term = self.current_term;
        ctx.set_timer(
            self.params.heartbeat_interval,
            RaftTimer::Heartbeat { term },
        );
        if self.votes.len() >= self.majority() {
            self.become_leader(ctx);
        }
    }

    pub(super) fn request_votes(&self, ctx: &mut SCtx<'_, '_>, term: Term, pre_vote: bool) {
        ctx.broadcast(RaftMsg::RequestVote {
            term,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
            pre_vote,
        });
    }

    /// Whether this server heard from a leader less than a minimum election
    /// timeout ago (thesis §4.2.3): it then refuses to help depose it, which
    /// also is what makes leases safe.
    pub(super) fn leader_recently_heard(&self, now: LocalTime) -> bool {
        self.role == Role::Leader
            || self
                .last_leader_contact
                .is_some_and(|t| now.saturating_since(t) < self.params.election_timeout_min)
    }

    /// Steps down to follower in `term` (a higher term seen, or a leader of
    /// the same term found).
    pub(super) fn become_follower(&mut self, ctx: &mut SCtx<'_, '_>, term: Term) {
        if term > self.current_term {
            self.current_term = term;
            self.voted_for = None;
            self.persist_term_and_vote(ctx);
        }
        if self.role != Role::Follower {
            ctx.note_with(|| format!("{} steps down in term {term}", self.role.name()));
            self.role = Role::Follower;
            self.leader = None;
            self.progress.clear();
            self.reads.clear();
            self.waiting.clear();
            self.lease_until = None;
            self.reset_election_timer(ctx);
        }
    }

    /// Reacts to a term seen in a reply; returns false if the reply is stale
    /// or this server stepped down.
    pub(super) fn observe_reply_term(&mut self, ctx: &mut SCtx<'_, '_>, term: Term) -> bool {
        if term > self.current_term {
            if self.keeps_leadership_despite(ctx, term) {
                return true;
            }
            self.become_follower(ctx, term);
            return false;
        }
        term == self.current_term
    }

    /// The `keep_leadership_on_higher_term` bug: a leader that sees a
    /// higher term takes it but stays leader. Returns whether it did.
    pub(super) fn keeps_leadership_despite(&mut self, ctx: &mut SCtx<'_, '_>, term: Term) -> bool {
        if self.role != Role::Leader
            || term <= self.current_term
            || !self.params.has(RaftBug::KeepLeadershipOnHigherTerm)
        {
            return false;
        }
        self.current_term = term;
        self.voted_for = None;
        self.persist_term_and_vote(ctx);
        ctx.note_with(|| format!("takes term {term} and stays leader"));
        true
    }

    pub(super) fn on_request_vote(
        &mut self,
        ctx: &mut SCtx<'_, '_>,
        from: NodeId,
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
        pre_vote: bool,
    ) {
        let log_ok = self.params.has(RaftBug::VoteWithoutLogCheck)
            || self.log.is_behind_or_equal(last_log_term, last_log_index);
        let in_lease = self.leader_recently_heard(self.lease_now(ctx));
        if pre_vote {
            // Would vote: a later term, an up-to-date log, and no leader heard.
            let granted = term > self.current_term && log_ok && !in_lease;
            let reply_term = if granted { term } else { self.current_term };
            ctx.send(
                from,
                RaftMsg::RequestVoteReply {
                    term: reply_term,
                    granted,
                    pre_vote: true,
                },
            );
            return;
        }
        if term > self.current_term && in_lease {
            ctx.note_with(|| format!("ignores vote request from {from}: a leader is alive"));
            return;
        }
        if term > self.current_term {
            self.become_follower(ctx, term);
        }
        let granted =
            term == self.current_term && self.voted_for.is_none_or(|v| v == from) && log_ok;
        if granted {
            self.voted_for = Some(from);
            self.persist_term_and_vote(ctx);
            self.reset_election_timer(ctx);
        }
        ctx.send(
            from,
            RaftMsg::RequestVoteReply {
                term: self.current_term,
                granted,
                pre_vote: false,
            },
        );
    }

    pub(super) fn on_vote_reply(
        &mut self,
        ctx: &mut SCtx<'_, '_>,
        from: NodeId,
        term: Term,
        granted: bool,
        pre_vote: bool,
    ) {
        if pre_vote {
            if self.role == Role::PreCandidate && granted && term == self.current_term + 1 {
                self.votes.insert(from);
                if self.votes.len() >= self.majority() {
                    self.start_election(ctx);
                }
            } else if term > self.current_term && !granted {
                self.become_follower(ctx, term);
            }
            return;
        }
        if !self.observe_reply_term(ctx, term) {
            return;
        }
        if self.role == Role::Candidate {
            self.answered.insert(from);
        }
        if self.role == Role::Candidate && granted {
            self.votes.insert(from);
            if self.votes.len() >= self.majority() {
                self.become_leader(ctx);
            }
        }
    }

    pub(super) fn become_leader(&mut self, ctx: &mut SCtx<'_, '_>) {
        ctx.note_with(|| format!("becomes leader of term {}", self.current_term));
        ctx.report(super::super::LEADER_ELECTED);
        self.role = Role::Leader;
        self.leader = Some(self.id);
        if let Some((id, _)) = self.election_timer.take() {
            ctx.cancel_timer(id);
        }
        if self.params.has(RaftBug::LeaderDropsUncommittedTail)
            && self.log.last_index() > self.commit_index
        {
            self.log_truncate(ctx, self.commit_index + 1);
        }
        let next = self.log.last_index() + 1;
        self.progress = vec![
            Progress {
                next_index: next,
                match_index: 0,
                acked_round: 0,
            };
            self.servers
        ];
        self.round = 0;
        self.round_sent.clear();
        self.lease_until = None;
        self.reads.clear();
        self.waiting.clear();
        // §8: a no-op of the new term, whose commit settles what is committed.
        let term = self.current_term;
        self.log_append(ctx, Entry::new(term, Command::Noop));
        self.progress[self.id.index()].match_index = self.log.last_index();
        self.advance_commit(ctx);
        self.broadcast_append(ctx);
        // The heartbeat timer the candidacy set keeps running for this term.
    }
}
