//! `--background`: the same command again, minus `--background`, as a detached process (its own
//! process group, stdin and stderr on /dev/null, stdout a pipe to us). It prints its variables
//! once it is listening and then closes stdout; we pass them on and exit, so
//! `eval "$(azmi emulate --print-env imds --background)"` returns with the emulator running.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

use super::PID_VARIABLE;
use crate::Failure;

/// Making the signing key and certificates takes well under a second; this is for a loaded CI.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) fn start() -> Result<(), Failure> {
    let exe = std::env::current_exe()?;
    let args: Vec<_> = std::env::args_os().skip(1).filter(|a| a != "--background").collect();
    let mut cmd = Command::new(exe);
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    // Out of the terminal's process group: Ctrl-C in the shell does not stop it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn()?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let read = stdout.read_to_string(&mut text);
        let _ = tx.send(read.map(|_| text));
    });
    let text = match rx.recv_timeout(READY_TIMEOUT) {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => {
            return Err(Failure::new("io", format!("reading the emulator's output: {e}")))
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::new(
                "timeout",
                format!(
                    "the background emulator was not ready in {} s; stopped it",
                    READY_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    if !text.contains(PID_VARIABLE) {
        let status = child.wait()?;
        return Err(Failure::new(
            "io",
            format!(
                "the background emulator exited ({status}) before it was ready; run the same \
                 command without --background to see why"
            ),
        ));
    }
    print!("{text}");
    Ok(())
}
