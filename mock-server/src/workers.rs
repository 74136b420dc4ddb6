//! Worker threads that each own the connections they are handed: one single-threaded tokio
//! runtime per thread, so a connection's task, buffers and timers stay on one core for its
//! whole life.
//!
//! Why not tokio's multi-threaded runtime: there, a task woken by the I/O driver runs on
//! whichever worker polled the driver, so a keep-alive connection's state moves between cores
//! from one request to the next, and the workers share one I/O driver, timer wheel and run
//! queues. Under wrk on two cores, giving each connection a thread of its own measured about
//! 13% more throughput (docs/performance.md).

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// A fixed set of worker threads; connections are dealt to them in turn.
#[derive(Debug)]
pub struct Workers {
    handles: Vec<Handle>,
    next: AtomicUsize,
    threads: Vec<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Workers {
    /// Starts `count` worker threads (at least one); returns once every one is running.
    pub fn start(count: usize) -> io::Result<Self> {
        let count = count.max(1);
        let mut handles = Vec::with_capacity(count);
        let mut threads = Vec::with_capacity(count);
        let (running, all_running) = std::sync::mpsc::channel::<()>();
        for index in 0..count {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            handles.push(runtime.handle().clone());
            let (stop, stopped) = oneshot::channel::<()>();
            let running = running.clone();
            let thread = std::thread::Builder::new()
                .name(format!("worker-{index}"))
                // Runs the tasks spawned onto this runtime until told to stop; dropping the
                // runtime then cancels whatever is left.
                .spawn(move || {
                    let _ = running.send(());
                    let _ = runtime.block_on(stopped);
                })?;
            threads.push((stop, thread));
        }
        // A thread that is named and running, not merely created (its name, for one, is set
        // by the thread itself).
        for _ in 0..count {
            let _ = all_running.recv();
        }
        Ok(Self {
            handles,
            next: AtomicUsize::new(0),
            threads,
        })
    }

    /// As many workers as this process may run threads in parallel.
    pub fn per_core() -> io::Result<Self> {
        Self::start(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// How many worker threads there are.
    pub fn count(&self) -> usize {
        self.handles.len()
    }

    /// Runs `task` on the next worker in turn. Anything the task registers with the runtime
    /// (sockets, timers) must be created inside it, so that it belongs to that worker.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        // The handle's join handle is not needed: a connection reports its own end.
        drop(self.handles[index].spawn(task));
    }
}

impl Drop for Workers {
    /// Stops every worker and waits for its thread; tasks still running are cancelled.
    fn drop(&mut self) {
        for (stop, thread) in self.threads.drain(..) {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn deals_tasks_to_every_worker_in_turn() {
        let workers = Workers::start(3).unwrap();
        assert_eq!(workers.count(), 3);
        let (sender, receiver) = mpsc::channel();
        for _ in 0..6 {
            let sender = sender.clone();
            workers.spawn(async move {
                let name = std::thread::current().name().map(str::to_owned);
                sender.send(name).unwrap();
            });
        }
        let mut per_worker = std::collections::BTreeMap::<String, usize>::new();
        for _ in 0..6 {
            *per_worker
                .entry(receiver.recv().unwrap().unwrap())
                .or_default() += 1;
        }
        let expected: Vec<(String, usize)> = (0..3).map(|i| (format!("worker-{i}"), 2)).collect();
        assert_eq!(per_worker.into_iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn zero_workers_means_one() {
        assert_eq!(Workers::start(0).unwrap().count(), 1);
    }

    #[test]
    fn dropping_stops_the_threads_and_cancels_pending_tasks() {
        let workers = Workers::start(2).unwrap();
        let (sender, receiver) = oneshot::channel::<()>();
        workers.spawn(async move {
            // Never completes on its own; cancelled by the drop below, which drops `sender`.
            std::future::pending::<()>().await;
            drop(sender);
        });
        drop(workers);
        assert!(receiver.blocking_recv().is_err());
    }

    #[test]
    fn timers_run_on_a_worker() {
        let workers = Workers::start(1).unwrap();
        let (sender, receiver) = mpsc::channel();
        workers.spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            sender.send(()).unwrap();
        });
        receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap();
    }
}
