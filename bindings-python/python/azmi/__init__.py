"""azmi: Azure managed identity tokens, fast and safe.

Drop-in replacements for azure-identity's ``ManagedIdentityCredential`` and msrestazure's
``MSIAuthentication``, over azmi's Rust core (``azmi._azmi``). Everything protocol-related
(source detection, requests, retries, deadline, cache, single-flight) is decided in Rust; this
package only converts arguments, results and errors.

Errors: one exception class per stable code, all subclasses of :class:`AzmiError`. When
azure-core is installed they also subclass ``azure.core.exceptions.ClientAuthenticationError``,
and ``CredentialUnavailableError`` (``unavailable``, ``identity_not_found``) also subclasses
``azure.identity.CredentialUnavailableError`` when azure-identity is installed. Those packages
are imported the first time an error class or token type is needed, not at ``import azmi``.
"""

from __future__ import annotations

import sys
from collections import namedtuple
from collections.abc import Mapping
TYPE_CHECKING = False

from . import _azmi

if TYPE_CHECKING:
    from typing import Any, Optional, Tuple

__all__ = [
    "AccessToken",
    "AccessTokenInfo",
    "ArmClient",
    "ArmError",
    "AzmiError",
    "BadRequestError",
    "ConfigurationError",
    "CredentialUnavailableError",
    "DeadlineExceededError",
    "EndpointError",
    "IdentityNotFoundError",
    "InvalidResponseError",
    "KeyFileError",
    "MSIAuthentication",
    "MSIAuthenticationTimeoutError",
    "ManagedIdentityCredential",
    "ThrottledError",
    "UnauthorizedError",
    "WrongIdentityError",
    "get_msi_token",
    "get_msi_token_webapp",
]

__version__: str = _azmi.__version__

# `json` and the Azure packages are imported on first use, and `logging` only if the program
# uses it: `import azmi` stays fast.


# --- token types --------------------------------------------------------------------------------


class _AccessToken(namedtuple("AccessToken", ["token", "expires_on"])):
    """azure-core's ``AccessToken`` shape, used when azure-core is not installed."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"AccessToken(token='***', expires_on={self.expires_on})"

    __str__ = __repr__


class _AccessTokenInfo:
    """azure-core's ``AccessTokenInfo`` shape, used when azure-core is not installed."""

    __slots__ = ("token", "expires_on", "token_type", "refresh_on")

    def __init__(
        self,
        token: str,
        expires_on: int,
        *,
        token_type: str = "Bearer",
        refresh_on: Optional[int] = None,
    ) -> None:
        self.token = token
        self.expires_on = expires_on
        self.token_type = token_type
        self.refresh_on = refresh_on

    def __repr__(self) -> str:
        return (
            f"AccessTokenInfo(token='***', expires_on={self.expires_on}, "
            f"token_type={self.token_type!r}, refresh_on={self.refresh_on})"
        )

    __str__ = __repr__


_hidden: dict = {}


def _hiding(base: Any) -> Any:
    """A subclass of azure-core's token type ``base`` whose ``repr`` and ``str`` hide the token
    (azure-core's print it). Built once per base and kept, so the native module calls this once
    and pickling finds the class again as ``azmi._Hidden<name>``; ``isinstance``, fields,
    tuple access and equality are the base's."""
    cls = _hidden.get(base)
    if cls is None:
        shape = _AccessToken if issubclass(base, tuple) else _AccessTokenInfo
        name = f"_Hidden{base.__name__}"
        cls = type(
            name,
            (base,),
            {
                "__module__": __name__,
                "__qualname__": name,
                "__slots__": (),
                "__doc__": f"azure-core's ``{base.__name__}``; its repr hides the token.",
                "__repr__": shape.__repr__,
                "__str__": shape.__repr__,
            },
        )
        _hidden[base] = cls
    return cls


def _token_classes() -> Tuple[Any, Any]:
    """(AccessToken, AccessTokenInfo): azure-core's when installed, else azmi's equivalents.

    Asking for them imports azure-core; from then on ``get_token`` returns azure-core's types
    too (it returns them whenever the program has imported ``azure.core.credentials``)."""
    try:
        from azure.core import credentials
    except ImportError:
        return _AccessToken, _AccessTokenInfo
    info = getattr(credentials, "AccessTokenInfo", _AccessTokenInfo)  # azure-core < 1.31
    return credentials.AccessToken, info


def __getattr__(name: str) -> Any:
    if name == "AccessToken":
        return _token_classes()[0]
    if name == "AccessTokenInfo":
        return _token_classes()[1]
    if name in ("_HiddenAccessToken", "_HiddenAccessTokenInfo"):
        # Where pickle looks for the classes tokens are handed out as.
        from azure.core import credentials

        return _hiding(getattr(credentials, name[len("_Hidden"):]))
    if name == "ArmClient":
        from ._arm import ArmClient

        return ArmClient
    if name in _ERROR_NAMES:
        return _error_classes()[name]
    raise AttributeError(f"module 'azmi' has no attribute {name!r}")


# --- errors -------------------------------------------------------------------------------------

#: code → (class name, extra builtin bases)
_CODES = {
    "config": ("ConfigurationError", (ValueError,)),
    "unavailable": ("CredentialUnavailableError", ()),
    "identity_not_found": ("IdentityNotFoundError", ()),
    "bad_request": ("BadRequestError", ()),
    "unauthorized": ("UnauthorizedError", ()),
    "wrong_identity": ("WrongIdentityError", ()),
    "throttled": ("ThrottledError", ()),
    "endpoint_error": ("EndpointError", ()),
    "deadline_exceeded": ("DeadlineExceededError", (TimeoutError,)),
    "invalid_response": ("InvalidResponseError", ()),
    "key_file": ("KeyFileError", ()),
}
_ERROR_NAMES = {"AzmiError", "ArmError", "MSIAuthenticationTimeoutError"} | {
    name for name, _ in _CODES.values()
}

