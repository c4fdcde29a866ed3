//! What the fuzz targets share: JSON string quoting for the bodies they write, the
//! `AZMI_FUZZ_LENIENT` waiver, and (with `core/tests/robustness.rs`) the environments and
//! transport failures that drive a flow of any source.

use std::sync::OnceLock;

#[path = "../../tests/support/flow_inputs.rs"]
mod flow_inputs;

pub use flow_inputs::{env_for, transport};

/// `s` as a JSON string literal: quotes, backslashes and control characters escaped.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `AZMI_FUZZ_LENIENT` (comma-separated) waives the check for a known, reported
/// `finding`, so a campaign can look past it. Each target lists the findings it knows.
pub fn lenient(finding: &str) -> bool {
    static WAIVED: OnceLock<Vec<String>> = OnceLock::new();
    WAIVED
        .get_or_init(|| {
            let var = std::env::var("AZMI_FUZZ_LENIENT").unwrap_or_default();
            var.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
        })
        .iter()
        .any(|w| w == finding)
}
