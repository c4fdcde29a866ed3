"""azmi's exceptions, declared statically: type checkers see every class and attribute.

Where azure-core is installed the classes also derive from its exceptions (and
``CredentialUnavailableError`` from azure-identity's): type checkers see those bases, and at run
time they are what this module finds when it is imported. ``azmi`` imports this module on the
first error or the first use of a class name, so ``import azmi`` imports no Azure package.

The native module raises the class that ``_error_class`` names for a failure: one per stable
token code, and for ARM one per kind of failure (``not_found``, ``conflict``, ...), which picks
the azure-core category. Which kind a failure is, and every attribute, come from the core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

if TYPE_CHECKING:
    from azure.core.exceptions import AzureError as _Base
    from azure.core.exceptions import ClientAuthenticationError as _Auth
    from azure.core.exceptions import HttpResponseError as _Http
    from azure.core.exceptions import ODataV4Format
    from azure.core.exceptions import ResourceExistsError as _Exists
    from azure.core.exceptions import ResourceNotFoundError as _NotFound
    from azure.core.exceptions import ServiceRequestError as _Request
    from azure.core.exceptions import ServiceResponseTimeoutError as _Timeout

    # azure-identity's CredentialUnavailableError is a ClientAuthenticationError.
    _Unavailable = _Auth
else:

    class _Absent:
        """Stands for an azure-core base class when azure-core is not installed (``object``
        itself cannot: it would come before the builtin bases some classes add)."""

        __slots__ = ()

    def _bases() -> tuple:
        """azure-core's (and azure-identity's) exception classes; without azure-core,
        ``Exception`` for the root and ``_Absent`` for the others."""
        try:
            from azure.core import exceptions as core
        except ImportError:
            return (Exception,) + (_Absent,) * 7
        try:
            from azure.identity import CredentialUnavailableError as unavailable
        except ImportError:
            unavailable = core.ClientAuthenticationError
        return (
            core.AzureError,
            core.ClientAuthenticationError,
            core.HttpResponseError,
            core.ResourceExistsError,
            core.ResourceNotFoundError,
            core.ServiceRequestError,
            core.ServiceResponseTimeoutError,
            unavailable,
        )

    _Base, _Auth, _Http, _Exists, _NotFound, _Request, _Timeout, _Unavailable = _bases()


#: A JSON value as Python holds it (what ARM sends and what ``ArmClient`` returns).
JsonValue = Union[None, bool, int, float, str, List["JsonValue"], Dict[str, "JsonValue"]]

#: Whether the classes derive from azure-core's.
AZURE_CORE: bool = _Base is not Exception

#: ``(started_ms, result, waited_ms)`` of one HTTP attempt; ``result`` is the status or why there
#: was no response.
Attempt = tuple[int, str, int]


class AzmiError(_Base):
    """Base of every azmi error. ``code`` is the stable code shared by every azmi binding,
    ``source`` the managed identity source tried, ``status_code`` (also ``status``) the HTTP
    status behind the error, ``attempts`` the attempt history. Messages never hold a token."""

    code: str = "error"
    message: str
    source: Optional[str]
    status: Optional[int]
    status_code: Optional[int]
    attempts: tuple[Attempt, ...]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        source: Optional[str] = None,
        status: Optional[int] = None,
        attempts: Sequence[Attempt] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.source = source
        self.status = status
        self.status_code = status
        self.attempts = tuple(attempts)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


# --- token errors: one class per stable code ----------------------------------------------------


class ConfigurationError(AzmiError, _Auth, ValueError):
    """``config``: an option or argument cannot work (found before any request)."""

    code = "config"


class CredentialUnavailableError(AzmiError, _Unavailable):
    """``unavailable``: no managed identity endpoint answered here."""

    code = "unavailable"


class IdentityNotFoundError(AzmiError, _Unavailable):
    """``identity_not_found``: the endpoint has no such identity (none assigned, or the wrong
    selector)."""

    code = "identity_not_found"


class BadRequestError(AzmiError, _Auth):
    """``bad_request``: the endpoint rejected the request."""

    code = "bad_request"


class UnauthorizedError(AzmiError, _Auth):
    """``unauthorized``: the endpoint refused the request's secret or header."""

    code = "unauthorized"


