//! When `azmi emulate` stops: at the end of `--duration`, on SIGINT, SIGTERM or SIGHUP (so the
//! emulator removes its temp files, as `kill $AZMI_EMULATOR_PID` expects), or when the command
//! of `-- CMD` ends. The signals are blocked in every thread and taken by one thread in
//! `sigwait`, so no code runs in a signal handler.

use std::process::{Child, ExitStatus};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::Failure;

enum Event {
    /// Only Unix delivers stop signals here; on Windows Ctrl-C ends the process as usual.
    #[cfg_attr(not(unix), allow(dead_code))]
    Signal(i32),
    Exited(std::io::Result<ExitStatus>),
}

pub(super) struct Signals {
    tx: Sender<Event>,
    rx: Receiver<Event>,
}

impl Signals {
    /// Blocks the stop signals in this thread (and so in every thread started after) and starts
    /// the thread that takes them. Call before any other thread exists.
    pub(super) fn catch() -> Signals {
        let (tx, rx) = channel();
        #[cfg(unix)]
        unix::catch(tx.clone());
        Signals { tx, rx }
    }

    /// Returns after `limit`, or at the first stop signal.
    pub(super) fn wait(&self, limit: Option<Duration>) {
        let deadline = limit.map(|d| Instant::now() + d);
        loop {
            let event = match deadline {
                None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(at) => self.rx.recv_timeout(at.saturating_duration_since(Instant::now())),
            };
            match event {
                Ok(Event::Signal(_)) | Err(_) => return,
                Ok(Event::Exited(_)) => {}
            }
        }
    }

    /// Waits for `child`, passing SIGTERM and SIGHUP on to it (Ctrl-C reaches it from the
    /// terminal by itself).
    pub(super) fn wait_for_child(&self, mut child: Child) -> Result<ExitStatus, Failure> {
        let pid = child.id();
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(Event::Exited(child.wait()));
        });
        loop {
            match self.rx.recv() {
                Ok(Event::Exited(status)) => return Ok(status?),
                Ok(Event::Signal(signal)) => {
                    #[cfg(unix)]
                    unix::forward(pid, signal);
                    let _ = (pid, signal);
                }
                Err(_) => return Err(Failure::new("io", "lost track of the command")),
            }
        }
    }
}

/// The status a shell would report: the exit code, or 128 + the signal that ended it.
pub(super) fn exit_code(status: ExitStatus) -> i32 {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return 128 + signal;
    }
    status.code().unwrap_or(1)
}

/// Points stdout at /dev/null, so whoever reads it (`$(…)`, a pipe) sees its end while the
/// emulator goes on serving.
pub(super) fn close_stdout() {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    #[cfg(unix)]
    unix::close_stdout();
}

#[cfg(unix)]
mod unix {
    use std::os::fd::AsRawFd;
    use std::sync::mpsc::Sender;

    use super::Event;

    const STOP: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    fn stop_set() -> libc::sigset_t {
        // SAFETY: sigemptyset initialises the set before sigaddset reads it.
        unsafe {
            let mut set = std::mem::zeroed::<libc::sigset_t>();
            libc::sigemptyset(&mut set);
            for signal in STOP {
                libc::sigaddset(&mut set, signal);
            }
            set
        }
    }

    pub(super) fn catch(tx: Sender<Event>) {
        let set = stop_set();
        // SAFETY: a valid, initialised set; the old mask is not wanted. Children get a clean
        // mask from std's spawn.
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        let spawned = std::thread::Builder::new().name("azmi-signals".into()).spawn(move || loop {
            let mut signal = 0;
            // SAFETY: `set` is valid and the stop signals are blocked in every thread.
            if unsafe { libc::sigwait(&set, &mut signal) } == 0
                && tx.send(Event::Signal(signal)).is_err()
            {
                return;
            }
        });
        if spawned.is_err() {
            // Without the thread, the default actions must stay in force.
            // SAFETY: as above.
            unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
        }
    }

    pub(super) fn forward(pid: u32, signal: i32) {
        if signal != libc::SIGINT {
            if let Ok(pid) = i32::try_from(pid) {
                // SAFETY: plain kill(2) on our own child.
                unsafe { libc::kill(pid, signal) };
            }
        }
    }

    pub(super) fn close_stdout() {
        if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
            // SAFETY: both descriptors are open; dup2 replaces fd 1 atomically.
            unsafe { libc::dup2(null.as_raw_fd(), libc::STDOUT_FILENO) };
        }
    }
}
