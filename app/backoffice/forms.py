"""The back office's forms (Flask-WTF): what each form takes, its format checks and
messages in German. What needs the database (a slug taken, a district unknown) is
checked by the action (app/actions/), whose refusal ``refused`` puts beside its field.
Templates render every field through the one macro ``field`` of backoffice/_form.html
(with the helpers of app/forms.py).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (DateField, Field, HiddenField, RadioField, SelectChoice, SelectField,
                     StringField, TextAreaField)
from werkzeug.datastructures import FileStorage
from wtforms.validators import ValidationError

from .. import legal
from ..models import AccessMode
from ..municipal import SetupError, check_slug
from .codes import parse_counts
from .display import german_date
from .responses_io import FORMATS
from .tabular import TableError

WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


def _strip(text: str | None) -> str:
    return (text or "").strip()


def _slug(_form: FlaskForm, field: Field) -> None:
    try:
        check_slug(field.data, "Kürzel")
    except SetupError as error:
        raise ValidationError(str(error)) from error


class DayField(DateField):
    """A day as a date field sends it (JJJJ-MM-TT); empty: none."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = " ".join(valuelist).strip() if valuelist else ""
        self.data = None
        if text:
            try:
                self.data = date.fromisoformat(text)
            except ValueError as error:
                raise ValueError(f"„{text[:40]}“ ist kein Datum (JJJJ-MM-TT).") from error


class DatesForm(FlaskForm):
    opens_on = DayField("Erster Befragungstag")
    closes_on = DayField("Letzter Befragungstag")

    def validate_closes_on(self, field: Field) -> None:
        opens, closes = self.opens_on.data, field.data
        if opens and closes and closes < opens:
            raise ValidationError(f"Der letzte Befragungstag ({german_date(closes)}) liegt "
                                  f"vor dem ersten ({german_date(opens)}).")


class SurveyForm(DatesForm):
    """A new survey wave. The fields' order is the order of the error summary."""

    slug = StringField("Kürzel", filters=[_strip], validators=[_slug])
    title = StringField("Titel", filters=[_strip])
    access = RadioField("Zugang", choices=[SelectChoice(AccessMode.OPEN, "Offener Link"),
                                           SelectChoice(AccessMode.CODES, "Einladungscodes")],
                        default=AccessMode.OPEN, validate_choice=False)
    opens_on = DayField("Erster Befragungstag")
    closes_on = DayField("Letzter Befragungstag")
    questionnaire = SelectField("Fragebogen", validate_choice=False)
    questionnaire_upload = FileField("Fragebogen-Datei")

    def validate_access(self, field: Field) -> None:
        if field.data not in tuple(AccessMode):
            raise ValidationError("Bitte „Offener Link“ oder „Einladungscodes“ wählen.")


class MunicipalityForm(FlaskForm):
    slug = StringField("Kürzel", filters=[_strip], validators=[_slug])
    name = StringField("Name", filters=[_strip])

    def validate_name(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Der Name der Kommune fehlt.")


class MinNForm(FlaskForm):
    min_n = StringField("Mindestfallzahl", filters=[_strip])

    def validate_min_n(self, field: Field) -> None:
        if not WHOLE_NUMBER.fullmatch(field.data):
            raise ValidationError("Die Mindestfallzahl muss zwischen 10 und 1000 liegen.")


def _text_form(name: str, names: tuple[str, ...]) -> type[FlaskForm]:
    """A form of resident texts (legal.LIMITS: one line or many); checked by the action
    (legal.check), which refuses with a message per field."""
    fields: dict[str, Any] = {"section": HiddenField()}
    for field_name in names:
        kind = StringField if legal.LIMITS[field_name][1] else TextAreaField
        fields[field_name] = kind(legal.LABELS[field_name], default="")
    return type(name, (FlaskForm,), fields)


ContactForm = _text_form("ContactForm", legal.CONTACT_FIELDS)
LegalTextsForm = _text_form("LegalTextsForm", legal.LEGAL_FIELDS)


class DistrictsForm(FlaskForm):
    districts = FileField("Stadtteile (CSV)")
    population = FileField("Bevölkerung (CSV)")
    geojson = FileField("Grenzen (GeoJSON)")


class PaperImportForm(FlaskForm):
    responses = FileField("Papierfragebögen importieren")


class StatusForm(FlaskForm):
    status = HiddenField()
    confirm = HiddenField()


class ReportForm(FlaskForm):
    kind = HiddenField()
    district = SelectField("Stadtteilbericht für", validate_choice=False)


class ExportForm(FlaskForm):
    """The export links' query (GET: no CSRF token; nothing is changed)."""

    class Meta:
        csrf = False

    format = SelectField(choices=list(FORMATS), default="csv")
    sep = SelectField(choices=[",", ";"], default=",")
    weights = StringField(default="")


class CodesForm(FlaskForm):
    """Counts per district (one field ``count_CODE`` each, see codes_form) or a CSV."""

    counts = HiddenField("Anzahl je Stadtteil")  # carries the problem of all the fields
    counts_csv = FileField("Anzahlen als CSV")

    def requested(self) -> dict[str, int] | None:
        """Counts per district from the uploaded CSV, else from the fields (only those
        above 0); None, with the problems at their fields, if they cannot be read."""
        if not self.validate():
            return None
        upload = self.counts_csv.data
        if isinstance(upload, FileStorage) and upload.filename:
            try:
                return parse_counts(upload.read(), upload.filename)
            except TableError as error:
                self.counts_csv.errors = [str(problem) for problem in error.problems]
                return None
        counts = {field.name[len("count_"):]: int(field.data) for field in self
                  if field.name.startswith("count_") and field.data and int(field.data)}
        if not counts:
            self.counts.errors = ["Bitte für mindestens einen Stadtteil eine Anzahl "
                                  "eintragen, oder eine CSV-Datei wählen."]
            return None
        return counts

    def from_file(self) -> bool:
        return isinstance(self.counts_csv.data, FileStorage) and bool(
            self.counts_csv.data.filename)


def _whole_number(_form: FlaskForm, field: Field) -> None:
    if field.data and not WHOLE_NUMBER.fullmatch(field.data):
        raise ValidationError(f"„{field.data[:40]}“ ist keine ganze Zahl.")


def codes_form(districts: list[tuple[str, str]], **options: Any) -> CodesForm:
    """The codes form of a municipality's districts ((code, name) pairs)."""
    fields = {f"count_{code}": StringField(f"Anzahl für {name}", filters=[_strip],
                                           validators=[_whole_number])
              for code, name in districts}
    return type("DistrictCodesForm", (CodesForm,), fields)(**options)
