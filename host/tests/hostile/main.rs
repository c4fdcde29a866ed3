//! The standing hostile-endpoint suite, native part (issue 13): identity sources and the ARM
//! client run against a loopback server that stays silent, trickles, floods, redirects, echoes
//! secrets, answers HTML or bytes that are not UTF-8, or hands out tokens with hostile expiry.
//! Every case asserts a typed error with a stable code, within the deadline, and no secret
//! header value or token in the error's Display or Debug.
//! Run in a loopback-only namespace; nothing leaves 127.0.0.1.

mod common;
mod server;

mod arm;
mod identity;
