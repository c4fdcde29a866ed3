"""``azmi.aio.ManagedIdentityCredential``: the async variant of azure-identity's credential.

A cached token is returned at once; a fetch (the native call, which releases the GIL) runs in
the loop's default executor, so the event loop never blocks. The cache and single-flight are the
sync credential's.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from . import ManagedIdentityCredential as _Sync

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

__all__ = ["ManagedIdentityCredential"]

_T = TypeVar("_T")


async def _in_executor(call: Callable[..., _T]) -> _T:
    """``call(cancel=event)`` in the loop's default executor. When the awaiting task is cancelled
    (``asyncio.wait_for`` timing out, a task group failing), the event lets the executor thread
    stop waiting at once: ``asyncio.run`` joins that executor, and would otherwise wait for the
    fetch to end. The fetch goes on (its token is cached; the next call waits for it)."""
    cancel = threading.Event()
    try:
        return await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(call, cancel=cancel)
        )
    except asyncio.CancelledError:
        cancel.set()
        raise


class ManagedIdentityCredential:
    """Async ``ManagedIdentityCredential``; same arguments as :class:`azmi.ManagedIdentityCredential`."""

    def __init__(self, **kwargs: Any) -> None:
        self._sync = _Sync(**kwargs)

    async def get_token(self, *scopes: str, claims: Optional[str] = None,
                        tenant_id: Optional[str] = None, enable_cae: bool = False,
                        **kwargs: Any) -> AccessToken:
        # A cached token is served on the loop thread (that never waits on I/O); a fetch runs
        # in the default executor (and without `cached_only` always returns a token). Other
        # keywords go to the native call, which rejects them as the sync `get_token` does.
        native = self._sync
        # `cancel=None`: a caller's own `cancel=` is then a TypeError, as any other keyword.
        token = native.access_token(scopes, claims, cached_only=True, cancel=None, **kwargs)
        if token is None:
            # The claims were applied by the call above (the cached token is forgotten): applied
            # again in the executor they would also forget the token a concurrent caller just
            # fetched for the same challenge, and make a request the sync credential does not.
            token = await _in_executor(functools.partial(native.access_token, scopes))
        assert token is not None
        return token

    async def get_token_info(
        self, *scopes: str, options: Optional[TokenRequestOptions] = None
    ) -> AccessTokenInfo:
        # `options` are read natively, as the sync `get_token_info` reads them.
        native = self._sync
        info = native.access_token_info(scopes, options, cached_only=True)
        if info is None:
            # Its claims are applied already, as in `get_token`.
            info = await _in_executor(functools.partial(native.access_token_info, scopes))
        assert info is not None
        return info

    async def close(self) -> None:
        self._sync.close()

    async def __aenter__(self) -> "ManagedIdentityCredential":
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        return "aio." + repr(self._sync)
