"""msrestazure-compatible ``MSIAuthentication`` and module functions (docs/protocol.md §1.10).

Differences kept on purpose (better than msrestazure): every source is cached, deadlines hold,
concurrent threads share one request, App Service 2019-08-01 is used when ``IDENTITY_ENDPOINT``
is set. What ``port``, ``timeout`` and the cloud names mean is the core's msrestazure profile
(``azmi_core::compat::msrestazure``); this module only converts arguments and results.
"""

from __future__ import annotations

TYPE_CHECKING = False

from . import _azmi, _error_classes

if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Tuple

#: msrestazure's default ``port`` (the core's, ``azmi_core::compat::msrestazure``).
_DEFAULT_PORT: int = _azmi.MSRESTAZURE_DEFAULT_PORT


class _TokenDict(dict):
    """The endpoint's JSON, as msrestazure's ``.token``; its repr hides the access token."""

    def __repr__(self) -> str:
        shown = {k: ("***" if "token" in k else v) for k, v in self.items()}
        return repr(shown)

    __str__ = __repr__


def _check_cloud(cloud_environment: Any) -> None:
    """``TypeError`` unless ``cloud_environment`` is a cloud name or looks like an msrestazure
    ``Cloud`` (it has ``endpoints``)."""
    if not isinstance(cloud_environment, str) and not hasattr(cloud_environment, "endpoints"):
        raise TypeError(
            "cloud_environment must be an msrestazure Cloud (such as "
            "msrestazure.azure_cloud.AZURE_PUBLIC_CLOUD) or a cloud name such as 'AzureCloud', "
            f"not {type(cloud_environment).__name__}"
        )


def _resource_of(cloud_environment: Any) -> str:
    """The token audience of an msrestazure cloud: a name (the core's table) or a ``Cloud``."""
    if isinstance(cloud_environment, str):
        return _azmi.msrestazure_cloud_resource(cloud_environment)
    resource = cloud_environment.endpoints.active_directory_resource_id
    if not isinstance(resource, str):
        raise TypeError(
            "cloud_environment.endpoints.active_directory_resource_id must be a str (the token "
            f"audience), not {type(resource).__name__}"
        )
    return resource


def _selectors(client_id: Any, object_id: Any, msi_res_id: Any) -> Dict[str, Any]:
    """msrestazure's ``msi_conf``: the selectors given, by its names."""
    given = {"client_id": client_id, "object_id": object_id, "msi_res_id": msi_res_id}
    return {k: v for k, v in given.items() if v is not None}


_compat_classes: "Dict[Tuple[type, ...], type]" = {}


def _msrestazure_families(e: Any) -> Tuple[type, ...]:
    """The exception classes msrestazure raised for this kind of failure, so that ``except``
    clauses written for it keep catching: its ``MSIAuthenticationTimeoutError`` for a deadline
    (when the program imported ``msrestazure.azure_exceptions``: an ``except`` naming it has),
    ``requests.HTTPError`` (IMDS, the extension) and ``RuntimeError`` (App Service) for a failing
    status, ``requests.ConnectionError`` and ``RuntimeError`` when no endpoint answered."""
    import sys

    if isinstance(e, TimeoutError):
        timeouts = sys.modules.get("msrestazure.azure_exceptions")
        return () if timeouts is None else (timeouts.MSIAuthenticationTimeoutError,)
    if e.status is None and e.code != "unavailable":
        return ()  # a configuration or key file error: raised before or without a request
    try:
        from requests import exceptions as requests_errors
    except ImportError:
        return (RuntimeError,)
    answered = e.status is not None
    failed = requests_errors.HTTPError if answered else requests_errors.ConnectionError
    return (failed, RuntimeError)


def _as_msrestazure(e: Any) -> Any:
    """The same error, also an instance of the classes msrestazure raised for it."""
    families = _msrestazure_families(e)
    if not families:
        return e
    bases = (type(e),) + families
    cls = _compat_classes.get(bases)
    if cls is None:
        name = type(e).__name__
        # Pickled (multiprocessing, concurrent.futures) by rebuilding it from azmi's class.
        namespace = {"__module__": "azmi", "__qualname__": name, "__reduce__": _reduce}
        cls = type(name, bases, namespace)
        _compat_classes[bases] = cls
    return cls(e.message, code=e.code, source=e.source, status=e.status, attempts=e.attempts)


def _reduce(self: Any) -> Tuple[Any, ...]:
    azmi_class = type(self).__mro__[1]
    facts = (self.message, self.code, self.source, self.status, self.attempts)
    return (_rebuild, (azmi_class,) + facts, dict(self.__dict__))


def _rebuild(azmi_class: type, message: str, code: str, source: Any, status: Any,
             attempts: Any) -> Any:
    """An unpickled compatibility error: azmi's class, then msrestazure's families again."""
    e = azmi_class(message, code=code, source=source, status=status, attempts=attempts)
    return _as_msrestazure(e)


def _token_for(credential: Any, resource: str) -> Any:
    """A token for ``resource``, with failures raised as msrestazure's callers expect."""
    try:
        return credential.get_token_for(resource)
    except _error_classes()["AzmiError"] as e:
        failure = e
    # Built outside the `except` block: azure-core's errors keep the exception being handled
    # (and its traceback, which cannot be pickled) when one is created inside it.
    raise _as_msrestazure(failure) from None


