//! The standing hostile-endpoint suite, native part (issue 13): identity sources and the ARM
//! client run against loopback servers (`azmi_emulator::hostile`) that stay silent, trickle,
//! flood, redirect, echo secrets, answer HTML or bytes that are not UTF-8, or hand out tokens
//! with hostile expiry. Every case of `tests/hostile/cases.json` asserts a typed error with a
//! stable code, within the limit, and no secret header value or token in the error's Display or
//! Debug. The component suite runs the same cases on the component engine; Python and Node run
//! the same table through their bindings.
//! Run in a loopback-only namespace; nothing leaves 127.0.0.1.

mod cases;

hostile_tests!(cases, azmi_host::Engine::native);
