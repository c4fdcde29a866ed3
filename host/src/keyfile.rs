//! Reading the Azure Arc key file the core names, bounded and confined.
//!
//! The core has already checked the path's text (directly in the key directory, a `.key` name,
//! no `..`). What text cannot show is checked here, on the file itself: the name is opened
//! inside the canonical directory without following a symbolic link (a `*.key` link to a file
//! elsewhere would send that file as the Basic credential) and without blocking (a FIFO would
//! hold `open` past any deadline); it must be a regular file; at most the cap is read.
//!
//! On Windows the name is opened as itself with `FILE_FLAG_OPEN_REPARSE_POINT` (a symbolic
//! link, junction or other reparse point is not followed; the handle is to the point itself,
//! which the checks then refuse); the checks read the opened handle, so nothing can be swapped
//! in between. The core has already refused device names and alternate data streams.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use azmi_core::FileFailure;

/// Reads the key file at `path` if it is a regular file of at most `max_bytes`, directly inside
/// its (canonical) directory.
pub(crate) fn read_capped(path: &str, max_bytes: u64) -> Result<Vec<u8>, FileFailure> {
    let inside = confined(Path::new(path))?;
    let file = open_plain(&inside).map_err(failure)?;
    let meta = file.metadata().map_err(failure)?;
    judge(path, &Facts::of(&meta), max_bytes)?;
    let mut contents = Vec::new();
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut contents).map_err(failure)?;
    // The file may have grown after fstat.
    if contents.len() as u64 > max_bytes {
        return Err(FileFailure::TooLarge);
    }
    Ok(contents)
}

/// What the checks need to know about the opened file, from its handle.
#[derive(Debug, Clone, Copy)]
struct Facts {
    /// A symbolic link, junction or other reparse point (opened as itself, not followed).
    link: bool,
    regular: bool,
    len: u64,
}

impl Facts {
    fn of(meta: &std::fs::Metadata) -> Self {
        Facts {
            link: meta.file_type().is_symlink() || is_reparse_point(meta),
            regular: meta.is_file(),
            len: meta.len(),
        }
    }
}

/// The decision on an opened key file: a link is refused unread, then anything but a regular
/// file, then a file over the cap.
fn judge(path: &str, facts: &Facts, max_bytes: u64) -> Result<(), FileFailure> {
    if facts.link {
        return Err(FileFailure::Other(format!(
            "the Azure Arc key file {path} is a symbolic link or other reparse point; it is not followed"
        )));
    }
    if !facts.regular {
        return Err(FileFailure::Other(format!(
            "the Azure Arc key file {path} is not a regular file; only the agent's key files are read"
        )));
    }
    if facts.len > max_bytes {
        return Err(FileFailure::TooLarge);
    }
    Ok(())
}

#[cfg(windows)]
fn is_reparse_point(meta: &std::fs::Metadata) -> bool {
    use std::os::windows::fs::MetadataExt;
    const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;
    meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0
}

#[cfg(not(windows))]
fn is_reparse_point(_: &std::fs::Metadata) -> bool {
    false
}

/// `path` rebuilt as the canonical key directory plus the bare file name, so that no link in
/// the directory part can move the file elsewhere unnoticed and the name itself is opened as is.
fn confined(path: &Path) -> Result<PathBuf, FileFailure> {
    let not_plain = || {
        FileFailure::Other(format!(
            "the Azure Arc key path {} is not a file name inside a directory",
            path.display()
        ))
    };
    let name = path.file_name().ok_or_else(not_plain)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).ok_or_else(not_plain)?;
    let dir = dir.canonicalize().map_err(failure)?;
    Ok(dir.join(name))
}

/// Opens without following a final symbolic link and without blocking on a FIFO or device.
#[cfg(unix)]
fn open_plain(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

/// Opens the name itself: a reparse point (symbolic link, junction) is opened, not followed, so
/// the checks on the handle see it and refuse it.
#[cfg(windows)]
fn open_plain(path: &Path) -> std::io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
    std::fs::OpenOptions::new().read(true).custom_flags(FILE_FLAG_OPEN_REPARSE_POINT).open(path)
}

/// Elsewhere: refuse a link seen before opening; the checks after opening stay.
#[cfg(not(any(unix, windows)))]
fn open_plain(path: &Path) -> std::io::Result<File> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("the key file is a symbolic link"));
    }
    File::open(path)
}

fn failure(e: std::io::Error) -> FileFailure {
    match e.kind() {
        std::io::ErrorKind::NotFound => FileFailure::NotFound,
        std::io::ErrorKind::PermissionDenied => FileFailure::PermissionDenied,
        // O_NOFOLLOW on a link fails with ELOOP.
        _ if is_link_refused(&e) => FileFailure::Other(
            "the Azure Arc key file is a symbolic link; it is not followed".into(),
        ),
        _ => FileFailure::Other(e.to_string()),
    }
}

