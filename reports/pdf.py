"""HTML to PDF with WeasyPrint, never reaching beyond the report's own assets.

A free-text answer such as ``<img src="http://...">`` is escaped by the templates;
should markup ever slip through, this fetcher still refuses every URL except
``data:`` and files inside the asset folders: no network, no /etc/passwd.
"""
from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from . import svgtext

svgtext.install()

ASSET_DIR = Path(__file__).resolve().parent / "assets"


class BlockedResource(ValueError):
    """A report asked for a resource outside its own assets."""


class AssetOnlyFetcher(URLFetcher):
    def __init__(self, asset_dirs: tuple[Path, ...] = (ASSET_DIR,)) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.asset_dirs = tuple(path.resolve() for path in asset_dirs)

    def fetch(self, url: str, headers: dict | None = None):
        parsed = urlparse(url)
        if parsed.scheme == "data":
            return super().fetch(url, headers)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            path = Path(unquote(parsed.path)).resolve()
            if any(path.is_relative_to(folder) for folder in self.asset_dirs) and path.is_file():
                return super().fetch(path.as_uri(), headers)
        raise BlockedResource(f"blocked resource: {url[:200]}")


SHARED_FONTS = True  # False: a new font configuration per PDF (WeasyPrint's default)
_fonts = threading.local()


def font_configuration() -> FontConfiguration:
    """One font configuration per thread, kept from one PDF to the next: Pango's fonts
    and their measurements stay loaded (about a sixth of a report's layout time)."""
    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def render_pdf_counted(html: str) -> tuple[bytes, int]:
    """Render report HTML to a tagged PDF, with its page count; assets are addressed
    relative to reports/assets/. Title and language come from <title> and <html lang>."""
    document = HTML(string=html, base_url=ASSET_DIR.as_uri() + "/",
                    url_fetcher=AssetOnlyFetcher()).render(
        pdf_tags=True, font_config=font_configuration() if SHARED_FONTS else None)
    return document.write_pdf(pdf_tags=True), len(document.pages)


def render_pdf(html: str) -> bytes:
    return render_pdf_counted(html)[0]
