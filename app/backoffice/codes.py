"""Invitation codes for a register sample: generation per district, letters, mail merge
(services: nothing here commits; app/actions/codes.py does)."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.orm import Session

from reports.letters import Letter, LetterSet, render_letters

from ..models import AccessMode, Survey, today
from ..survey.service import new_codes
from .tabular import TableError, TableProblem, read_table, write_csv

MAX_CODES_PER_RUN = 100_000


class CodesError(ValueError):
    """Codes cannot be generated as asked; the message says why."""


@dataclass(frozen=True)
class GeneratedCode:
    district_code: str
    district_name: str
    code: str
    url: str


def survey_url(base_url: str, survey: Survey) -> str:
    return f"{base_url.rstrip('/')}/s/{quote(survey.slug)}"


def check_counts(survey: Survey, counts: dict[str, int]) -> int:
    """The number of codes asked for, or CodesError if they cannot be made (checked
    before a letter batch is queued, so that the form shows the problem at once)."""
    if survey.access_mode != AccessMode.CODES:
        raise CodesError(f"Die Befragung '{survey.slug}' ist offen zugänglich; Codes gibt es "
                         "nur bei Zugang mit Einladungscode.")
    known = {district.code for district in survey.municipality.districts}
    unknown = sorted(set(counts) - known)
    if unknown:
        raise CodesError(f"Unbekannte Stadtteile: {', '.join(unknown)}.")
    total = sum(counts.values())
    if total < 1 or total > MAX_CODES_PER_RUN or min(counts.values()) < 0:
        raise CodesError(f"Anzahl muss zwischen 1 und {MAX_CODES_PER_RUN} liegen.")
    return total


def generate(session: Session, survey: Survey, counts: dict[str, int], base_url: str
             ) -> list[GeneratedCode]:
    """New codes per district (code -> count). Which district a code went to is kept
    (for return rates); who received it never is."""
    check_counts(survey, counts)
    districts = {district.code: district for district in survey.municipality.districts}
    url = survey_url(base_url, survey)
    generated = []
    for code, count in counts.items():
        district = districts[code]
        for plain in new_codes(session, survey, count, district_id=district.id):
            generated.append(GeneratedCode(code, district.name, plain,
                                           f"{url}?code={plain}"))
    return generated


def parse_counts(raw: bytes, source: str) -> dict[str, int]:
    """CSV ``district_code,count`` (as many rows as districts to invite)."""
    table = read_table(raw, source, ["district_code", "count"])
    counts, problems = {}, []
    for line, row in table.rows:
        if not re.fullmatch(r"[0-9]{1,6}", row["count"]):
            problems.append(TableProblem(source, line, "count", f"'{row['count']}' ist keine "
                                         "ganze Zahl ≥ 0."))
        elif row["district_code"] in counts:
            problems.append(TableProblem(source, line, "district_code", "Stadtteil kommt "
                                         "doppelt vor."))
        else:
            counts[row["district_code"]] = int(row["count"])
    if problems:
        raise TableError(problems)
    return counts


def letters_pdf(survey: Survey, generated: list[GeneratedCode], base_url: str,
                workers: int = 1) -> bytes:
    """The letters as one print-ready PDF, laid out by ``workers`` processes."""
    letter_set = LetterSet(
        municipality=survey.municipality.name, survey_title=survey.title,
        purpose=("Ihre Stadt möchte gemeinsam mit der Polizei wissen, wie sicher Sie sich in "
                 f"Ihrer Wohngegend fühlen. Dazu lädt sie Sie zur Befragung "
                 f"„{survey.title}“ ein."),
        survey_url=survey_url(base_url, survey),
        letters=[Letter(item.district_name, item.code, item.url) for item in generated],
        min_n=survey.municipality.min_n, closes_on=survey.closes_on,
        contact_name=survey.municipality.contact_name,
        contact_phone=survey.municipality.contact_phone,
        contact_email=survey.municipality.contact_email,
        paper_questionnaire=survey.municipality.paper_questionnaire)
    return render_letters(letter_set, today(), workers)


def letters_zip(survey: Survey, generated: list[GeneratedCode], base_url: str,
                workers: int = 1) -> bytes:
    """The ZIP for the printing house: the letters as one PDF and the mail-merge CSV."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"{survey.slug}-einladungen.pdf",
                        letters_pdf(survey, generated, base_url, workers))
        bundle.writestr(f"{survey.slug}-serienbrief.csv", mail_merge_csv(generated))
    return archive.getvalue()


def mail_merge_csv(generated: list[GeneratedCode]) -> bytes:
    """For the printing house: one row per letter (UTF-8, comma-separated, district
    names neutralised like every export)."""
    return write_csv(["district_code", "district_name", "code", "url"],
                     ((g.district_code, g.district_name, g.code, g.url) for g in generated)
                     ).encode("utf-8")
