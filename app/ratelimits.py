"""Rate limits on the doors that take a secret: login, password change, code entry.

Each is limited per client address and per account: the e-mail address typed at login,
the logged-in account at password change, the invitation code typed by a resident. Only
these views are counted; resident page views and page saves never are (see
extensions.RateLimits). Keys that stand for a person or a code are HMACs under SECRET_KEY,
so the limiter's storage (Redis) holds no e-mail address and no invitation code.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request
from flask_login import current_user

from .extensions import limiter
from .survey.service import normalise_code

View = TypeVar("View", bound=Callable)


def client_address() -> str:
    """The client's address: with TRUSTED_PROXIES reverse proxies in front, the one the
    outermost of them saw (X-Forwarded-For, counted from the right: the entries further
    left come from the client and prove nothing). An IPv6 address counts as its /64
    network, which is what one connection usually holds."""
    address = request.remote_addr or "-"
    proxies = current_app.config["TRUSTED_PROXIES"]
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "")
                     .split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    if ":" in address:
        try:
            address = str(ipaddress.IPv6Network(f"{address}/64", strict=False))
        except ValueError:
            pass  # not an address: counted as the string it is
    return f"ip:{address[:64]}"


def _digest(kind: str, value: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    mac = hmac.new(key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{mac[:32]}"


def typed_email() -> str:
    """The account a login is for, as typed (known or not: both are counted alike)."""
    return _digest("email", request.form.get("email", "")[:254].strip().lower())


def logged_in_account() -> str:
    return f"account:{current_user.id}"


def _typed_code() -> str:
    return normalise_code(request.form.get("code", "")[:40])


def typed_code() -> str:
    slug = (request.view_args or {}).get("slug", "")
    return _digest("code", f"{slug}\0{_typed_code()}")


def _no_code_typed() -> bool:
    """Beginning an open-link survey (or without a code) is no code entry: not counted."""
    return not _typed_code()


def _configured(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _both(per_ip: str, per_account: str, account_key: Callable[[], str],
          exempt_when: Callable[[], bool] | None = None) -> Callable[[View], View]:
    """Two limits on POSTs to a view: per client address and per ``account_key``."""
    def decorate(view: View) -> View:
        for name, key in ((per_account, account_key), (per_ip, client_address)):
            view = limiter.limit(_configured(name), key_func=key, methods=["POST"],
                                 exempt_when=exempt_when)(view)
        return view
    return decorate


login_limits = _both("RATELIMIT_LOGIN_PER_IP", "RATELIMIT_LOGIN_PER_ACCOUNT", typed_email)
password_change_limits = _both("RATELIMIT_PASSWORD_PER_IP", "RATELIMIT_PASSWORD_PER_ACCOUNT",
                               logged_in_account)
code_entry_limits = _both("RATELIMIT_CODE_PER_IP", "RATELIMIT_CODE_PER_CODE", typed_code,
                          exempt_when=_no_code_typed)
