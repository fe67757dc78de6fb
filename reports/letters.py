"""Invitation letters: one page per code, with the URL and a QR code that opens the
survey with the code filled in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import segno

from .pdf import render_pdf
from .templating import environment


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


def render_letters(letter_set: LetterSet, today: date) -> bytes:
    html = environment().get_template("letters.html").render(
        letter_set=letter_set, today=today,
        letters=[(letter, qr_svg(letter.url)) for letter in letter_set.letters])
    return render_pdf(html)
