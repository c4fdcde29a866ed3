"""azmi: Azure managed identity tokens, fast and safe.

Drop-in replacements for azure-identity's ``ManagedIdentityCredential`` and msrestazure's
``MSIAuthentication``, and an Azure Resource Manager client (``ArmClient``), over azmi's Rust
core (``azmi._azmi``). Everything protocol-related (source detection, requests, retries,
deadline, cache, single-flight, paging, polling) is decided in Rust; this package only converts
arguments, results and errors.

Errors: one exception class per stable code, all subclasses of :class:`AzmiError`. When
azure-core is installed they also subclass ``azure.core.exceptions.ClientAuthenticationError``,
and ``CredentialUnavailableError`` (``unavailable``, ``identity_not_found``) also subclasses
``azure.identity.CredentialUnavailableError`` when azure-identity is installed. ARM failures are
:class:`ArmError` subclasses in azure-core's categories (``ResourceNotFoundError`` for
``not_found``, ``ResourceExistsError`` for ``conflict``, ``ClientAuthenticationError`` for
``unauthorized`` / ``forbidden``, ``HttpResponseError`` for other failing answers). Those
packages are imported the first time an error class or token type is needed, not at
``import azmi``.

Logs: the ``azmi`` logger (and its children, such as ``azmi.host.drive``) reports the source
chosen (INFO) and, at DEBUG, each request, retry and its reason, wait and ARM poll; never a token.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
TYPE_CHECKING = False

from . import _azmi

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    from azure.core.credentials import AccessToken as AccessToken
    from azure.core.credentials import AccessTokenInfo as AccessTokenInfo

    from ._arm import ArmClient as ArmClient
    from ._arm import ArmProgress as ArmProgress
    from ._arm import ResourceGroup as ResourceGroup
    from ._arm import Subscription as Subscription
    from ._errors import ArmAuthenticationError as ArmAuthenticationError
    from ._errors import ArmConfigurationError as ArmConfigurationError
    from ._errors import ArmConflictError as ArmConflictError
    from ._errors import ArmConnectionError as ArmConnectionError
    from ._errors import ArmError as ArmError
    from ._errors import ArmErrorDetail as ArmErrorDetail
    from ._errors import ArmHttpError as ArmHttpError
    from ._errors import ArmNotFoundError as ArmNotFoundError
    from ._errors import ArmTimeoutError as ArmTimeoutError
    from ._errors import AzmiError as AzmiError
    from ._errors import BadRequestError as BadRequestError
    from ._errors import ConfigurationError as ConfigurationError
    from ._errors import CredentialUnavailableError as CredentialUnavailableError
    from ._errors import DeadlineExceededError as DeadlineExceededError
    from ._errors import EndpointError as EndpointError
    from ._errors import IdentityNotFoundError as IdentityNotFoundError
    from ._errors import InvalidResponseError as InvalidResponseError
    from ._errors import JsonValue as JsonValue
    from ._errors import KeyFileError as KeyFileError
    from ._errors import MSIAuthenticationTimeoutError as MSIAuthenticationTimeoutError
    from ._errors import ThrottledError as ThrottledError
    from ._errors import UnauthorizedError as UnauthorizedError
    from ._errors import WrongIdentityError as WrongIdentityError

__all__ = [
    "AccessToken",
    "AccessTokenInfo",
    "ArmAuthenticationError",
    "ArmClient",
    "ArmConfigurationError",
    "ArmConflictError",
    "ArmConnectionError",
    "ArmError",
    "ArmErrorDetail",
    "ArmHttpError",
    "ArmNotFoundError",
    "ArmProgress",
    "ArmTimeoutError",
    "AzmiError",
    "BadRequestError",
    "ConfigurationError",
    "CredentialUnavailableError",
    "DeadlineExceededError",
    "EndpointError",
    "IdentityNotFoundError",
    "InvalidResponseError",
    "JsonValue",
    "KeyFileError",
    "MSIAuthentication",
    "MSIAuthenticationTimeoutError",
    "ManagedIdentityCredential",
    "ResourceGroup",
    "Subscription",
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


_hidden: Dict[Any, Any] = {}


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
    if name in ("ArmClient", "ArmProgress", "ResourceGroup", "Subscription"):
        from . import _arm

        return getattr(_arm, name)
    if name in _ERROR_NAMES or name == "JsonValue":
        from . import _errors

        return getattr(_errors, name)
    raise AttributeError(f"module 'azmi' has no attribute {name!r}")


def __dir__() -> List[str]:
    # The names loaded on first use are listed too (`dir(azmi)`, `help(azmi)`).
    return sorted(set(globals()) | set(__all__))


# --- errors -------------------------------------------------------------------------------------

# The classes are declared in `_errors` (type checkers read them there); importing it imports
# azure-core when installed, so it happens on the first error or first use of a class name.
_ERROR_NAMES = frozenset(
    {
        "AzmiError",
        "ArmError",
        "ArmErrorDetail",
        "ArmAuthenticationError",
        "ArmConfigurationError",
        "ArmConflictError",
        "ArmConnectionError",
        "ArmHttpError",
        "ArmNotFoundError",
        "ArmTimeoutError",
        "BadRequestError",
        "ConfigurationError",
        "CredentialUnavailableError",
        "DeadlineExceededError",
        "EndpointError",
        "IdentityNotFoundError",
        "InvalidResponseError",
        "KeyFileError",
        "MSIAuthenticationTimeoutError",
        "ThrottledError",
        "UnauthorizedError",
        "WrongIdentityError",
    }
)


def _error_classes() -> Dict[str, Any]:
    """Every error class by name, and ``_by_code`` (stable token code → class)."""
    from . import _errors

    classes: Dict[str, Any] = {name: getattr(_errors, name) for name in _ERROR_NAMES}
    classes["_by_code"] = dict(_errors.BY_CODE)
    return classes


def _error_class(key: str) -> Any:
    """The exception class for a stable code (or ``arm:<kind>``); the native module calls it to
    raise. A code newer than the tables is still an ``AzmiError`` (``ArmError``) with that code."""
    from . import _errors

    return _errors.error_class(key)


# The error classes (and the Azure imports they need) are loaded on the first error, not here.
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
    on the ``azmi.host.credential`` logger. ``get_token(*scopes, claims=None, tenant_id=None,
    **kwargs)`` and ``get_token_info(*scopes, options=None)`` are azure-core's, implemented
    natively: a cached token costs no Python frame.
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
        return super().__new__(cls, identity_config, client_id=client_id, **kwargs)

    def __init__(
        self,
        *,
        client_id: Optional[str] = None,
        identity_config: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> None:
        """Nothing more to do: ``__new__`` made the credential from the same arguments. Kept so
        that a subclass's ``super().__init__(client_id=...)`` works as with azure-identity."""

    def __getnewargs_ex__(self) -> Tuple[Tuple[()], Dict[str, Any]]:
        # Pickling and copying make the credential again from its options (azure-identity's
        # pickle and copy): a new cache, and the source detected where it is unpickled.
        return (), {"identity_config": self._options()}

    def __getstate__(self) -> Dict[str, Any]:
        return dict(vars(self))  # a subclass's attributes

    def close(self) -> None:
        """Nothing to release (connections are pooled per credential and closed with it)."""

    def __enter__(self) -> "ManagedIdentityCredential":
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        sel = f", {self.selector}=..." if self.selector else ""
        return f"ManagedIdentityCredential(source={self.source!r}{sel})"



from ._msi import (  # noqa: E402  (needs the helpers above)
    MSIAuthentication,
    get_msi_token,
    get_msi_token_webapp,
)
