"""``azmi.aio.ManagedIdentityCredential``: the async variant of azure-identity's credential.

A cached token is returned at once; a fetch (the native call, which releases the GIL) runs in
the loop's default executor, so the event loop never blocks. The cache and single-flight are the
sync credential's.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any, Optional

from . import ManagedIdentityCredential as _Sync

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

__all__ = ["ManagedIdentityCredential"]


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
        token = native.access_token(scopes, claims, cached_only=True, **kwargs)
        if token is None:
            # The claims were applied by the call above (the cached token is forgotten): applied
            # again in the executor they would also forget the token a concurrent caller just
            # fetched for the same challenge, and make a request the sync credential does not.
            call = functools.partial(native.access_token, scopes)
            token = await asyncio.get_running_loop().run_in_executor(None, call)
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
            call = functools.partial(native.access_token_info, scopes)
            info = await asyncio.get_running_loop().run_in_executor(None, call)
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
