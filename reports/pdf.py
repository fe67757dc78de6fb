"""HTML to PDF with WeasyPrint, never reaching beyond the report's own assets.

A free-text answer such as ``<img src="http://...">`` is escaped by the templates;
should markup ever slip through, this fetcher still refuses every URL except
``data:`` and files inside the asset folders: no network, no /etc/passwd.
"""
from __future__ import annotations

import functools
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from . import svgparse, svgpattern, svgtext, textwidths

svgtext.install()
svgparse.install()
svgpattern.install()
textwidths.install()

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


PARSED_CSS = True  # False: report.css fetched and parsed for every PDF (its <link>)
REPORT_CSS_LINK = '<link rel="stylesheet" href="report.css">'  # as base.html writes it


@functools.cache
def report_css() -> CSS:
    """reports/assets/report.css, parsed once per process."""
    return CSS(filename=str(ASSET_DIR / "report.css"))


def _stylesheets(html: str) -> tuple[str, list[CSS]]:
    """The HTML without base.html's <link> to report.css, and the parsed report.css in
    its stead. It then counts as a user stylesheet, not an author one: the same, as long
    as the HTML has no other style sheet or style attribute (checked here); both outrank
    WeasyPrint's defaults."""
    if (not PARSED_CSS or REPORT_CSS_LINK not in html or "<style" in html
            or "style=" in html or html.count("stylesheet") != 1):
        return html, []
    return html.replace(REPORT_CSS_LINK, "", 1), [report_css()]


def render_document(html: str, tagged: bool = True) -> Document:
    """Lay out report HTML (for a tagged PDF unless ``tagged`` is false); assets are
    addressed relative to reports/assets/. Title and language come from <title> and
    <html lang>."""
    html, stylesheets = _stylesheets(html)
    return HTML(string=html, base_url=ASSET_DIR.as_uri() + "/",
                url_fetcher=AssetOnlyFetcher()).render(
        pdf_tags=tagged, stylesheets=stylesheets,
        font_config=font_configuration() if SHARED_FONTS else None)


def render_pdf_counted(html: str, tagged: bool = True) -> tuple[bytes, int]:
    """Render report HTML to a PDF (tagged unless ``tagged`` is false), with its page
    count."""
    document = render_document(html, tagged)
    return document.write_pdf(pdf_tags=tagged), len(document.pages)


def render_pdf(html: str, tagged: bool = True) -> bytes:
    return render_pdf_counted(html, tagged)[0]
