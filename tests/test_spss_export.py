"""The SPSS export of a questionnaire with every type and coding, read back with
pyreadstat and with R (haven), as the university's analysts read it."""
from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from app.demo import load_demo
from app.extensions import db
from app.models import Response, Survey
from app.survey.service import context_of

from .databases import app_on_new_database
from .every_type import LONG_LABEL, LONG_OPTION, two_waves

ANSWERS = [
    {"district": "01", "gender": "x", "rating": "-", "sign": "+1", "age": -5,
     "trust_police": 3, "trust_city": 9, "transport_foot": 1, "transport_bike": 0,
     "places": "=Bahnhof;\n\"Tunnel\" 🚦", "why": "dunkel", "years": None},
    {"district": "11", "gender": "f", "rating": 2, "sign": 9, "age": 120,
     "trust_police": 1, "transport_foot": 0, "transport_bike": 1},
]


def export_wave_a(app, directory: Path) -> Path:
    """The SPSS export of wave A with ANSWERS (one online, one on paper); needs the
    demo municipality."""
    waves = two_waves(app)
    with app.app_context():
        for answers, source in zip(ANSWERS, ("online", "paper")):
            db.session.add(Response(survey_id=waves.first, source=source,
                                    completed_on=datetime.date(2026, 3, 31),
                                    answers={k: v for k, v in answers.items() if v is not None}))
        db.session.commit()
    out = directory / "antworten.sav"
    result = app.test_cli_runner().invoke(args=["responses", "export", "welle-a", "--format",
                                                "sav", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def exported(app, survey, tmp_path) -> Path:
    return export_wave_a(app, tmp_path)


@pytest.fixture(scope="module")
def wave_a_sav(tmp_path_factory) -> Path:
    """Wave A's export, made once for the tests of its codings."""
    directory = tmp_path_factory.mktemp("spss")
    with app_on_new_database(directory, "spss") as app:
        with app.app_context():
            load_demo(db.session, responses=0)
        return export_wave_a(app, directory)


@pytest.fixture(scope="module")
def sav(wave_a_sav) -> tuple:
    """(frame, meta) of wave A's export as pyreadstat reads it, user-missing kept."""
    import pyreadstat

    return pyreadstat.read_sav(str(wave_a_sav), user_missing=True)


def test_number_options_with_a_text_missing_are_a_labelled_string(sav):
    frame, meta = sav
    assert list(frame["rating"]) == ["-", "2"]
    assert meta.variable_value_labels["rating"] == {"1": "gut", "2": "schlecht",
                                                    "-": "keine Angabe"}
    assert meta.missing_ranges["rating"] == [{"lo": "-", "hi": "-"}]


def test_text_codes_are_labelled_and_keine_angabe_is_missing(sav):
    frame, meta = sav
    labels = meta.variable_value_labels
    assert labels["gender"]["x"] == "keine Angabe"
    assert meta.missing_ranges["gender"] == [{"lo": "x", "hi": "x"}]
    assert labels["sign"] == {"+1": "plus", "=": "gleich", "@home": "zu Hause",
                              "9": "keine Angabe"}
    assert list(frame["sign"]) == ["+1", "9"]


def test_numeric_codes_have_whole_number_formats_and_levels(sav):
    frame, meta = sav
    formats = meta.original_variable_types
    assert list(frame["trust_police"]) == [3.0, 1.0]
    assert meta.missing_ranges["trust_police"] == [{"lo": 9.0, "hi": 9.0}]
    assert (formats["trust_police"], meta.variable_measure["trust_police"]) == ("F1.0",
                                                                               "ordinal")
    assert (formats["age"], meta.variable_measure["age"]) == ("F3.0", "scale")
    assert list(frame["age"]) == [-5.0, 120.0]


def test_multiple_choice_columns_are_labelled_nominal(sav):
    _frame, meta = sav
    assert meta.variable_value_labels["transport_bike"] == {1.0: "ausgewählt",
                                                            0.0: "nicht ausgewählt"}
    assert meta.variable_measure["transport_bike"] == "nominal"


def test_districts_carry_their_names(sav):
    labels = sav[1].variable_value_labels["district"]
    assert labels["01"] == "Mitte" and labels["11"] == "Nord (Holland)"


def test_the_date_is_a_date_and_the_source_is_labelled(sav):
    frame, meta = sav
    assert meta.original_variable_types["completed_on"] == "EDATE10"
    assert list(frame["completed_on"]) == [datetime.date(2026, 3, 31)] * 2
    assert meta.variable_value_labels["source"]["paper"] == "Papier"


def test_free_text_is_exported_as_typed(sav):
    assert list(sav[0]["places"]) == [ANSWERS[0]["places"], ""]


def test_long_labels_are_cut_at_a_whole_character(wave_a_sav):
    import pyreadstat

    _frame, meta = pyreadstat.read_sav(str(wave_a_sav))
    label = dict(zip(meta.column_names, meta.column_labels))["trust_police"]
    option = meta.variable_value_labels["trust_police"][3.0]
    assert LONG_LABEL.startswith(label) and 250 <= len(label.encode()) <= 256
    assert LONG_OPTION.startswith(option) and 115 <= len(option.encode()) <= 120


def test_an_empty_wave_exports_too(app, runner, survey, tmp_path):
    import pyreadstat

    two_waves(app)
    out = tmp_path / "leer.sav"
    assert runner.invoke(args=["responses", "export", "welle-a", "--format", "sav",
                               str(out)]).exit_code == 0
    frame, meta = pyreadstat.read_sav(str(out))
    assert len(frame) == 0 and meta.original_variable_types["completed_on"] == "EDATE10"


R_SCRIPT = r"""
library(haven)
data <- read_sav(commandArgs(trailingOnly = TRUE)[1], user_na = TRUE)
for (name in names(data)) {
  column <- data[[name]]
  labels <- attr(column, "labels")
  cat("variable", name, class(column)[1], attr(column, "format.spss"), sep = "\t")
  cat("\n")
  cat("label", name, attr(column, "label"), sep = "\t")
  cat("\n")
  values <- if (inherits(column, "Date")) format(column) else format(unclass(column))
  cat("values", name, values, sep = "\t")
  cat("\n")
  for (i in seq_along(labels)) {
    cat("value_label", name, labels[[i]], names(labels)[i], sep = "\t")
    cat("\n")
  }
  cat("missing", name, attr(column, "na_values"), sep = "\t")
  cat("\n")
}
"""


def r_read(path) -> dict[tuple[str, str], list[str]]:
    """What R (haven) reads from the file, keyed by (what, variable)."""
    script = path.parent / "read.R"
    script.write_text(R_SCRIPT, encoding="utf-8")
    result = subprocess.run(["Rscript", str(script), str(path)], capture_output=True,
                            text=True, encoding="utf-8", timeout=120)
    assert result.returncode == 0, result.stderr
    read: dict[tuple[str, str], list[str]] = {}
    for line in result.stdout.splitlines():
        what, name, *rest = line.split("\t")
        read.setdefault((what, name), []).extend(rest)
    return read


@pytest.mark.skipif(shutil.which("Rscript") is None,
                    reason="Rscript is not installed (Debian: r-base-core r-cran-haven, "
                           "see scripts/install-debian-packages.sh)")
def test_r_reads_the_spss_export(app, exported):
    """What an analyst at the university gets in R: the same codes, labels and missing."""
    read = r_read(exported)
    assert read[("variable", "trust_police")] == ["haven_labelled_spss", "F1.0"]
    assert read[("variable", "rating")][0] == "haven_labelled_spss"
    assert read[("variable", "completed_on")] == ["Date", "EDATE10"]
    assert read[("values", "completed_on")] == ["2026-03-31", "2026-03-31"]
    assert read[("values", "rating")] == ["-", "2"]
    assert read[("missing", "rating")] == ["-"] and read[("missing", "gender")] == ["x"]
    assert read[("missing", "trust_police")] == ["9"]
    value_labels = dict(zip(read[("value_label", "gender")][::2],
                            read[("value_label", "gender")][1::2]))
    assert value_labels == {"f": "weiblich", "m": "männlich", "x": "keine Angabe"}
    districts = read[("value_label", "district")]
    assert dict(zip(districts[::2], districts[1::2]))["01"] == "Mitte"
    label = read[("label", "trust_police")][0]
    assert LONG_LABEL.startswith(label) and len(label.encode()) > 250
    assert [value.strip() for value in read[("values", "age")]] == ["-5", "120"]
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "welle-a"))
        columns = list(context_of(db.session, survey).questionnaire.variables)
    assert [name for what, name in read if what == "variable"] == columns + [
        "source", "completed_on"]