#[cfg(unix)]
fn is_link_refused(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_link_refused(_: &std::io::Error) -> bool {
    false
}

/// The decision, on every platform: what Windows' handle reports (a reparse point) is judged
/// here by the same function as what Linux's fstat reports.
#[cfg(test)]
mod decision_tests {
    use super::*;

    fn facts(link: bool, regular: bool, len: u64) -> Facts {
        Facts { link, regular, len }
    }

    #[test]
    fn a_regular_file_within_the_cap_is_read() {
        assert_eq!(judge("k.key", &facts(false, true, 4096), 4096), Ok(()));
        assert_eq!(judge("k.key", &facts(false, true, 0), 4096), Ok(()));
    }

    #[test]
    fn a_reparse_point_is_refused_whatever_it_points_at() {
        for regular in [true, false] {
            match judge("k.key", &facts(true, regular, 10), 4096) {
                Err(FileFailure::Other(text)) => assert!(text.contains("reparse point"), "{text}"),
                other => panic!("a link was accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn anything_but_a_regular_file_is_refused_before_its_size() {
        match judge("k.key", &facts(false, false, 1 << 40), 4096) {
            Err(FileFailure::Other(text)) => assert!(text.contains("not a regular file"), "{text}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_byte_over_the_cap_is_too_large() {
        assert_eq!(judge("k.key", &facts(false, true, 4097), 4096), Err(FileFailure::TooLarge));
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A fresh key directory under the temp dir, removed when dropped.
    struct KeyDir(PathBuf);

    impl KeyDir {
        fn new(tag: &str) -> Self {
            let unique = format!(
                "azmi-keyfile-{tag}-{}-{:?}",
                std::process::id(),
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap()
            );
            let dir = std::env::temp_dir().join(unique);
            std::fs::create_dir(&dir).unwrap();
            KeyDir(dir)
        }
        fn path(&self, name: &str) -> String {
            self.0.join(name).to_str().unwrap().to_owned()
        }
    }

    impl Drop for KeyDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn reads_a_regular_key_file() {
        let dir = KeyDir::new("ok");
        std::fs::write(dir.path("a.key"), b"secret-key").unwrap();
        assert_eq!(read_capped(&dir.path("a.key"), 4096).unwrap(), b"secret-key");
    }

    #[test]
    fn a_fifo_fails_at_once() {
        let dir = KeyDir::new("fifo");
        let fifo = std::ffi::CString::new(dir.path("a.key")).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let path = dir.path("a.key");
        let started = Instant::now();
        // On a thread, so a blocking open fails the test instead of hanging it.
        std::thread::spawn(move || tx.send(read_capped(&path, 4096)));
        let got = rx.recv_timeout(Duration::from_secs(1)).expect("the read blocked on a FIFO");
        assert!(matches!(got, Err(FileFailure::Other(_))), "{got:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_symbolic_link_is_refused_unread() {
        let dir = KeyDir::new("link");
        let outside = KeyDir::new("outside");
        std::fs::write(outside.path("secret.txt"), b"outside-content").unwrap();
        std::os::unix::fs::symlink(outside.path("secret.txt"), dir.path("a.key")).unwrap();
        let got = read_capped(&dir.path("a.key"), 4096);
        match got {
            Err(FileFailure::Other(text)) => {
                assert!(text.contains("symbolic link"), "{text}");
                assert!(!text.contains("outside-content"));
            }
            other => panic!("a link was followed: {other:?}"),
        }
    }

    #[test]
    fn a_directory_is_not_a_key_file() {
        let dir = KeyDir::new("dir");
        std::fs::create_dir(dir.path("a.key")).unwrap();
        assert!(matches!(read_capped(&dir.path("a.key"), 4096), Err(FileFailure::Other(_))));
    }

    #[test]
    fn a_file_over_the_cap_is_too_large() {
        let dir = KeyDir::new("big");
        std::fs::write(dir.path("a.key"), vec![b'k'; 4097]).unwrap();
        assert_eq!(read_capped(&dir.path("a.key"), 4096), Err(FileFailure::TooLarge));
        std::fs::write(dir.path("b.key"), vec![b'k'; 4096]).unwrap();
        assert_eq!(read_capped(&dir.path("b.key"), 4096).unwrap().len(), 4096);
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let dir = KeyDir::new("missing");
        assert_eq!(read_capped(&dir.path("a.key"), 4096), Err(FileFailure::NotFound));
    }
}
