//! The event queue: a binary heap of small `(time, seq, slot)` keys over a
//! slab of events.
//!
//! Events pop in `(time, seq)` order, and `seq` is assigned in push order, so
//! events at equal times pop in the order they were scheduled. Keeping the
//! payloads out of the heap makes every sift move 24 bytes instead of a whole
//! event, which the ping storm benchmark showed to matter; freed slab slots
//! are reused, so the steady state allocates nothing.
//!
//! A pop leaves its key at the top of the heap, marked stale, and the next
//! push overwrites it in place (one sift-down instead of a pop's sift-down
//! and a push's sift-up). Most events schedule at least one more event, so
//! this halves the heap work of the common case. Every other operation
//! removes a stale top first.

use crate::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A priority queue of events keyed by `(time, seq)`.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
    /// The top key belongs to an event already popped.
    stale_top: bool,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            stale_top: false,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time`, after every event already scheduled at
    /// that time.
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                assert!(self.slab[slot as usize].is_none());
                self.slab[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slab.push(Some(event));
                u32::try_from(self.slab.len() - 1).expect("fewer than 4 billion pending events")
            }
        };
        let key = Reverse((time.0, seq, slot));
        if self.stale_top {
            self.stale_top = false;
            *self.heap.peek_mut().expect("a stale top exists") = key;
        } else {
            self.heap.push(key);
        }
    }

    /// Removes a stale top key, if any. The world calls this at the end of
    /// every event, so between events the queue is never stale.
    #[inline(always)]
    pub fn settle(&mut self) {
        if self.stale_top {
            self.stale_top = false;
            self.heap.pop();
        }
    }

    /// The time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        assert!(!self.stale_top, "peek between pop and settle");
        self.heap.peek().map(|Reverse((t, _, _))| SimTime(*t))
    }

    /// Removes and returns the earliest event.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.settle();
        let &Reverse((time, _, slot)) = self.heap.peek()?;
        self.stale_top = true;
        let event = self.slab[slot as usize]
            .take()
            .expect("queued slots hold events");
        self.free.push(slot);
        Some((SimTime(time), event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.stale_top)
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every pending event with its time and sequence number, in no
    /// particular (but deterministic) order.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, u64, &E)> {
        let stale = self
            .stale_top
            .then(|| self.heap.peek().map(|Reverse((_, seq, _))| *seq))
            .flatten();
        self.heap
            .iter()
            .filter(move |Reverse((_, seq, _))| Some(*seq) != stale)
            .map(|Reverse((t, seq, slot))| {
                (
                    SimTime(*t),
                    *seq,
                    self.slab[*slot as usize]
                        .as_ref()
                        .expect("queued slots hold events"),
                )
            })
    }

    /// Moves events to new times: `retime` returns the new time of an event,
    /// or `None` to leave it. Sequence numbers (and so tie order) are kept.
    pub fn retime(&mut self, mut retime: impl FnMut(SimTime, &E) -> Option<SimTime>) {
        self.settle();
        let mut keys = std::mem::take(&mut self.heap).into_vec();
        for Reverse((t, _, slot)) in keys.iter_mut() {
            let event = self.slab[*slot as usize]
                .as_ref()
                .expect("queued slots hold events");
            if let Some(new) = retime(SimTime(*t), event) {
                *t = new.0;
            }
        }
        self.heap = BinaryHeap::from(keys);
    }

    /// Removes the earliest-scheduled event matching `pred`, with its time.
    pub fn take_first(&mut self, mut pred: impl FnMut(&E) -> bool) -> Option<(SimTime, E)> {
        self.settle();
        let mut best: Option<(u64, u64, u32)> = None;
        for Reverse(key) in self.heap.iter() {
            let event = self.slab[key.2 as usize]
                .as_ref()
                .expect("queued slots hold events");
            if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) && pred(event) {
                best = Some(*key);
            }
        }
        let (time, _, slot) = best?;
        self.heap.retain(|Reverse(k)| k.2 != slot);
        self.free.push(slot);
        let event = self.slab[slot as usize]
            .take()
            .expect("queued slots hold events");
        Some((SimTime(time), event))
    }

    /// Keeps only the events for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.settle();
        let slab = &mut self.slab;
        let free = &mut self.free;
        self.heap.retain(|Reverse((_, _, slot))| {
            let event = slab[*slot as usize]
                .as_ref()
                .expect("queued slots hold events");
            if keep(event) {
                true
            } else {
                slab[*slot as usize] = None;
                free.push(*slot);
                false
            }
        });
    }

    /// Removes the earliest-scheduled event matching `pred`.
    pub fn remove_first(&mut self, mut pred: impl FnMut(&E) -> bool) -> Option<E> {
        self.settle();
        let mut keys = std::mem::take(&mut self.heap).into_vec();
        keys.sort_unstable();
        let pos = keys.iter().position(|Reverse((_, _, slot))| {
            pred(
                self.slab[*slot as usize]
                    .as_ref()
                    .expect("queued slots hold events"),
            )
        });
        let removed = pos.map(|i| {
            let Reverse((_, _, slot)) = keys.remove(i);
            self.free.push(slot);
            self.slab[slot as usize]
                .take()
                .expect("queued slots hold events")
        });
        self.heap = BinaryHeap::from(keys);
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_in_push_order() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), "b1");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "b2");
        q.push(SimTime(3), "c");
        q.push(SimTime(5), "b3");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "c", "b1", "b2", "b3"]);
    }

    #[test]
    fn slots_are_reused_and_retime_keeps_ties() {
        let mut q = EventQueue::default();
        for i in 0..4 {
            q.push(SimTime(10 + i), i);
        }
        q.pop();
        q.push(SimTime(1), 8);
        assert_eq!(q.slab.len(), 4, "the freed slot was reused");
        q.retime(|_, &e| (e % 2 == 1).then_some(SimTime(100)));
        assert_eq!(q.remove_first(|&e| e == 2), Some(2));
        let order: Vec<(u64, u64)> =
            std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect();
        assert_eq!(order, [(1, 8), (100, 1), (100, 3)]);
        assert!(q.is_empty());
    }

    #[test]
    fn take_first_and_retain_remove_any_event() {
        let mut q = EventQueue::default();
        for i in 0..6u64 {
            q.push(SimTime(10 - i % 3), i);
        }
        // Times: 0->10, 1->9, 2->8, 3->10, 4->9, 5->8; the earliest odd is 5.
        assert_eq!(q.take_first(|&e| e % 2 == 1), Some((SimTime(8), 5)));
        assert_eq!(q.take_first(|&e| e == 42), None);
        q.retain(|&e| e != 2);
        let order: Vec<u64> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, [1, 4, 0, 3]);
        q.push(SimTime(1), 7);
        assert_eq!(q.slab.len(), 6, "freed slots are reused");
    }

    #[test]
    fn a_popped_top_is_invisible_until_overwritten() {
        let mut q = EventQueue::default();
        q.push(SimTime(1), 1);
        q.push(SimTime(2), 2);
        assert_eq!(q.pop(), Some((SimTime(1), 1)));
        assert_eq!(q.len(), 1);
        assert_eq!(q.iter().map(|(_, _, e)| *e).collect::<Vec<_>>(), [2]);
        q.push(SimTime(5), 5); // overwrites the stale top and sifts down
        q.push(SimTime(0), 0);
        let order: Vec<u64> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, [0, 2, 5]);
        q.settle();
        assert_eq!(q.peek_time(), None);
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }
}
