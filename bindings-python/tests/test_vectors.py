"""Every shared vector in tests/vectors/ (schema: its README) through azmi's Python sans-IO API
(`azmi.sansio`): the same cases the Rust core runs, checked here in Python."""

import json
import pathlib
from urllib.parse import parse_qsl, urlsplit

import pytest

from azmi import sansio

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors"
FILES = sorted(VECTORS.glob("*.json"))
DEFAULT_START = 1_700_000_000_000


class Mismatch(AssertionError):
    pass


def expect(what, want, got):
    if want != got:
        raise Mismatch(f"{what}: expected {want!r}, got {got!r}")


def test_there_are_vectors():
    assert len(FILES) >= 300, f"only {len(FILES)} vectors in {VECTORS}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_vector(path):
    case = json.loads(path.read_text())
    run = {"flow": run_flow, "detect": run_detect, "cache": run_cache, "arm": run_arm}
    run[case["kind"]](case)


# --- token flows -------------------------------------------------------------------------------


def run_flow(case):
    now = case.get("start_ms", DEFAULT_START)
    arc = bool(case.get("arc_agent_installed"))
    try:
        flow = sansio.TokenFlow(case.get("config", {}), case.get("env", {}), now,
                                arc_agent_installed=arc)
    except ValueError as e:  # azmi.ConfigurationError is a ValueError with code "config"
        return check_error(case["outcome"], getattr(e, "code", "bad_input"), str(e), None)
    for i, step in enumerate(case.get("steps", [])):
        try:
            now = flow_step(flow, step, now, arc)
        except Mismatch as e:
            raise Mismatch(f"step {i}: {e}") from None
    action = flow.poll(now)
    if "done" not in action:
        raise Mismatch(f"after the last step expected done, got {sorted(action)}")
    check_token_outcome(case["outcome"], action["done"])


def flow_step(flow, step, now, arc):
    if "env" in step:
        flow.handle_env(step["env"], arc_agent_installed=arc)
        return now
    if "advance_ms" in step:
        return now + step["advance_ms"]
    action = flow.poll(now)
    if "send" in step:
        return answer(flow, step, action, now)
    if "wait_ms" in step:
        return take_wait(step, action, now)
    if "read_file" in step:
        read = action.get("read_file")
        if read is None:
            raise Mismatch(f"expected read_file, got {sorted(action)}")
        expect("read_file.path", step["read_file"]["path"], read["path"])
        if "max_bytes" in step["read_file"]:
            expect("read_file.max_bytes", step["read_file"]["max_bytes"], read["max_bytes"])
        if "file" in step:
            flow.handle_file(read["id"], now, contents=step["file"].encode())
        else:
            flow.handle_file(read["id"], now, error=step["file_error"])
        return now
    raise Mismatch(f"unknown step {step}")


def answer(flow, step, action, now):
    """Checks the send against the step, moves the clock, hands over the answer."""
    send = action.get("send")
    if send is None:
        raise Mismatch(f"expected send, got {action}")
    check_send(step["send"], send)
    now += step.get("elapsed_ms", 0)
    if "response" in step:
        flow.handle_response(send["id"], step["response"], now)
    else:
        flow.handle_transport_error(send["id"], step["transport_error"], now)
    return now


def take_wait(step, action, now):
    until = action.get("wait_until_ms")
    if until is None:
        raise Mismatch(f"expected wait_until_ms, got {sorted(action)}")
    lo, hi = step["wait_ms"] if isinstance(step["wait_ms"], list) else [step["wait_ms"]] * 2
    if not lo <= until - now <= hi:
        raise Mismatch(f"expected a wait of {lo}..={hi} ms, got {until - now} ms")
    return until


