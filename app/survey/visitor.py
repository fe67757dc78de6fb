"""The resident's key: one cookie per survey, and the CSRF token derived from it.

Resident pages keep no Flask session (signing and re-signing it on every page view was a
large part of a page's cost). The cookie holds a random 128-bit key instead: a visitor
key ("v" and 32 hex digits) from the start page on, and once the resident has begun, the
key of their draft (32 hex digits, never a former visitor key). Such a key cannot be
guessed, so it needs no signature; whoever holds it holds the draft, exactly as with a
session cookie. A visitor key is never looked up in the database. After a dot, the
cookie names the draft's revision the resident was last given (see DraftStore).

Over HTTPS (SESSION_COOKIE_SECURE, set in production) the cookie is a ``__Host-`` cookie:
browsers take it only from this very host, over HTTPS, for the whole site, so neither a
sibling subdomain nor a plain-HTTP page can plant a key in a resident's browser (session
fixation).

Every resident form carries HMAC(SECRET_KEY, key) as its CSRF token: a page on another
site can neither read the cookie nor compute the token from it.
"""
from __future__ import annotations

import hmac
import re
import secrets

from flask import current_app, request
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from . import hot_path

COOKIE_PATTERN = re.compile(r"(v?[0-9a-f]{32})(?:\.([0-9]{1,9}))?\Z")
VISITOR_MARK = "v"
CSRF_FIELD = "csrf_token"
# The start page's resume form carries a nonce of its own (see service.resume_key).
RESUME_FIELD = "resume"
NONCE_PATTERN = re.compile(r"[0-9a-f]{32}\Z")


def _https() -> bool:
    return current_app.config["SESSION_COOKIE_SECURE"]


def cookie_name(slug: str) -> str:
    return f"__Host-survey-{slug}" if _https() else f"survey-{slug}"


def cookie_path(slug: str) -> str:
    return "/" if _https() else f"{request.script_root}/s/{slug}"


def new_visitor_key() -> str:
    return VISITOR_MARK + secrets.token_hex(16)


def new_nonce() -> str:
    return secrets.token_hex(16)


def is_nonce(value: str) -> bool:
    return NONCE_PATTERN.match(value) is not None


def draft_key(key: str | None) -> str | None:
    """``key`` if it may be the key of a draft, else None (no key, or a visitor's)."""
    return None if key is None or key.startswith(VISITOR_MARK) else key


def read_cookie(slug: str) -> tuple[str | None, int | None]:
    """The key this browser holds for the survey and the revision it names, if any
    (anything malformed is none)."""
    match = COOKIE_PATTERN.match(request.cookies.get(cookie_name(slug), ""))
    if match is None:
        return None, None
    key, revision = match.groups()
    return key, int(revision) if revision is not None else None


def read_key(slug: str) -> str | None:
    return read_cookie(slug)[0]


def keep_key(response: Response, slug: str, key: str, revision: int | None = None) -> None:
    """Lives until the browser is closed, as the data-protection notice says."""
    value = key if revision is None else f"{key}.{revision}"
    hot_path.set_key_cookie(response, cookie_name(slug), value, cookie_path(slug), _https())


def drop_key(response: Response, slug: str) -> None:
    response.delete_cookie(cookie_name(slug), path=cookie_path(slug), httponly=True,
                           samesite="Lax", secure=_https())


def csrf_token(key: str) -> str:
    token = hot_path.csrf_mac()
    token.update(key.encode())
    return token.hexdigest()


def check_csrf(key: str | None) -> None:
    """Refuse a form whose token does not belong to the key this browser holds."""
    sent = request.form.get(CSRF_FIELD, "")
    if key is None or not sent:
        raise CSRFError("The CSRF token is missing.")
    if not hmac.compare_digest(sent.encode(), csrf_token(key).encode()):
        raise CSRFError("The CSRF token is invalid.")
