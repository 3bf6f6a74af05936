//! Client operations: scheduling workload requests and opening and
//! closing the operations of the history.

use super::*;

impl<P: Process> World<P> {
    pub(super) fn schedule_request(&mut self, client: NodeId) {
        let slot = &mut self.state.nodes[client.index()];
        let Some(load) = slot.load.as_mut() else {
            return;
        };
        let cfg = match self.config.groups.get(load.group as usize) {
            Some(group) => &group.pacing,
            None => &self.config.workload,
        };
        if slot.process.is_none() || !load.may_issue(cfg) {
            return;
        }
        let think = load.think(cfg);
        let epoch = slot.epoch;
        let at = self.state.now + think;
        self.state.push(at, Event::Request { client, epoch });
    }

    pub(super) fn open_op(&mut self, client: NodeId, op: OpId, input: OpInput<P>) {
        assert_eq!(
            op.0 as usize,
            self.state.history.len(),
            "op ids index the history"
        );
        let input_hash = stable_hash(&input);
        let call = self.history_time();
        self.state.history.push(Operation {
            client: client.0 as u64,
            input,
            call,
            outcome: Outcome::Unknown,
            ret: None,
        });
        self.state.stats.ops_invoked += 1;
        self.record(RecordKind::Invoke { client, op }, input_hash);
    }

    pub(super) fn close_op(&mut self, client: NodeId, op: OpId, outcome: Outcome<OpOutput<P>>) {
        let entry = self.state.history.get_mut(op.0 as usize);
        let valid = entry.as_ref().is_some_and(|e| {
            e.client == client.0 as u64 && e.ret.is_none() && matches!(e.outcome, Outcome::Unknown)
        });
        if !valid {
            self.violate(
                "history_well_formed",
                format!("{client} completed operation #{} which it has not invoked or already completed", op.0),
            );
            return;
        }
        let now = self.history_time();
        let entry = &mut self.state.history[op.0 as usize];
        let outcome_hash = stable_hash(&format!("{outcome:?}"));
        match &outcome {
            Outcome::Ok(_) => self.state.stats.ops_ok += 1,
            Outcome::Fail => self.state.stats.ops_failed += 1,
            Outcome::Unknown => self.state.stats.ops_unknown += 1,
        }
        if !matches!(outcome, Outcome::Unknown) {
            entry.ret = Some(now);
        }
        if let Outcome::Ok(output) = &outcome {
            let input = entry.input.clone();
            if let Some(load) = self.state.nodes[client.index()].load.as_mut() {
                P::Family::observe(&mut load.memory, &input, output);
            }
        }
        let entry = &mut self.state.history[op.0 as usize];
        entry.outcome = outcome;
        self.record(RecordKind::Complete { client, op }, outcome_hash);
        let slot = &mut self.state.nodes[client.index()];
        if let Some(load) = slot.load.as_mut()
            && load.outstanding == Some(op)
        {
            load.outstanding = None;
            self.schedule_request(client);
        }
    }
}
