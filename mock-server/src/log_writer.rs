//! Log lines written in batches by one writer thread, so that logging costs a request a
//! `memcpy` under a short lock and never a write or a thread wake-up.
//!
//! A writer thread woken for every line (what a channel-based writer does) costs each request
//! a futex wake and two context switches: under load that was 12% of the mock's throughput
//! (docs/performance.md). Here a request appends its line to a shared buffer; only the line
//! that finds the buffer empty wakes the writer, which then waits [`BATCH_WINDOW`] for more
//! lines before writing them all with one `write`. An idle server costs nothing (the writer
//! parks); a busy one wakes the writer at most once per window.
//!
//! The buffer is bounded ([`MAX_PENDING_BYTES`]): when the output cannot keep up (a stderr
//! pipe nobody reads), lines are dropped rather than stalling requests or growing memory,
//! and the writer says how many it dropped once it can write again.

use std::io::Write;
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer waits for more lines after being woken (the longest a line waits).
pub const BATCH_WINDOW: Duration = Duration::from_millis(2);
/// Bytes held for the writer before new lines are dropped.
pub const MAX_PENDING_BYTES: usize = 4 * 1024 * 1024;
/// How long the guard waits at exit for the last lines to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);
/// A batch buffer that grew past this (a burst) is given back rather than kept.
const KEPT_CAPACITY: usize = 256 * 1024;

/// The producer side: a [`MakeWriter`] for `tracing_subscriber::fmt`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BatchedLog {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    pending: Mutex<Pending>,
    writer: Thread,
}

#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    dropped: u64,
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves only bytes behind: still usable.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues one line (tracing-subscriber hands over each event in one `write`).
    fn push(&self, line: &[u8]) {
        let mut pending = self.lock();
        if pending.closed {
            return;
        }
        if pending.bytes.len() + line.len() > MAX_PENDING_BYTES {
            pending.dropped += 1;
            return;
        }
        let was_empty = pending.bytes.is_empty();
        pending.bytes.extend_from_slice(line);
        drop(pending);
        if was_empty {
            // Sets the writer's token if it is awake (no syscall), wakes it if parked.
            self.writer.unpark();
        }
    }
}

/// Flushes what is queued and stops the writer thread when dropped (at exit).
#[derive(Debug)]
#[must_use = "dropping the guard stops the writer: keep it until exit"]
pub struct FlushGuard {
    shared: Arc<Shared>,
    finished: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.writer.unpark();
        // An output that never drains (a full pipe) must not hold the process at exit.
        if self.finished.recv_timeout(FLUSH_TIMEOUT).is_ok() {
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// Starts the writer thread for `output`.
pub fn batched<W: Write + Send + 'static>(output: W) -> std::io::Result<(BatchedLog, FlushGuard)> {
    // The thread needs its own handle before `Shared` exists: it waits for it on a channel.
    let (hand_over, handed) = mpsc::channel::<Arc<Shared>>();
    let (finish, finished) = mpsc::channel();
    let thread = thread::Builder::new()
        .name("log-writer".to_owned())
        .spawn(move || {
            if let Ok(shared) = handed.recv() {
                write_batches(&shared, output);
            }
            let _ = finish.send(());
        })?;
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        writer: thread.thread().clone(),
    });
    // The thread is alive and waiting on the channel: the send cannot fail.
    let _ = hand_over.send(Arc::clone(&shared));
    Ok((
        BatchedLog {
            shared: Arc::clone(&shared),
        },
        FlushGuard {
            shared,
            finished,
            thread: Some(thread),
        },
    ))
}

/// The writer thread: swap the buffer out, write it, wait a window for more; park when idle.
fn write_batches<W: Write>(shared: &Shared, mut output: W) {
    let mut batch = Vec::new();
    loop {
        let (closed, dropped) = {
            let mut pending = shared.lock();
            std::mem::swap(&mut pending.bytes, &mut batch);
            (pending.closed, std::mem::take(&mut pending.dropped))
        };
        let wrote = !batch.is_empty();
        // A failed write (stderr closed) loses those lines; the server keeps serving.
        let _ = output.write_all(&batch);
        if dropped > 0 {
            let _ = writeln!(
                output,
                "codeartifact-mock: {dropped} log lines dropped: the log output could not keep up"
            );
        }
        let _ = output.flush();
        batch.clear();
        if batch.capacity() > KEPT_CAPACITY {
            batch = Vec::new();
        }
        if closed {
            return;
        }
        if wrote {
            thread::sleep(BATCH_WINDOW);
        } else {
            thread::park();
        }
    }
}

