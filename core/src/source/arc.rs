//! Azure Arc (the HIMDS agent): two legs. The first request is answered 401 with
//! `WWW-Authenticate: Basic realm=<key file path>`; the caller reads that file (after the checks
//! below) and the same request goes again with `Authorization: Basic <file contents>`.
//!
//! The path comes from the network, so it is checked before anything is read: it must sit
//! directly in the agent's key directory, end in `.key`, and contain no `..`. The size cap is
//! given to the caller so the file is never read whole when it is larger.
//!
//! Where the agent lives differs by platform, and the host says which platform it is on
//! ([`HostOs`]): on Windows the binary is under `%ProgramFiles%` and the key files under
//! `%ProgramData%`, paths compare without regard to ASCII case, and a key file name must not
//! name an alternate data stream (`a:b.key`) or a device (`NUL.key`).

use super::request::GetRequest;
use super::SourceKind;
use crate::env::{EnvSnapshot, HostOs};
use crate::error::ConfigError;
use http::header::HeaderValue;

/// Where the agent listens when only its installation tells us Arc is here.
pub(crate) const DEFAULT_ENDPOINT: &str = "http://localhost:40342/metadata/identity/oauth2/token";
/// Where the agent writes its key files on Linux.
const UNIX_KEY_DIR: &str = "/var/opt/azcmagent/tokens";
/// The agent's binary on Linux.
const UNIX_AGENT: &str = "/opt/azcmagent/bin/himds";
/// Under `%ProgramData%` on Windows: the key files' directory.
const WINDOWS_KEY_DIR: &str = r"AzureConnectedMachineAgent\Tokens";
/// Under `%ProgramFiles%` on Windows: the agent's binary.
const WINDOWS_AGENT: &str = r"AzureConnectedMachineAgent\himds.exe";
/// Names Windows gives to devices whatever the extension (`NUL.key` is the null device).
const WINDOWS_DEVICES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM1", "COM2", "COM3", "COM4", "COM5",
    "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8",
    "LPT9",
];
/// Largest key file accepted.
pub(crate) const MAX_KEY_BYTES: u64 = 4096;

/// Both legs; the second carries the key as its secret, in `Authorization`.
pub(super) const REQUEST: GetRequest =
    GetRequest::new("2020-06-01").metadata().secret_header("authorization");

