"""azmi's core as sans-IO state machines, for Python code that moves the bytes itself.

An asyncio service with its own HTTP client, a test harness, or anything that wants azmi's
decisions (requests, retries, deadlines, cache, ARM paging and polling) without its transport:

    flow = TokenFlow({"resource": "https://management.azure.com/"}, dict(os.environ), now_ms())
    while True:
        action = flow.poll(now_ms())
        if "send" in action: ...        # send it, then flow.handle_response(id, {...}, now_ms())
        elif "wait_until_ms" in action: ...
        elif "read_file" in action: ... # flow.handle_file(id, now_ms(), contents=b"...")
        else: break                     # action["done"] holds {"token": ...} or {"error": ...}

Actions and arguments are plain dicts; their shapes are documented in ``tests/vectors/README.md``
and in the Rust module ``azmi_core::wire``. ``send`` actions hold secret headers and ``token``
results hold the token: hand them to the transport and the caller, never to a log.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from . import _azmi

__all__ = ["ArmFlow", "TokenCache", "TokenFlow", "detect"]


def _dumps(value: Any) -> str:
    return json.dumps(value)


def detect(config: Dict[str, Any], env: Dict[str, str], *, arc_agent_installed: bool = False) -> Dict[str, Any]:
    """``{"source", "decided_by", "forced", "explain"}``: which source applies, and why."""
    return json.loads(_azmi.detect(_dumps(config), _dumps(env), arc_agent_installed))


class TokenFlow:
    """One token acquisition. ``config`` keys: ``resource`` or ``scopes``, ``client_id`` |
    ``object_id`` | ``resource_id``, ``source``, ``legacy_port``, ``deadline_ms``,
    ``attempt_timeout_ms``, ``connect_timeout_ms``, ``probe_timeout_ms``, ``max_retries``,
    ``initial_delay_ms``, ``max_delay_ms``, ``jitter``, ``seed``."""

    def __init__(
        self,
        config: Dict[str, Any],
        env: Dict[str, str],
        now_ms: int,
        *,
        arc_agent_installed: bool = False,
    ) -> None:
        self._flow = _azmi.TokenFlow(_dumps(config), _dumps(env), now_ms, arc_agent_installed)

    def poll(self, now_ms: int) -> Dict[str, Any]:
        """The next action: ``send``, ``wait_until_ms``, ``read_file`` or ``done``."""
        return json.loads(self._flow.poll(now_ms))

    def handle_response(self, id: int, response: Dict[str, Any], now_ms: int) -> None:
        """``response``: ``{"status", "headers": {...}, "body": str}``."""
        self._flow.handle_response(id, _dumps(response), now_ms)

    def handle_transport_error(self, id: int, kind: str, now_ms: int) -> None:
        """``kind``: ``connection_refused``, ``unreachable``, ``timeout``, ``connect_timeout`` (no
        connection within ``connect_timeout_ms``: on the IMDS probe, no managed identity here),
        ``connection_reset``, ``tls``, ``body_too_large`` or anything else (``other``)."""
        self._flow.handle_transport_error(id, kind, now_ms)

    def handle_file(
        self, id: int, now_ms: int, *, contents: Optional[bytes] = None, error: Optional[str] = None
    ) -> None:
        """The file's ``contents``, or ``error``: ``not_found``, ``too_large``,
        ``permission_denied`` or anything else."""
        self._flow.handle_file(id, now_ms, contents, error)

    def handle_env(self, env: Dict[str, str], *, arc_agent_installed: bool = False) -> None:
        """A newer environment (a rotated secret header) for the next attempt."""
        self._flow.handle_env(_dumps(env), arc_agent_installed)

    def __repr__(self) -> str:
        return "TokenFlow(…)"


class TokenCache:
    """The token cache with single-flight. Keys: ``{"source", "resource", "client_id" |
    "object_id" | "resource_id"}``; tickets and waiters are integers."""

    def __init__(self) -> None:
        self._cache = _azmi.TokenCache()

    def lookup(self, key: Dict[str, Any], now_ms: int) -> Dict[str, Any]:
        """``{"fresh": token}``, ``{"stale": token, "ticket": n | None}``, ``{"fetch": n}`` or
        ``{"wait": n, "lease_until_ms": t}``."""
        return json.loads(self._cache.lookup(_dumps(key), now_ms))

    def complete(self, ticket: int, result: Dict[str, Any], now_ms: int) -> None:
        """``result``: ``{"token": {"access_token", "expires_on_ms", "refresh_on_ms"?}}`` or
        ``{"error": {"code", "message"?}}``."""
        self._cache.complete(ticket, _dumps(result), now_ms)

    def abandon(self, ticket: int) -> None:
        self._cache.abandon(ticket)

    def poll_wait(self, waiter: int, now_ms: int) -> Dict[str, Any]:
        """``{"pending": lease_until_ms}``, ``{"token": …}``, ``{"error": …}`` or
        ``{"abandoned": True}``."""
        return json.loads(self._cache.poll_wait(waiter, now_ms))

    def invalidate(self, key: Dict[str, Any]) -> None:
        self._cache.invalidate(_dumps(key))

    def __repr__(self) -> str:
        return "TokenCache(…)"


class ArmFlow:
    """One ARM operation: ``{"op": "list_resource_groups", "subscription_id": …}`` and the other
    operations of ``azmi_core::wire::request``. ``cloud``: None (public), a name, or
    ``{"arm_endpoint", "resource"}``."""

    def __init__(
        self,
        operation: Dict[str, Any],
        now_ms: int,
        *,
        config: Optional[Dict[str, Any]] = None,
        cloud: Any = None,
    ) -> None:
        self._flow = _azmi.ArmFlow(
            _dumps(operation), now_ms, _dumps(config or {}), _dumps(cloud)
        )

    @classmethod
    def resume(
        cls, token: str, now_ms: int, *, config: Optional[Dict[str, Any]] = None, cloud: Any = None
    ) -> "ArmFlow":
        """Resumes a long-running operation from ``continuation_token()``."""
        flow = cls.__new__(cls)
        flow._flow = _azmi.ArmFlow.resume(token, now_ms, _dumps(config or {}), _dumps(cloud))
        return flow

    def poll(self, now_ms: int) -> Dict[str, Any]:
        """``need_token``, ``send``, ``wait_until_ms`` or ``done``."""
        return json.loads(self._flow.poll(now_ms))

    def handle_token(self, result: Dict[str, Any], now_ms: int) -> None:
        """``{"token": {…}}`` or ``{"error": {"code", "message"?}}``."""
        self._flow.handle_token(_dumps(result), now_ms)

    def handle_response(self, id: int, response: Dict[str, Any], now_ms: int) -> None:
        self._flow.handle_response(id, _dumps(response), now_ms)

    def handle_transport_error(self, id: int, kind: str, now_ms: int) -> None:
        self._flow.handle_transport_error(id, kind, now_ms)

    def continuation_token(self) -> Optional[str]:
        return self._flow.continuation_token()

    def __repr__(self) -> str:
        return "ArmFlow(…)"