def _token_dict(token: Any) -> "_TokenDict":
    raw = token.raw_response()
    if raw is not None:
        import json

        return _TokenDict(json.loads(raw))
    return _TokenDict(
        access_token=token.secret(),
        token_type=token.token_type,
        expires_on=str(token.expires_on_ms // 1000),
        resource=token.resource,
    )


class MSIAuthentication(_azmi.Credential):
    """msrestazure's ``MSIAuthentication``: fetches a token in the constructor.

    Keywords: ``client_id`` | ``object_id`` | ``msi_res_id`` (at most one: ``ValueError``
    otherwise), ``resource``, ``cloud_environment`` (an msrestazure ``Cloud`` or a cloud name),
    ``timeout`` (seconds). ``port`` and ``timeout`` mean what they meant to msrestazure, by the
    core's msrestazure profile. Any other keyword raises ``TypeError`` (never silently the
    system-assigned identity). It is also an azure-core credential: ``get_token`` and
    ``get_token_info`` are the native ones of :class:`azmi.ManagedIdentityCredential`.
    """

    header = "Authorization"
    # Set by ``__new__`` (it also gets the first token, as msrestazure's constructor did).
    msi_conf: Dict[str, Any]
    port: int
    timeout: Optional[float]
    cloud_environment: Any
    resource: str
    scheme: str
    token: Dict[str, Any]

    def __new__(
        cls,
        port: int = _DEFAULT_PORT,
        *,
        client_id: Optional[str] = None,
        object_id: Optional[str] = None,
        msi_res_id: Optional[str] = None,
        resource: Optional[str] = None,
        cloud_environment: Any = None,
        timeout: Optional[float] = None,
    ) -> "MSIAuthentication":
        msi_conf = _selectors(client_id, object_id, msi_res_id)
        options = _azmi.msrestazure_options(port, timeout, msi_conf)
        # The audience is settled before the credential exists: a wrong cloud makes no request.
        if cloud_environment is None:
            cloud_environment = _azmi.MSRESTAZURE_DEFAULT_CLOUD
        _check_cloud(cloud_environment)
        if resource is None:  # an empty resource is the core's error, not the default one
            resource = _resource_of(cloud_environment)
        if options.get("legacy_port") is not None:
            import warnings

            warnings.warn(
                "The 'port' argument is no longer used (the legacy VM extension is deprecated); "
                "azmi still honours it by selecting the legacy extension on that port",
                DeprecationWarning,
                stacklevel=2,
            )
        self = super().__new__(cls, options)
        self.msi_conf = msi_conf
        self.port = port
        self.timeout = timeout
        self.cloud_environment = cloud_environment
        self.resource = resource
        self.scheme = ""
        self.token = _TokenDict()
        self.set_token()
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Nothing more to do: ``__new__`` made the credential from the same arguments and got
        the first token. Kept so that a subclass's ``super().__init__(...)`` still works."""

    def __getnewargs_ex__(self) -> Tuple[Tuple[int], Dict[str, Any]]:
        # Pickling and copying (msrestazure's credential allowed both) make the credential again
        # from the constructor's arguments, which gets a token of its own.
        arguments = dict(self.msi_conf, resource=self.resource, timeout=self.timeout,
                         cloud_environment=self.cloud_environment)
        return (self.port,), arguments

    def __getstate__(self) -> Dict[str, Any]:
        # Everything but the token: a pickle never holds one.
        return {k: v for k, v in vars(self).items() if k not in ("token", "scheme")}

    def set_token(self) -> None:
        """Gets a token (from the cache while it is fresh) into ``.token`` and ``.scheme``."""
        token = _token_for(self, self.resource)
        self.token = _token_dict(token)
        self.scheme = token.token_type

    def signed_session(self, session: Any = None) -> Any:
        """A ``requests.Session`` (``session`` when given) with the Authorization header set."""
        self.set_token()
        if session is None:
            import requests

            session = requests.Session()
        session.headers[self.header] = f"{self.scheme} {self.token['access_token']}"
        return session

    def close(self) -> None:
        """Nothing to release; with ``__enter__`` / ``__exit__`` it makes this credential an
        azure-core ``SupportsTokenInfo`` (a context manager), as ``ManagedIdentityCredential``."""

    def __enter__(self) -> "MSIAuthentication":
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"MSIAuthentication(source={self.source!r}, resource={self.resource!r}, "
            f"msi_conf={self.msi_conf!r})"
        )


def get_msi_token(
    resource: str, port: int = _DEFAULT_PORT, msi_conf: Optional[Dict[str, Any]] = None
) -> Tuple[str, str, Dict[str, Any]]:
    """msrestazure's ``get_msi_token``: ``(token_type, access_token, token_entry)``."""
    credential = _azmi.Credential(_azmi.msrestazure_options(port, None, msi_conf))
    token = _token_for(credential, resource)
    return token.token_type, token.secret(), _token_dict(token)


def get_msi_token_webapp(
    resource: str, msi_conf: Optional[Dict[str, Any]] = None
) -> Tuple[str, str, Dict[str, Any]]:
    """msrestazure's ``get_msi_token_webapp``: ``(token_type, access_token, token_entry)``."""
    return get_msi_token(resource, msi_conf=msi_conf)


__all__ = ["MSIAuthentication", "get_msi_token", "get_msi_token_webapp"]