/// `Authorization: Basic <key>` (hidden from `Debug`); an error when the key file holds
/// something no header can carry.
pub(crate) fn basic_auth(key: &str) -> Result<HeaderValue, ConfigError> {
    let mut v = HeaderValue::from_str(&format!("Basic {}", key.trim())).map_err(|_| {
        ConfigError::InvalidSecret { variable: "the Azure Arc key file".to_owned() }
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The directory key files must be in, and how paths compare on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyDir {
    path: String,
    os: HostOs,
}

impl KeyDir {
    /// `AZMI_ARC_KEY_DIR` if set, else the agent's directory on the host's platform. On Windows
    /// that needs `%ProgramData%`; without it the directory is unknown, which is an error rather
    /// than a guessed `C:\ProgramData`.
    pub(crate) fn resolve(env: &EnvSnapshot) -> Result<Self, ConfigError> {
        let os = env.os();
        let path = match (env.get("AZMI_ARC_KEY_DIR"), os) {
            (Some(dir), _) => dir.to_owned(),
            (None, HostOs::Windows) => {
                let data = env.get("ProgramData").ok_or(ConfigError::MissingVariable {
                    source_kind: SourceKind::AzureArc,
                    variable: "ProgramData".to_owned(),
                })?;
                windows_join(data, WINDOWS_KEY_DIR)
            }
            (None, _) => UNIX_KEY_DIR.to_owned(),
        };
        Ok(KeyDir { path, os })
    }

    /// Whether `dir` (from a challenge) is this directory, as the host's file system sees it.
    fn is(&self, dir: &str) -> bool {
        let ours = self.path.trim_end_matches(['/', '\\']);
        let theirs = dir.trim_end_matches(['/', '\\']);
        match self.os {
            HostOs::Windows => {
                let norm = |p: &str| p.replace('/', "\\").to_ascii_lowercase();
                norm(ours) == norm(theirs)
            }
            _ => ours == theirs,
        }
    }
}

/// Where the agent's binary is on the host's platform (`None` on Windows without
/// `%ProgramFiles%`: nothing to look for).
pub(crate) fn agent_path(env: &EnvSnapshot) -> Option<String> {
    match env.os() {
        HostOs::Windows => env.get("ProgramFiles").map(|p| windows_join(p, WINDOWS_AGENT)),
        _ => Some(UNIX_AGENT.to_owned()),
    }
}

fn windows_join(base: &str, rest: &str) -> String {
    format!("{}\\{rest}", base.trim().trim_end_matches(['/', '\\']))
}

/// The key file path named by a `WWW-Authenticate: Basic realm=<path>` challenge, checked
/// against the key directory. The error says what is wrong with it.
pub(crate) fn key_path(challenge: Option<&str>, key_dir: &KeyDir) -> Result<String, String> {
    let challenge = challenge.ok_or("the 401 challenge has no WWW-Authenticate header")?;
    let lower = challenge.to_ascii_lowercase();
    let at = lower.find("realm=").ok_or("the WWW-Authenticate header has no realm")?;
    let path = challenge[at + "realm=".len()..].trim().trim_matches('"');
    let split = path.rfind(['/', '\\']).ok_or("the key path has no directory")?;
    let (dir, name) = (&path[..split], &path[split + 1..]);
    if path.split(['/', '\\']).any(|part| part == "..") {
        return Err("the key path contains '..'".into());
    }
    if !key_dir.is(dir) {
        return Err(format!("the key file is not in {}", key_dir.path));
    }
    let Some(stem) = name.strip_suffix(".key").filter(|stem| !stem.is_empty()) else {
        return Err("the key file name must end in .key".into());
    };
    if key_dir.os == HostOs::Windows {
        windows_name(stem)?;
    }
    Ok(path.to_owned())
}

/// A Windows key file name opens that file and nothing else: no stream, no device.
fn windows_name(stem: &str) -> Result<(), String> {
    if stem.contains(':') {
        return Err("the key file name names an alternate data stream (':')".into());
    }
    // Windows ignores what follows the first dot, and trailing spaces, when it matches devices.
    let base = stem.split('.').next().unwrap_or(stem).trim_end();
    if WINDOWS_DEVICES.iter().any(|d| d.eq_ignore_ascii_case(base)) {
        return Err(format!("the key file name is the Windows device {base}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = "/var/opt/azcmagent/tokens";

    fn unix() -> KeyDir {
        KeyDir::resolve(&EnvSnapshot::new()).unwrap()
    }

    fn windows() -> KeyDir {
        let env = EnvSnapshot::from_vars([("ProgramData", r"C:\ProgramData\")]);
        KeyDir::resolve(&env.with_os(HostOs::Windows)).unwrap()
    }

    #[test]
    fn accepts_a_key_in_the_directory() {
        let got = key_path(Some("Basic realm=/var/opt/azcmagent/tokens/abc.key"), &unix());
        assert_eq!(got.as_deref(), Ok("/var/opt/azcmagent/tokens/abc.key"));
    }

    #[test]
    fn refuses_paths_outside_or_odd() {
        for bad in [
            "Basic realm=/etc/shadow.key",
            "Basic realm=/var/opt/azcmagent/tokens/../../../etc/x.key",
            "Basic realm=/var/opt/azcmagent/tokens/abc.txt",
            "Basic realm=/var/opt/azcmagent/tokens/.key",
            "Basic realm=/var/opt/azcmagent/tokens/sub/abc.key",
            "Basic realm=/VAR/opt/azcmagent/tokens/abc.key",
            "Basic",
        ] {
            assert!(key_path(Some(bad), &unix()).is_err(), "{bad}");
        }
        assert!(key_path(None, &unix()).is_err());
    }

    #[test]
    fn the_default_directory_follows_the_host_platform() {
        assert_eq!(unix().path, DIR);
        assert_eq!(windows().path, r"C:\ProgramData\AzureConnectedMachineAgent\Tokens");
        let set = EnvSnapshot::from_vars([("AZMI_ARC_KEY_DIR", r"D:\keys")]);
        assert_eq!(KeyDir::resolve(&set.with_os(HostOs::Windows)).unwrap().path, r"D:\keys");
    }

    #[test]
    fn windows_without_program_data_names_the_variable() {
        let err = KeyDir::resolve(&EnvSnapshot::new().with_os(HostOs::Windows)).unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingVariable {
                source_kind: SourceKind::AzureArc,
                variable: "ProgramData".into()
            }
        );
    }

    #[test]
    fn the_agent_binary_follows_the_host_platform() {
        assert_eq!(agent_path(&EnvSnapshot::new()).as_deref(), Some(UNIX_AGENT));
        let env = EnvSnapshot::from_vars([("ProgramFiles", r"C:\Program Files")]);
        assert_eq!(
            agent_path(&env.with_os(HostOs::Windows)).as_deref(),
            Some(r"C:\Program Files\AzureConnectedMachineAgent\himds.exe")
        );
        assert_eq!(agent_path(&EnvSnapshot::new().with_os(HostOs::Windows)), None);
    }

    /// The Windows file system ignores ASCII case and takes either separator.
    #[test]
    fn windows_paths_compare_as_windows_does() {
        for good in [
            r"Basic realm=C:\ProgramData\AzureConnectedMachineAgent\Tokens\abc.key",
            r"Basic realm=c:\programdata\azureconnectedmachineagent\tokens\abc.key",
            r"Basic realm=C:/ProgramData/AzureConnectedMachineAgent/Tokens/abc.key",
        ] {
            let want = good.strip_prefix("Basic realm=").unwrap();
            assert_eq!(key_path(Some(good), &windows()).as_deref(), Ok(want), "{good}");
        }
    }

    #[test]
    fn windows_refuses_streams_devices_and_other_directories() {
        let dir = r"C:\ProgramData\AzureConnectedMachineAgent\Tokens";
        for name in ["abc:stream.key", "NUL.key", "con.key", "COM1.x.key", "aux .key", "a.txt"] {
            let challenge = format!("Basic realm={dir}\\{name}");
            assert!(key_path(Some(&challenge), &windows()).is_err(), "{name}");
        }
        for bad in [
            r"Basic realm=C:\ProgramData\AzureConnectedMachineAgent\Tokens\..\x.key",
            r"Basic realm=C:\ProgramData\AzureConnectedMachineAgent\abc.key",
            r"Basic realm=D:\ProgramData\AzureConnectedMachineAgent\Tokens\abc.key",
            "Basic realm=/var/opt/azcmagent/tokens/abc.key",
        ] {
            assert!(key_path(Some(bad), &windows()).is_err(), "{bad}");
        }
        let ok = format!("Basic realm={dir}\\console.key");
        assert!(key_path(Some(&ok), &windows()).is_ok());
    }
}