/// One event's writer: tracing-subscriber formats the event, then writes it here at once.
#[derive(Debug)]
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.shared.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedLog {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output the test can read, optionally blocked until released.
    #[derive(Clone, Default)]
    struct Captured {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<Mutex<usize>>,
    }

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes.lock().unwrap().extend_from_slice(buf);
            *self.writes.lock().unwrap() += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn text(captured: &Captured) -> String {
        String::from_utf8(captured.bytes.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_is_dropped() {
        let captured = Captured::default();
        let (log, guard) = batched(captured.clone()).unwrap();
        let expected: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        for i in 0..10_000 {
            writeln!(log.make_writer(), "line {i}").unwrap();
        }
        drop(guard);
        assert_eq!(text(&captured), expected);
    }

    #[test]
    fn lines_are_written_in_batches_not_one_write_each() {
        let captured = Captured::default();
        let (log, guard) = batched(captured.clone()).unwrap();
        for i in 0..1_000 {
            writeln!(log.make_writer(), "line {i}").unwrap();
        }
        drop(guard);
        let writes = *captured.writes.lock().unwrap();
        assert!(writes < 100, "{writes} writes for 1,000 lines");
    }

    #[test]
    fn a_line_reaches_the_output_without_waiting_for_exit() {
        let captured = Captured::default();
        let (log, _guard) = batched(captured.clone()).unwrap();
        writeln!(log.make_writer(), "hello").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while text(&captured) != "hello\n" {
            assert!(
                std::time::Instant::now() < deadline,
                "the line was never written"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn lines_from_many_threads_arrive_whole() {
        let captured = Captured::default();
        let (log, guard) = batched(captured.clone()).unwrap();
        thread::scope(|scope| {
            for t in 0..4 {
                let log = log.clone();
                scope.spawn(move || {
                    for i in 0..2_000 {
                        // One write per line, as tracing-subscriber does.
                        let line = format!("thread {t} line {i}\n");
                        log.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                });
            }
        });
        drop(guard);
        let text = text(&captured);
        assert_eq!(text.lines().count(), 8_000);
        for t in 0..4 {
            let own: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<String> =
                (0..2_000).map(|i| format!("thread {t} line {i}")).collect();
            assert!(
                own == expected,
                "thread {t}'s lines are not whole or not in order"
            );
        }
    }

    /// An output that blocks every write until the test releases it.
    struct Blocked {
        release: mpsc::Receiver<()>,
        inner: Captured,
    }

    impl Write for Blocked {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _ = self.release.recv();
            self.inner.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_output_drops_lines_past_the_bound_and_says_so() {
        let captured = Captured::default();
        let (release, released) = mpsc::channel();
        let (log, guard) = batched(Blocked {
            release: released,
            inner: captured.clone(),
        })
        .unwrap();
        // The first line wakes the writer, which then blocks writing it.
        writeln!(log.make_writer(), "first").unwrap();
        while !log.shared.lock().bytes.is_empty() {
            thread::yield_now();
        }
        let mut line = vec![b'x'; 1023];
        line.push(b'\n');
        for _ in 0..2 * MAX_PENDING_BYTES / line.len() {
            log.make_writer().write_all(&line).unwrap();
        }
        assert!(
            log.shared.lock().bytes.len() <= MAX_PENDING_BYTES,
            "the buffer stays bounded"
        );
        assert!(
            log.shared.lock().dropped > 0,
            "lines past the bound are dropped"
        );
        // Let every write through, then close.
        drop(release);
        drop(guard);
        let text = text(&captured);
        assert!(text.starts_with("first\nxxx"), "the queued lines follow");
        let kept = text.lines().filter(|l| l.starts_with('x')).count();
        assert!(
            kept > 0 && kept < 2 * MAX_PENDING_BYTES / 1024,
            "{kept} lines kept"
        );
        assert!(
            text.contains("log lines dropped: the log output could not keep up"),
            "the drop is reported"
        );
    }
}
