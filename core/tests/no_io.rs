//! The core does no I/O: no sockets, files, environment, clocks, threads, sleeps or ambient
//! randomness. This test reads the core's sources and its dependency list and fails on any of it.

use std::path::Path;

/// Text that means I/O or ambient state, and why it is banned.
const BANNED: &[(&str, &str)] = &[
    ("std::net", "sockets"),
    ("std::fs", "files"),
    ("std::env", "environment reads"),
    ("std::process", "processes"),
    ("std::thread", "threads"),
    ("SystemTime::now", "clock reads"),
    ("Instant::now", "clock reads"),
    ("sleep(", "sleeping"),
    ("fastrand::u", "unseeded randomness"),
    ("fastrand::f", "unseeded randomness"),
    ("Rng::new(", "unseeded randomness"),
    ("getrandom", "OS randomness"),
    ("std::io::std", "standard streams"),
    ("println!", "standard streams"),
    ("eprintln!", "standard streams"),
];

/// The only crates the core may depend on: none of them does I/O.
const ALLOWED_DEPS: &[&str] = &[
    "http",
    "serde",
    "serde_json",
    "serde_path_to_error",
    "thiserror",
    "base64",
    "chrono",
    "fastrand",
    "foldhash",
    "form_urlencoded",
    "httpdate",
];

#[test]
fn core_sources_do_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offences = Vec::new();
    let mut files = 0;
    visit(&src, &mut |path, text| {
        files += 1;
        // Unit tests at the bottom of a file may use anything.
        let code = text.split("#[cfg(test)]").next().unwrap_or(text);
        for (needle, why) in BANNED {
            if code.contains(needle) {
                offences.push(format!("{}: {needle} ({why})", path.display()));
            }
        }
    });
    assert!(files >= 10, "read only {files} source files");
    assert!(offences.is_empty(), "the core must not do I/O:\n{}", offences.join("\n"));
}

#[test]
fn core_depends_on_no_io_crates() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    for line in deps.lines().filter(|l| l.contains('=')) {
        let name = line.split('=').next().unwrap().trim().trim_end_matches(".workspace");
        assert!(
            ALLOWED_DEPS.contains(&name),
            "core dependency {name} is not on the no-I/O allow-list"
        );
    }
}

fn visit(dir: &Path, f: &mut dyn FnMut(&Path, &str)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, f);
        } else if path.extension().is_some_and(|e| e == "rs") {
            f(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}
