"""A questionnaire that uses every question type and the codings that broke exports:
number options with a text "keine Angabe" (`rating`: 1, 2 and "-"), text options that
look like formulas with a number as "keine Angabe" (`sign`), a negative integer, labels
longer than SPSS keeps (in multi-byte characters), conditions on items and on a page,
multiple choice shown only under a condition, and free text on a conditional page.

``two_waves`` creates two waves on it in the demo municipality (Kassel's districts).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Municipality, Survey
from app.municipal import create_survey_from_text

LONG_LABEL = "Straßenbeleuchtung € " * 30  # 720 bytes: more than SPSS keeps (256)
LONG_OPTION = "überwiegend zufrieden € " * 10  # 270 bytes: more than a value label (120)

EVERY_TYPE = f"""\
id: every-type
version: "1"
title: {{de: Alle Fragetypen, en: Every type}}
scales:
  agree:
    options:
      - {{value: 1, de: stimme zu, en: agree}}
      - {{value: 2, de: teils teils, en: partly}}
      - {{value: 3, de: "{LONG_OPTION}", en: disagree}}
    missing: {{value: 9, de: keine Angabe, en: no answer}}
    unfavourable: [3]
pages:
  - id: about
    title: {{de: Über Sie, en: About you}}
    items:
      - {{code: district, type: district, label: {{de: Stadtteil, en: District}}, required: true}}
      - code: gender
        type: single
        label: {{de: Geschlecht, en: Gender}}
        options:
          - {{value: "f", de: weiblich, en: female}}
          - {{value: "m", de: männlich, en: male}}
        missing: {{value: "x", de: keine Angabe, en: no answer}}
      - code: rating
        type: single
        label: {{de: Note, en: Mark}}
        options:
          - {{value: 1, de: gut, en: good}}
          - {{value: 2, de: schlecht, en: bad}}
        missing: {{value: "-", de: keine Angabe, en: no answer}}
      - code: sign
        type: single
        label: {{de: Vorzeichen, en: Sign}}
        options:
          - {{value: "+1", de: plus, en: plus}}
          - {{value: "=", de: gleich, en: equal}}
          - {{value: "@home", de: zu Hause, en: at home}}
        missing: {{value: 9, de: keine Angabe, en: no answer}}
      - {{code: age, type: integer, label: {{de: Alter, en: Age}}, min: -5, max: 120}}
      - code: trust
        type: matrix
        label: {{de: Vertrauen, en: Trust}}
        scale: agree
        rows:
          - {{code: trust_police, de: "{LONG_LABEL}", en: Police}}
          - {{code: trust_city, de: Stadt, en: City}}
      - code: transport
        type: multiple
        label: {{de: Unterwegs, en: Getting around}}
        options:
          - {{code: transport_foot, de: zu Fuß, en: on foot}}
          - {{code: transport_bike, de: Fahrrad, en: by bike}}
      - {{code: places, type: text, label: {{de: Orte, en: Places}}, max_length: 60}}
  - id: more
    title: {{de: Mehr, en: More}}
    show_if: {{item: trust_police, in: [3, 9]}}
    items:
      - {{code: why, type: text, label: {{de: Warum, en: Why}}, max_length: 40}}
      - code: seen
        type: multiple
        label: {{de: Gesehen, en: Seen}}
        show_if: {{item: transport_bike, in: [1]}}
        options:
          - {{code: seen_police, de: Polizei, en: police}}
          - {{code: seen_nobody, de: niemand, en: nobody}}
      - code: years
        type: integer
        label: {{de: Jahre, en: Years}}
        min: 0
        max: 99
        show_if: {{item: gender, not_in: ["x"]}}
"""


@dataclass
class Waves:
    first: int  # survey ids
    second: int


def two_waves(app, slugs: tuple[str, str] = ("welle-a", "welle-b")) -> Waves:
    """Two waves on EVERY_TYPE in the demo municipality (needs the ``survey`` fixture)."""
    with app.app_context():
        kassel = db.session.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        ids = [create_survey_from_text(db.session, kassel, slug, EVERY_TYPE,
                                       "every-type.yaml").id for slug in slugs]
        for survey_id in ids:
            db.session.get(Survey, survey_id).status = "open"
        db.session.commit()
    return Waves(*ids)
