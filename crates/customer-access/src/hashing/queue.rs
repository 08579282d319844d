//! The bounded queue between callers and hashing workers.
//!
//! Its capacity counts waiting *requests*, and a request may be several jobs (a login's two
//! verifications) that are queued together or not at all, so a request is never left
//! half-queued and one login takes one slot, as `hash_queue_depth` documents.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Why a request was not queued (nothing of it was).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PushError {
    /// No free slot.
    Full,
    /// The pool is shutting down, or every worker has died.
    Closed,
}

#[derive(Debug)]
struct State<T> {
    /// Jobs in arrival order; `true` marks the last job of its request.
    jobs: VecDeque<(T, bool)>,
    /// Requests with at least one job still waiting.
    waiting_requests: usize,
    /// Workers that have not exited.
    live_workers: usize,
    closed: bool,
}

#[derive(Debug)]
pub(crate) struct JobQueue<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
    capacity: usize,
}

impl<T> JobQueue<T> {
    /// Room for `capacity` waiting requests, served by `workers` threads (each calls
    /// [`worker_exited`](Self::worker_exited) when it ends).
    pub(crate) fn new(capacity: usize, workers: usize) -> Self {
        let state = State { jobs: VecDeque::new(), waiting_requests: 0, live_workers: workers, closed: false };
        Self { state: Mutex::new(state), ready: Condvar::new(), capacity }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Every update below leaves `State` consistent before anything can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue the jobs of one request together, or none of them when no slot is free (or
    /// the queue is closed).
    #[cfg(test)]
    pub(crate) fn try_push<I>(&self, request: I) -> Result<(), PushError>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.try_admit()?;
        self.push_admitted(request)
    }

    /// Take a slot for a request whose jobs come later: give them to
    /// [`push_admitted`](Self::push_admitted), or [`release`](Self::release) the slot.
    /// A caller can so learn that the pool is full before doing anything it would have to
    /// undo (a login charges its attempt only once hashing has room for it).
    pub(crate) fn try_admit(&self) -> Result<(), PushError> {
        let mut state = self.lock();
        if state.closed {
            return Err(PushError::Closed);
        }
        if state.waiting_requests >= self.capacity {
            return Err(PushError::Full);
        }
        state.waiting_requests += 1;
        Ok(())
    }

    /// Queue the jobs of a request admitted by [`try_admit`](Self::try_admit), together.
    pub(crate) fn push_admitted<I>(&self, request: I) -> Result<(), PushError>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        let request = request.into_iter();
        let n = request.len();
        let mut state = self.lock();
        if state.closed || n == 0 {
            state.waiting_requests = state.waiting_requests.saturating_sub(1);
            return if state.closed { Err(PushError::Closed) } else { Ok(()) };
        }
        for (i, job) in request.enumerate() {
            state.jobs.push_back((job, i + 1 == n));
        }
        drop(state);
        for _ in 0..n {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Give back a slot taken by [`try_admit`](Self::try_admit) whose jobs never came.
    pub(crate) fn release(&self) {
        let mut state = self.lock();
        state.waiting_requests = state.waiting_requests.saturating_sub(1);
    }

    /// The next job, waiting for one; `None` once the queue is closed and drained.
    pub(crate) fn pop(&self) -> Option<T> {
        let mut state = self.lock();
        loop {
            if let Some((job, last_of_request)) = state.jobs.pop_front() {
                if last_of_request {
                    state.waiting_requests -= 1;
                }
                return Some(job);
            }
            if state.closed {
                return None;
            }
            state = self.ready.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Refuse new requests and let workers exit once the waiting jobs are done.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// A worker ended (normally or by panicking). When the last one has, nothing would ever
    /// run the waiting jobs: drop them, so their callers hear "workers gone" instead of
    /// waiting forever, and refuse new ones.
    pub(crate) fn worker_exited(&self) {
        let mut state = self.lock();
        state.live_workers = state.live_workers.saturating_sub(1);
        if state.live_workers == 0 {
            state.closed = true;
            let orphaned = std::mem::take(&mut state.jobs);
            state.waiting_requests = 0;
            drop(state);
            drop(orphaned);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_takes_one_slot_whatever_its_jobs() {
        let q = JobQueue::new(1, 1);
        q.try_push([1, 2]).unwrap();
        assert_eq!(q.try_push([3]), Err(PushError::Full), "the slot is taken until the request's last job leaves");
        assert_eq!(q.pop(), Some(1));
        assert_eq!(q.try_push([3]), Err(PushError::Full), "half a request still waits");
        assert_eq!(q.pop(), Some(2));
        q.try_push([3]).unwrap();
        assert_eq!(q.pop(), Some(3));
    }

    #[test]
    fn an_admitted_slot_counts_until_its_jobs_leave_or_it_is_released() {
        let q = JobQueue::new(1, 1);
        q.try_admit().unwrap();
        assert_eq!(q.try_push([1]), Err(PushError::Full), "an admitted slot is taken");
        q.release();
        q.try_admit().unwrap();
        q.push_admitted([2, 3]).unwrap();
        assert_eq!(q.try_admit(), Err(PushError::Full));
        assert_eq!((q.pop(), q.pop()), (Some(2), Some(3)));
        q.try_admit().unwrap();
    }

    #[test]
    fn closing_drains_then_ends_and_refuses_new_requests() {
        let q = JobQueue::new(4, 1);
        q.try_push([1]).unwrap();
        q.close();
        assert_eq!(q.try_push([2]), Err(PushError::Closed));
        assert_eq!(q.pop(), Some(1));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn when_the_last_worker_exits_waiting_jobs_are_dropped() {
        let q = JobQueue::new(4, 2);
        let job = std::sync::Arc::new(());
        q.try_push([std::sync::Arc::clone(&job)]).unwrap();
        q.worker_exited();
        assert_eq!(std::sync::Arc::strong_count(&job), 2, "one worker is left to run it");
        q.worker_exited();
        assert_eq!(std::sync::Arc::strong_count(&job), 1, "nobody will run it: dropped");
        assert_eq!(q.try_push([std::sync::Arc::clone(&job)]), Err(PushError::Closed));
    }

    #[test]
    fn a_waiting_worker_wakes_for_a_job() {
        let q = std::sync::Arc::new(JobQueue::new(2, 1));
        let worker = {
            let q = std::sync::Arc::clone(&q);
            std::thread::spawn(move || q.pop())
        };
        q.try_push([7]).unwrap();
        assert_eq!(worker.join().unwrap(), Some(7));
    }
}
