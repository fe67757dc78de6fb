"""The indicators command: its CSV columns are a contract."""
from __future__ import annotations

import csv
import io

import pytest

COLUMNS = ["district", "group", "indicator", "label", "n", "n_eff", "estimate", "ci_low",
           "ci_high", "suppressed", "flag"]


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo", "--responses", "1500", "--seed", "11"])
    assert result.exit_code == 0, result.output


def read(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def written(shared_demo, tmp_path_factory) -> tuple[str, list[dict]]:
    """The command's output and the indicator CSV of the shared demo, written once."""
    out = tmp_path_factory.mktemp("indicators") / "ind.csv"
    with shared_demo.reading() as app:
        result = app.test_cli_runner().invoke(args=["indicators", "kassel-2026", "--out",
                                                    str(out)])
    assert result.exit_code == 0, result.output
    return result.output, read(out)


@pytest.fixture(scope="module")
def rows(written) -> list[dict]:
    return written[1]


@pytest.fixture(scope="module")
def city(rows) -> dict:
    return next(r for r in rows if r["district"] == "_city" and r["group"] == "all"
                and r["indicator"] == "unsafe_night")


def test_weighting_notes_are_printed_one_german_sentence_each(written):
    # The demo leaves some respondents without gender or age group.
    notes = [line for line in written[0].splitlines() if line.startswith("Hinweis: ")]
    assert notes and all(line.startswith("Hinweis: Stadtteil ") for line in notes)
    assert any(line.endswith(" Befragte ohne verwendbares Geschlecht oder Alter erhielten das "
                             "mittlere Gewicht des Stadtteils") for line in notes)


def test_indicator_csv_has_the_contract_columns(rows):
    assert list(rows[0]) == COLUMNS


def test_indicator_csv_has_every_district_and_the_city(rows):
    districts = {row["district"] for row in rows}
    assert len(districts) == 24 and "_city" in districts


def test_indicator_csv_has_gender_and_age_groups(rows):
    groups = {row["group"] for row in rows}
    assert {"all", "gender=f", "gender=m", "gender=d", "age_group=18-29", "age_group=75+"} <= groups


def test_city_share_is_published_with_its_label(city):
    assert city["suppressed"] == "false" and 0 < float(city["estimate"]) < 1
    assert city["label"].startswith("Anteil „eher unsicher“ oder „sehr unsicher“: ")


def test_city_share_lies_inside_its_confidence_interval(city):
    assert float(city["ci_low"]) < float(city["estimate"]) < float(city["ci_high"])


def test_city_share_is_weighted(city):
    assert int(city["n"]) > 1000 and float(city["n_eff"]) < int(city["n"])


def test_suppressed_rows_carry_no_figures(rows):
    for row in rows:
        if row["suppressed"] == "true":
            assert row["estimate"] == row["ci_low"] == row["ci_high"] == row["flag"] == ""


def test_published_rows_are_in_range_and_reach_min_n(rows):
    for row in rows:
        if row["suppressed"] == "true":
            continue
        if row["indicator"].endswith("_mean"):
            assert 1 <= float(row["estimate"]) <= 4
        else:
            assert 0 <= float(row["estimate"]) <= 1
            assert int(row["n"]) >= 30


def test_flags_are_higher_lower_or_empty(rows):
    assert {row["flag"] for row in rows} <= {"", "higher", "lower"}
    assert "higher" in {row["flag"] for row in rows}


@pytest.mark.reads_demo
def test_unweighted_and_min_n(runner, tmp_path):
    out = tmp_path / "ind.csv"
    result = runner.invoke(args=["indicators", "kassel-2026", "--out", str(out), "--unweighted",
                                 "--min-n", "10"])
    assert result.exit_code == 0, result.output
    rows = [r for r in read(out) if r["suppressed"] == "false"]
    assert all(float(r["n_eff"]) == int(r["n"]) for r in rows)
    assert min(int(r["n"]) for r in rows) >= 10
    assert any(int(r["n"]) < 30 for r in rows)


@pytest.mark.reads_demo
def test_an_unknown_survey_is_named(runner, tmp_path):
    assert runner.invoke(args=["indicators", "nirgendwo", "--out", str(tmp_path / "x.csv")]
                         ).output.startswith("Error: Unbekannte Befragung 'nirgendwo'.")


def test_a_missing_population_is_named(app, runner, demo, tmp_path):
    from app.extensions import db
    from app.models import PopulationCell
    with app.app_context():
        db.session.query(PopulationCell).delete()
        db.session.commit()
    result = runner.invoke(args=["indicators", "kassel-2026", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "Auswertung nicht möglich: population table is empty" in result.output