def check_send(want, got):
    url = urlsplit(got["url"])
    if "method" in want:
        expect("method", want["method"], got["method"])
    if "url" in want:
        expect("url", want["url"], f"{url.scheme}://{url.netloc}{url.path}")
    if "query" in want:
        expect("query", strings(want["query"]), dict(parse_qsl(url.query)))
    if "form" in want:
        expect("form", strings(want["form"]), dict(parse_qsl(got["body"])))
    elif "json" in want:
        expect("json body", want["json"], json.loads(got["body"]))
    elif got["body"] and "method" in want:
        raise Mismatch(f"unexpected body {got['body']!r}")
    headers = {k.lower(): v for k, v in got["headers"].items()}
    for name, value in want.get("headers", {}).items():
        expect(f"header {name}", value, headers.get(name.lower()))
    for name in want.get("absent_headers", []):
        if name.lower() in headers:
            raise Mismatch(f"header {name} must be absent")
    if "timeout_ms" in want:
        expect("timeout_ms", want["timeout_ms"], got["timeout_ms"])
    if "tls_pin" in want:
        expect("tls_pin", want["tls_pin"], got["tls_pin"])


def strings(mapping):
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in mapping.items()}


def check_token_outcome(want, done):
    if "error" in done:
        e = done["error"]
        return check_error(want, e["code"], e["message"], len(e["attempts"]))
    token = done["token"]
    if "token" not in want:
        raise Mismatch(f"expected {want}, got a token expiring at {token['expires_on_ms']}")
    for field in ("access_token", "token_type", "expires_on_ms", "refresh_on_ms", "resource"):
        if field in want["token"]:
            expect(field, want["token"][field], token[field])


def check_error(want, code, message, attempts):
    if "error" not in want:
        raise Mismatch(f"expected {want}, got error {code}: {message}")
    want = want["error"]
    expect("error code", want["code"], code)
    if "attempts" in want and attempts is not None:
        expect("attempts", want["attempts"], attempts)
    for s in want.get("message_contains", []):
        if s not in message:
            raise Mismatch(f"message {message!r} lacks {s!r}")
    for s in want.get("message_excludes", []):
        if s in message:
            raise Mismatch(f"message {message!r} contains {s!r}")


# --- detection ---------------------------------------------------------------------------------


def run_detect(case):
    arc = bool(case.get("arc_agent_installed"))
    config, env, want = case.get("config", {}), case.get("env", {}), case["outcome"]
    if "error" in want:
        # A detection that cannot resolve is a config error when the flow is built.
        config = dict(config, resource="https://management.azure.com/")
        with pytest.raises(ValueError) as raised:
            sansio.TokenFlow(config, env, DEFAULT_START, arc_agent_installed=arc)
        return check_error(want, raised.value.code, str(raised.value), None)
    got = sansio.detect(config, env, arc_agent_installed=arc)
    expect("source", want["source"], got["source"])
    if "decided_by" in want:
        expect("decided_by", set(want["decided_by"]), set(got["decided_by"]))
    if "forced" in want:
        expect("forced", want["forced"], got["forced"])


# --- the cache ---------------------------------------------------------------------------------


def run_cache(case):
    start = case.get("start_ms", DEFAULT_START)
    cache = sansio.TokenCache()
    tickets, waiters = {}, {}
    for i, op in enumerate(case["ops"]):
        now = start + op.get("at_ms", 0)
        try:
            cache_op(cache, case["keys"], op, now, start, tickets, waiters)
        except Mismatch as e:
            raise Mismatch(f"op {i}: {e}") from None


def cache_op(cache, keys, op, now, start, tickets, waiters):
    if "lookup" in op:
        got = cache.lookup(keys[op["lookup"]], now)
        want = op["expect"]
        kind = next(k for k in ("fresh", "stale", "fetch", "wait") if k in got)
        kind = "stale_refresh" if got.get("ticket") is not None else kind
        expect("lookup", want, kind)
        if want in ("fresh", "stale", "stale_refresh"):
            token = got.get("fresh") or got["stale"]
            expect("access_token", op.get("access_token"), token["access_token"])
        if want in ("fetch", "stale_refresh"):
            tickets[op["ticket"]] = got.get("fetch") or got["ticket"]
        if want == "wait":
            waiters[op["waiter"]] = got["wait"]
    elif "complete" in op:
        if "token" in op:
            token = dict(op["token"])
            token["expires_on_ms"] += start
            if "refresh_on_ms" in token:
                token["refresh_on_ms"] += start
            result = {"token": token}
        else:
            result = {"error": op["error"]}  # the wire form, handed over as the vector gives it
        cache.complete(tickets.pop(op["complete"]), result, now)
    elif "poll_wait" in op:
        got = cache.poll_wait(waiters[op["poll_wait"]], now)
        kind = next(iter(got))
        expect("poll_wait", op["expect"], kind)
        if kind == "token":
            expect("access_token", op.get("access_token"), got["token"]["access_token"])
        if kind == "error":
            expect("code", op.get("code"), got["error"]["code"])
    else:
        raise Mismatch(f"unknown op {op}")


