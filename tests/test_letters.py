"""Invitation letters laid out in parts and joined into one PDF (reports/letters.py)."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from reports import letters
from reports.letters import Letter, LetterSet, render_letters


def letter_set(count: int) -> LetterSet:
    base = "https://umfrage.example.de/s/fulda-2026"
    return LetterSet(
        municipality="Stadt Fulda", survey_title="Sicherheit in Fulda 2026",
        purpose="Wie sicher fühlen Sie sich?", survey_url=base,
        letters=[Letter("Innenstadt" if number % 2 else "Nordend", f"CODE-{number:04d}",
                        f"{base}?code=CODE-{number:04d}") for number in range(count)])


@pytest.mark.pdf
@pytest.mark.parametrize("workers", [1, 2])
def test_letters_laid_out_in_parts_keep_their_order(monkeypatch, workers):
    monkeypatch.setattr(letters, "LETTERS_PER_PART", 3)  # 7 letters: parts of 3, 3, 1
    reader = PdfReader(io.BytesIO(render_letters(letter_set(7), date(2026, 12, 3), workers)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 7
    for number, text in enumerate(pages):
        assert f"CODE-{number:04d}" in text
        assert ("Innenstadt" if number % 2 else "Nordend") in text
        assert sum(f"CODE-{other:04d}" in text for other in range(7)) == 1  # one letter a page


@pytest.mark.pdf
def test_joined_letters_keep_title_author_and_language(monkeypatch):
    monkeypatch.setattr(letters, "LETTERS_PER_PART", 2)
    reader = PdfReader(io.BytesIO(render_letters(letter_set(3), date(2026, 12, 3))))
    assert reader.metadata.title == "Einladungsschreiben – Sicherheit in Fulda 2026"
    assert reader.metadata.author == "Stadt Fulda"
    assert reader.trailer["/Root"]["/Lang"] == "de"
