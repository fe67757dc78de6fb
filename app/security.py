"""HTTP headers that keep a resident's browser talking to this app only."""
from __future__ import annotations

from flask import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    # An invitation code may stand in a URL (from the QR code): never pass it on.
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)


def add_security_headers(response: Response) -> Response:
    response.headers.extend(HEADERS)
    if response.mimetype == "text/html":
        # Answers on a shared device must not come back from the browser cache.
        response.headers["Cache-Control"] = "no-store"
    return response
