//! Azure Arc's proof of local access: the agent writes a random secret to a file only local
//! administrators can read and names the file in a `401` challenge; the client proves it could
//! read it by sending the contents back as `Authorization: Basic <secret>`.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Challenges kept valid at once; older key files are deleted.
const MAX_KEYS: usize = 64;

pub(crate) struct ArcKeys {
    dir: PathBuf,
    /// Whether the directory is ours to delete (a temp dir we made) or the caller's.
    owned: bool,
    issued: VecDeque<(PathBuf, String)>,
}

impl ArcKeys {
    /// Keys go to `configured` (created if missing, kept by [`ArcKeys::remove_dir`]) or else to a
    /// fresh private directory under the system temp dir (the stand-in for
    /// `/var/opt/azcmagent/tokens`), which [`ArcKeys::remove_dir`] deletes.
    pub fn create(configured: Option<&Path>) -> io::Result<ArcKeys> {
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        let (dir, owned) = match configured {
            Some(dir) => {
                builder.recursive(true).create(dir)?;
                (dir.to_path_buf(), false)
            }
            None => {
                let dir = std::env::temp_dir()
                    .join(format!("azmi-emulator-arc-{}", crate::random::hex(8)));
                builder.create(&dir)?;
                (dir, true)
            }
        };
        Ok(ArcKeys { dir, owned, issued: VecDeque::new() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a new key file and returns its path for the `WWW-Authenticate` realm. Secrets stay
    /// valid until [`MAX_KEYS`] newer ones exist, so a client may retry its second leg.
    pub fn challenge(&mut self) -> io::Result<PathBuf> {
        let path = self.dir.join(format!("{}.key", crate::random::hex(16)));
        let secret = crate::random::hex(32);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&path)?.write_all(secret.as_bytes())?;
        self.issued.push_back((path.clone(), secret));
        while self.issued.len() > MAX_KEYS {
            if let Some((old, _)) = self.issued.pop_front() {
                let _ = fs::remove_file(old);
            }
        }
        Ok(path)
    }

    /// Whether `secret` is the contents of a key file this emulator wrote.
    pub fn accepts(&self, secret: &str) -> bool {
        !secret.is_empty() && self.issued.iter().any(|(_, s)| s == secret)
    }

    /// Deletes our directory, or in a configured one just the key files we wrote.
    pub fn remove_dir(&self) {
        if self.owned {
            let _ = fs::remove_dir_all(&self.dir);
        } else {
            for (path, _) in &self.issued {
                let _ = fs::remove_file(path);
            }
        }
    }
}