class WrongIdentityError(AzmiError, _Auth):
    """``wrong_identity``: the token is for another identity or audience than asked."""

    code = "wrong_identity"


class ThrottledError(AzmiError, _Auth):
    """``throttled``: the endpoint kept answering 429."""

    code = "throttled"


class EndpointError(AzmiError, _Auth):
    """``endpoint_error``: the endpoint kept failing (5xx or an unexpected status)."""

    code = "endpoint_error"


class DeadlineExceededError(AzmiError, _Auth, TimeoutError):
    """``deadline_exceeded``: no token within the deadline."""

    code = "deadline_exceeded"


class InvalidResponseError(AzmiError, _Auth):
    """``invalid_response``: the endpoint answered something azmi cannot use."""

    code = "invalid_response"


class KeyFileError(AzmiError, _Auth):
    """``key_file``: the Azure Arc key file could not be read safely."""

    code = "key_file"


#: msrestazure's name for its timeout error (a ``TimeoutError`` there too).
MSIAuthenticationTimeoutError = DeadlineExceededError


# --- ARM errors ---------------------------------------------------------------------------------


class ArmErrorDetail:
    """ARM's error object (``{"code", "message", "target", "details"}``), in the shape of
    azure-core's ``ODataV4Format``; ``ArmError.error`` is one when azure-core is not installed
    (azure-core's own class when it is)."""

    __slots__ = ("code", "message", "target", "details", "innererror")

    def __init__(self, json_object: Mapping[str, Any]) -> None:
        self.code: Optional[str] = json_object.get("code")
        self.message: Optional[str] = json_object.get("message")
        self.target: Optional[str] = json_object.get("target")
        nested = json_object.get("details") or []
        self.details: list[ArmErrorDetail] = [
            ArmErrorDetail(d) for d in nested if isinstance(d, Mapping)
        ]
        self.innererror: Mapping[str, Any] = json_object.get("innererror") or {}

    def __repr__(self) -> str:
        return f"ArmErrorDetail(code={self.code!r}, message={self.message!r})"

    def __str__(self) -> str:
        return f"({self.code}) {self.message}"


class ArmError(AzmiError):
    """An Azure Resource Manager call failed. Besides ``AzmiError``'s attributes (``code`` is
    azmi's stable code, such as ``not_found``): ARM's ``error_code`` (``ResourceGroupNotFound``),
    ``target`` and ``details`` (verbatim), ``request_id`` and ``correlation_id`` (the response's
    ``x-ms-request-id`` and ``x-ms-correlation-request-id``), and azure-core's ``error`` (the
    same object as ``ODataV4Format``), ``reason`` (the status's phrase) and ``response``
    (always ``None``: azmi does not keep the response)."""

    error_code: Optional[str]
    target: Optional[str]
    details: list[dict[str, JsonValue]]
    request_id: Optional[str]
    correlation_id: Optional[str]
    reason: Optional[str]
    #: Always ``None`` (typed as loosely as azure-core's, whose class it shares).
    response: Any
    #: azure-core's ``ODataV4Format`` where it is installed, else an ``ArmErrorDetail``.
    error: Optional[ODataV4Format]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        source: Optional[str] = None,
        status: Optional[int] = None,
        attempts: Sequence[Attempt] = (),
        error_code: Optional[str] = None,
        error_message: Optional[str] = None,
        target: Optional[str] = None,
        details: Sequence[dict[str, JsonValue]] = (),
        request_id: Optional[str] = None,
        correlation_id: Optional[str] = None,
        reason: Optional[str] = None,
    ) -> None:
        super().__init__(message, code=code, source=source, status=status, attempts=attempts)
        self.error_code = error_code
        self.target = target
        self.details = list(details)
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.reason = reason
        self.response = None
        self.error = _error_object(error_code, error_message, target, self.details)


