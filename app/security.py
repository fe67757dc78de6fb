"""HTTP headers that keep a resident's browser talking to this app only."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    # An invitation code may stand in a URL (from the QR code): never pass it on.
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]
# Answers on a shared device must not come back from the browser cache.
NO_STORE = ("Cache-Control", "no-store")


class SecurityHeaders:
    """WSGI middleware adding HEADERS to every response, and no-store to every HTML page.

    Done at the WSGI level, where the headers are a plain list: on each resident page
    view this costs a fraction of what a Flask after_request hook did."""

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start_with_headers(status: str, headers: list[tuple[str, str]],
                               exc_info: Any = None):
            html = any(name.lower() == "content-type" and value.startswith("text/html")
                       for name, value in headers)
            if html:
                headers = [header for header in headers
                           if header[0].lower() != "cache-control"] + [NO_STORE]
            return start_response(status, headers + HEADERS, exc_info)

        return self.wsgi_app(environ, start_with_headers)
