//! Lists: collect each page's `value`, follow `nextLink` until there is none.

use std::collections::HashSet;

use serde_json::Value;

use super::error::{ArmError, ArmErrorKind};

/// Most pages one list may have; a longer list is more likely a loop than data.
const MAX_PAGES: usize = 10_000;

/// The items so far and the links already followed.
#[derive(Debug, Default)]
pub(crate) struct Pager {
    pub(crate) items: Vec<Value>,
    followed: HashSet<String>,
}

/// What to do after a page.
pub(crate) enum Next {
    /// Fetch this link.
    Follow(String),
    /// The list is complete.
    Finished,
}

impl Pager {
    /// Takes one page; says whether there is another, refusing links that go round in circles.
    /// (Links that leave the endpoint are refused where every follow-up URL is: `ArmFlow`.)
    pub(crate) fn accept(&mut self, page: &Value) -> Result<Next, ArmError> {
        let invalid = |problem: &str| {
            ArmError::new(ArmErrorKind::InvalidResponse { problem: problem.to_owned() })
        };
        let items = page
            .get("value")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("a list page has no value array"))?;
        self.items.extend(items.iter().cloned());
        let next =
            page.get("nextLink").and_then(Value::as_str).map(str::trim).filter(|l| !l.is_empty());
        let Some(link) = next else { return Ok(Next::Finished) };
        if self.followed.len() >= MAX_PAGES || !self.followed.insert(link.to_owned()) {
            return Err(invalid(
                "nextLink repeats a page already read (or the list has over 10000 pages)",
            ));
        }
        Ok(Next::Follow(link.to_owned()))
    }
}