def _error_object(
    code: Optional[str],
    message: Optional[str],
    target: Optional[str],
    details: list[dict[str, JsonValue]],
) -> Any:
    """azure-core's ``ODataV4Format`` of ARM's error object when azure-core is installed, else
    azmi's ``ArmErrorDetail``; ``None`` when ARM sent neither a code nor a message."""
    if code is None and message is None:
        return None
    body = {"code": code, "message": message, "target": target, "details": details}
    if not AZURE_CORE:
        return ArmErrorDetail(body)
    from azure.core.exceptions import ODataV4Format

    return ODataV4Format(body)


class ArmNotFoundError(ArmError, _NotFound):
    """``not_found`` (404); azure-core's ``ResourceNotFoundError``."""


class ArmConflictError(ArmError, _Exists):
    """``conflict`` (409); azure-core's ``ResourceExistsError``."""


class ArmAuthenticationError(ArmError, _Auth):
    """``unauthorized`` (401), ``forbidden`` (403), or no token for ARM (``code`` is then the
    token error's, ``source`` and ``attempts`` are the token request's); azure-core's
    ``ClientAuthenticationError``."""


class ArmHttpError(ArmError, _Http):
    """Any other failing answer (``bad_request``, ``throttled``, ``server_error``,
    ``http_error``, ``operation_failed``, ``invalid_response``, ``foreign_host``); azure-core's
    ``HttpResponseError``."""


class ArmConnectionError(ArmError, _Request):
    """``unavailable``: ARM could not be reached; azure-core's ``ServiceRequestError``."""


class ArmTimeoutError(ArmError, _Timeout, TimeoutError):
    """``deadline_exceeded``: the operation did not end within its deadline."""


class ArmConfigurationError(ArmError, ValueError):
    """``config``: the operation cannot work as given (found before any request)."""


# --- the native module's lookup -----------------------------------------------------------------

#: Token codes → classes.
BY_CODE: dict[str, type[AzmiError]] = {
    cls.code: cls
    for cls in (
        ConfigurationError,
        CredentialUnavailableError,
        IdentityNotFoundError,
        BadRequestError,
        UnauthorizedError,
        WrongIdentityError,
        ThrottledError,
        EndpointError,
        DeadlineExceededError,
        InvalidResponseError,
        KeyFileError,
    )
}

#: ARM kinds (the core's ``ArmErrorKind`` names) → classes: naming only, the kind is the core's.
BY_ARM_KIND: dict[str, type[ArmError]] = {
    "not_found": ArmNotFoundError,
    "conflict": ArmConflictError,
    "unauthorized": ArmAuthenticationError,
    "forbidden": ArmAuthenticationError,
    "token": ArmAuthenticationError,
    "bad_request": ArmHttpError,
    "throttled": ArmHttpError,
    "server_error": ArmHttpError,
    "http_error": ArmHttpError,
    "operation_failed": ArmHttpError,
    "invalid_response": ArmHttpError,
    "foreign_host": ArmHttpError,
    "unavailable": ArmConnectionError,
    "deadline_exceeded": ArmTimeoutError,
    "config": ArmConfigurationError,
}


def error_class(key: str) -> type[AzmiError]:
    """The class for a token code, or for ``arm:<kind>``. A code or kind newer than these tables
    is still an ``AzmiError`` (or ``ArmError``) with its code, never a bare ``KeyError``."""
    if key.startswith("arm:"):
        return BY_ARM_KIND.get(key[4:], ArmError)
    return BY_CODE.get(key, AzmiError)


__all__ = [
    "AzmiError",
    "ConfigurationError",
    "CredentialUnavailableError",
    "IdentityNotFoundError",
    "BadRequestError",
    "UnauthorizedError",
    "WrongIdentityError",
    "ThrottledError",
    "EndpointError",
    "DeadlineExceededError",
    "InvalidResponseError",
    "KeyFileError",
    "MSIAuthenticationTimeoutError",
    "ArmError",
    "ArmErrorDetail",
    "ArmNotFoundError",
    "ArmConflictError",
    "ArmAuthenticationError",
    "ArmHttpError",
    "ArmConnectionError",
    "ArmTimeoutError",
    "ArmConfigurationError",
    "JsonValue",
]

# Shown (tracebacks, reprs, pickles) by their public name, `azmi.ArmNotFoundError`.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__ == __name__:
        _obj.__module__ = "azmi"
