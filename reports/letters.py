"""Invitation letters: one page per code, with the URL and a QR code that opens the
survey with the code filled in."""
from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date

import segno
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from .pdf import render_pdf
from .pool import ReportPool
from .templating import environment

# Letters laid out in one WeasyPrint document (see render_letters).
LETTERS_PER_PART = 100


@dataclass(frozen=True)
class Letter:
    district_name: str
    code: str
    url: str  # the survey URL with ?code=...


@dataclass(frozen=True)
class LetterSet:
    municipality: str
    survey_title: str
    purpose: str
    survey_url: str  # without the code, for typing in
    letters: list[Letter]
    min_n: int = 30
    closes_on: date | None = None
    # Whom to ask (each None when not entered) and how to get a paper questionnaire.
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    paper_questionnaire: str | None = None

    @property
    def privacy_url(self) -> str:
        """The full data-protection notice on the survey's pages."""
        return f"{self.survey_url}/datenschutz"


def qr_svg(url: str) -> str:
    """An inline SVG QR code (no file, no network)."""
    return segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff",
                                                 omitsize=True)


def letters_html(letter_set: LetterSet, today: date, letters: list[Letter]) -> str:
    """The HTML of ``letters`` (some or all of the set's), one page each."""
    return environment().get_template("letters.html").render(
        letter_set=letter_set, today=today,
        letters=[(letter, qr_svg(letter.url)) for letter in letters])


def render_letters(letter_set: LetterSet, today: date, workers: int = 1) -> bytes:
    """All letters of the set as one print-ready PDF, a page per letter.

    WeasyPrint keeps every page of a document in memory until it writes it (about
    0.85 MB a letter), so the letters are laid out in parts of LETTERS_PER_PART and the
    parts' PDFs joined: layout needs the memory of a few parts, however many letters;
    only the PDF itself (about 4 KB a letter) grows with the batch.
    With ``workers`` > 1, that many processes lay out parts side by side while this one
    fills the next parts' HTML (a job worker; a web request keeps to its own process).
    The PDF is a print master and not tagged: a joined PDF could not keep the parts'
    structure trees."""
    letters = letter_set.letters
    htmls = (letters_html(letter_set, today, letters[start:start + LETTERS_PER_PART])
             for start in range(0, len(letters), LETTERS_PER_PART))
    if workers <= 1 or len(letters) <= LETTERS_PER_PART:  # no processes for one part
        return join_pdfs(render_pdf(html, tagged=False) for html in htmls)
    with ReportPool(workers) as pool:
        return join_pdfs(_laid_out(pool, htmls, ahead=2 * workers))


def _laid_out(pool: ReportPool, htmls: Iterator[str], ahead: int) -> Iterator[bytes]:
    """The PDFs of ``htmls`` in order, laid out by ``pool``, at most ``ahead`` waiting
    (their HTML and PDFs are what this process holds meanwhile)."""
    waiting: deque[Future] = deque()
    for html in htmls:
        waiting.append(pool.untagged_pdf(html))
        if len(waiting) >= ahead:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


def join_pdfs(pdfs: Iterable[bytes]) -> bytes:
    """One PDF with the pages of ``pdfs`` in order; its title, author and language are
    the first one's (WeasyPrint's, from <title>, <meta name="author"> and <html lang>)."""
    writer, first = PdfWriter(), None
    for pdf in pdfs:
        reader = PdfReader(io.BytesIO(pdf))
        writer.append(reader, import_outline=False)
        if first is None:
            first = reader
    if first is not None:
        writer.add_metadata({key: value for key, value in (first.metadata or {}).items()
                             if key in ("/Title", "/Author", "/Producer")})
        if "/Lang" in first.trailer["/Root"]:
            writer.root_object[NameObject("/Lang")] = first.trailer["/Root"]["/Lang"]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