# --- ARM ---------------------------------------------------------------------------------------


def run_arm(case):
    config, want = case.get("config", {}), case["outcome"]
    cloud = case.get("cloud")
    now = case.get("start_ms", DEFAULT_START)
    try:
        if "resume" in case:
            flow = sansio.ArmFlow.resume(case["resume"], now, config=config, cloud=cloud)
        else:
            flow = sansio.ArmFlow(case["operation"], now, config=config, cloud=cloud)
    except ValueError as e:
        return check_error(want, getattr(e, "code", "bad_input"), str(e), None)
    for i, step in enumerate(case.get("steps", [])):
        try:
            now, flow = arm_step(flow, step, now, config, cloud)
        except Mismatch as e:
            raise Mismatch(f"step {i}: {e}") from None
    action = flow.poll(now)
    if "done" not in action:
        raise Mismatch(f"after the last step expected done, got {sorted(action)}")
    check_arm_outcome(want, action["done"])


def arm_step(flow, step, now, config, cloud):
    if "advance_ms" in step:
        return now + step["advance_ms"], flow
    if "continuation" in step:
        token = flow.continuation_token()
        if token is None:
            raise Mismatch("no continuation token")
        return now, sansio.ArmFlow.resume(token, now, config=config, cloud=cloud)
    action = flow.poll(now)
    if "token" in step:
        need = action.get("need_token")
        if need is None:
            raise Mismatch(f"expected need_token, got {sorted(action)}")
        expect("token resource", step["token"]["resource"], need["resource"])
        expect("token refresh", step["token"].get("refresh", False), need["refresh"])
        if "give" in step:
            token = {"access_token": step["give"], "expires_on_ms": now + 3_600_000,
                     "refresh_on_ms": now + 3_300_000}
            flow.handle_token({"token": token}, now)
        else:
            flow.handle_token({"error": step["give_error"]}, now)  # the wire form, verbatim
        return now, flow
    if "send" in step:
        return answer(flow, step, action, now), flow
    if "wait_ms" in step:
        return take_wait(step, action, now), flow
    raise Mismatch(f"unknown step {step}")


def check_arm_outcome(want, done):
    if "error" in done:
        return check_arm_error(want, done["error"])
    if "response" in done:
        if "response" not in want:
            raise Mismatch(f"expected {want}, got a response {done['response']['status']}")
        r = done["response"]
        if "status" in want["response"]:
            expect("status", want["response"]["status"], r["status"])
        if "body" in want["response"]:
            expect("body", want["response"]["body"], r["body"])
        return check_extras(want, r)
    if "items" in done:
        expect("items", want.get("items"), done["items"])
        return check_extras(want, done["last"])
    if "exists" in done:
        expect("exists", want.get("exists"), done["exists"])
        return check_extras(want, done["last"])
    expect("cloud", want.get("cloud"), done["cloud"])


def check_extras(want, last):
    for name, value in want.get("rate_limits", {}).items():
        expect(f"rate limit {name}", value, last["rate_limits"].get(name))
    if "request_id" in want:
        expect("request_id", want["request_id"], last["request_id"])


def check_arm_error(want, e):
    check_error(want, e["code"], e["message"], None)
    want = want["error"]
    for field in ("status", "arm_code", "target", "details_count", "request_id",
                  "correlation_id"):
        if field in want:
            expect(field, want[field], e[field])
