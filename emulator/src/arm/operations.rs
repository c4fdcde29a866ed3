//! Polling long-running operations, through either header a `202` gave: `Azure-AsyncOperation`
//! (a status body) or `Location` (`202` while running, `200` when done). Both count polls.

use serde_json::json;

use super::{arm_error, Ctx};
use crate::config::SubscriptionSpec;
use crate::http_util::Reply;
use crate::shared::lock;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollKind {
    AsyncOperation,
    Location,
}

pub(crate) fn poll(ctx: &Ctx, sub: &SubscriptionSpec, op_id: &str, kind: PollKind) -> Reply {
    if ctx.req.method != http::Method::GET {
        return super::method_not_allowed(&ctx.req.method);
    }
    let mut state = lock(&ctx.shared.arm);
    let Some(op) = state
        .operations
        .get_mut(op_id)
        .filter(|op| op.subscription_id.eq_ignore_ascii_case(&sub.subscription_id))
    else {
        return arm_error(
            404,
            "OperationNotFound",
            &format!("The operation '{op_id}' could not be found."),
        );
    };
    if !op.done {
        op.polls += 1;
        if op.polls > ctx.shared.cfg.lro_polls_until_done {
            op.done = true;
            let key = op.group_key.clone();
            state.remove_group(&key);
            state.save();
        }
    }
    let done = state.operations.get(op_id).is_some_and(|op| op.done);
    drop(state);
    let retry_after = ctx.shared.cfg.lro_retry_after.as_secs().to_string();
    match (kind, done) {
        (PollKind::AsyncOperation, true) => {
            Reply::json(200, &json!({ "name": op_id, "status": "Succeeded" }))
        }
        (PollKind::AsyncOperation, false) => {
            Reply::json(200, &json!({ "name": op_id, "status": "InProgress" }))
                .with_header("retry-after", retry_after)
        }
        (PollKind::Location, true) => Reply::empty(200),
        (PollKind::Location, false) => Reply::empty(202)
            .with_header(
                "location",
                format!(
                    "{}{}?{}",
                    ctx.base,
                    ctx.req.path,
                    ctx.req.raw_query.as_deref().unwrap_or("")
                ),
            )
            .with_header("retry-after", retry_after),
    }
}
