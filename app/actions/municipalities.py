"""Municipalities: create one, its disclosure threshold, its texts for residents, its
districts with population and boundaries."""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from .. import audit, legal, municipal
from ..backoffice.districts import ImportSummary, import_districts
from ..backoffice.tabular import TableError
from ..models import Municipality
from . import refuse

Upload = tuple[bytes, str]  # (content, file name)


def create_municipality(session: Session, slug: str, name: str, min_n: int, actor: str
                        ) -> Municipality:
    """A municipality with short name ``slug`` and display ``name``."""
    try:
        municipality = municipal.create_municipality(session, slug, name)
        municipal.set_min_n(municipality, min_n)
    except municipal.SetupError as error:
        refuse(session, str(error), field=error.field)
    audit.record(session, "municipality_created", slug, user_email=actor,
                 municipality_id=municipality.id)
    session.commit()
    return municipality


def set_min_n(session: Session, municipality: Municipality, min_n: int, actor: str) -> None:
    """The smallest number of respondents a published figure may rest on."""
    try:
        municipal.set_min_n(municipality, min_n)
    except municipal.SetupError as error:
        refuse(session, str(error), field=error.field)
    audit.record(session, "min_n_changed", str(municipality.min_n), user_email=actor,
                 municipality_id=municipality.id)
    session.commit()


def save_resident_texts(session: Session, municipality: Municipality,
                        typed: Mapping[str, str], names: tuple[str, ...], actor: str
                        ) -> list[str]:
    """Store the texts ``names`` as typed (contact, paper questionnaire, legal texts);
    the labels of those that changed. Refused with each problem at its field."""
    values, errors = legal.check(typed, names)
    if errors:
        refuse(session, "Nicht gespeichert.", fields=errors)
    changed = [legal.LABELS[name] for name in names
               if getattr(municipality, name) != values[name]]
    for name in names:
        setattr(municipality, name, values[name])
    audit.record(session, "resident_texts_changed", ", ".join(changed) or "keine Änderung",
                 user_email=actor, municipality_id=municipality.id)
    session.commit()
    return changed


def import_district_files(session: Session, municipality: Municipality,
                          districts: Upload | None, population: Upload | None,
                          geojson: Upload | None, actor: str) -> ImportSummary:
    """Districts, population and boundaries from files: all of them, or nothing."""
    try:
        summary = import_districts(session, municipality, districts, population, geojson)
    except TableError as error:
        refuse(session, "Nichts wurde importiert:", error.problems)
    audit.record(session, "districts_imported", str(summary), user_email=actor,
                 municipality_id=municipality.id)
    session.commit()
    return summary