_errors: Optional[dict] = None


def _error_classes() -> dict:
    """Builds the exception hierarchy once, on first use, from what is installed."""
    global _errors
    if _errors is not None:
        return _errors
    try:
        from azure.core.exceptions import ClientAuthenticationError as auth_base
    except ImportError:
        auth_base = None  # type: ignore[misc,assignment]
    unavailable_base: Any = None
    if auth_base is not None:
        try:
            from azure.identity import CredentialUnavailableError as unavailable_base
        except ImportError:
            unavailable_base = None

    base: Any = auth_base if auth_base is not None else Exception

    def __init__(
        self: Any,
        message: str,
        *,
        code: Optional[str] = None,
        source: Optional[str] = None,
        status: Optional[int] = None,
        attempts: Any = (),
    ) -> None:
        if auth_base is not None:
            base.__init__(self, message=message)
        else:
            Exception.__init__(self, message)
        self.message = message
        if code is not None:
            self.code = code
        self.source = source
        self.status = status
        self.status_code = status
        #: ``(started_ms, result, waited_ms)`` for every HTTP attempt.
        self.attempts = tuple(attempts)

    def __str__(self: Any) -> str:
        return self.message

    def __repr__(self: Any) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"

    doc = (
        "Base of every azmi error; ``code`` is the stable code shared by every azmi binding, "
        "``source`` the managed identity source tried, ``status`` the last HTTP status, "
        "``attempts`` the attempt history. Messages never contain a token."
    )
    azmi_error = type(
        "AzmiError",
        (base,),
        {
            "__module__": __name__,
            "__doc__": doc,
            "__init__": __init__,
            "__str__": __str__,
            "__repr__": __repr__,
            "code": "error",
        },
    )
    classes: dict = {"AzmiError": azmi_error}
    by_code = {}
    for code, (name, extra) in _CODES.items():
        bases: Tuple[Any, ...] = (azmi_error,)
        if code in ("unavailable", "identity_not_found") and unavailable_base is not None:
            bases += (unavailable_base,)
        bases += extra
        cls = type(name, bases, {"__module__": __name__, "code": code, "__doc__": f"code {code!r}"})
        classes[name] = cls
        by_code[code] = cls
    arm = type(
        "ArmError",
        (azmi_error,),
        {"__module__": __name__, "__doc__": "An Azure Resource Manager call failed."},
    )
    classes["ArmError"] = arm
    by_code["arm"] = arm
    # msrestazure's name for its timeout error (a TimeoutError there too).
    classes["MSIAuthenticationTimeoutError"] = by_code["deadline_exceeded"]
    classes["_by_code"] = by_code
    _errors = classes
    return classes


def _error_class(code: str) -> Any:
    """The exception class for a stable code; the native module calls it to raise. A code newer
    than this table is still an ``AzmiError`` (with that ``code``), never a bare ``KeyError``."""
    classes = _error_classes()
    return classes["_by_code"].get(code, classes["AzmiError"])


# The hierarchy (and the Azure imports it needs) is built on the first error, not here.
_azmi._register(_error_class, _AccessToken, _AccessTokenInfo, _hiding)


# --- ManagedIdentityCredential ------------------------------------------------------------------

class ManagedIdentityCredential(_azmi.Credential):
    """Authenticates with an Azure managed identity; azure-identity compatible.

    :keyword str client_id: a user-assigned identity's client id.
    :keyword dict identity_config: ``{"client_id" | "object_id" | "resource_id": id}``.
    :keyword float timeout: azmi's overall deadline for one token request, in seconds.

    ``identity_config`` and the other keywords are azmi's options (``azmi._azmi.OPTIONS``:
    ``source``, ``deadline_ms``, ``max_retries``, ...), read by the core. An unknown key, a
    wrong type or a value out of range raises :class:`ConfigurationError` (a ``ValueError``)
    naming the key; so does more than one identity selector. The source (IMDS, App Service, ...)
    is detected from the process environment when the credential is created and logged at INFO
    on the ``azmi`` logger. ``get_token(*scopes, claims=None, tenant_id=None, **kwargs)`` and
    ``get_token_info(*scopes, options=None)`` are azure-core's, implemented natively: a cached
    token costs no Python frame.
    """

    def __new__(
        cls,
        *,
        client_id: Optional[str] = None,
        identity_config: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> "ManagedIdentityCredential":
        if identity_config is not None and not isinstance(identity_config, Mapping):
            raise TypeError(
                "identity_config must be a dict such as {'client_id': '...'}, "
                f"not {type(identity_config).__name__}"
            )
        self = super().__new__(cls, identity_config, client_id=client_id, **kwargs)
        _log_source(self)
        return self

    def close(self) -> None:
        """Nothing to release (connections are pooled per credential and closed with it)."""

    def __enter__(self) -> "ManagedIdentityCredential":
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        sel = f", {self.selector}=..." if self.selector else ""
        return f"ManagedIdentityCredential(source={self.source!r}{sel})"


def _log_source(credential: Any) -> None:
    """Logs the source a new credential chose, and why."""
    # A program that never imported logging has configured no handler: skip the import (~20 ms).
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger("azmi").info("managed identity source: %s", credential.explain())


from ._msi import (  # noqa: E402  (needs the helpers above)
    MSIAuthentication,
    get_msi_token,
    get_msi_token_webapp,
)
