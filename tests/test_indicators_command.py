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


def test_indicator_csv_contract(runner, demo, tmp_path):
    out = tmp_path / "ind.csv"
    result = runner.invoke(args=["indicators", "kassel-2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # The weighting's method notes, one German sentence each (the demo leaves some
    # respondents without gender or age group).
    notes = [line for line in result.output.splitlines() if line.startswith("Hinweis: ")]
    assert notes and all(line.startswith("Hinweis: Stadtteil ") for line in notes)
    assert any(line.endswith(" Befragte ohne verwendbares Geschlecht oder Alter erhielten das "
                             "mittlere Gewicht des Stadtteils") for line in notes)
    rows = read(out)
    assert list(rows[0]) == COLUMNS
    districts = {row["district"] for row in rows}
    assert len(districts) == 24 and "_city" in districts
    groups = {row["group"] for row in rows}
    assert {"all", "gender=f", "gender=m", "gender=d", "age_group=18-29", "age_group=75+"} <= groups
    city = next(r for r in rows if r["district"] == "_city" and r["group"] == "all"
                and r["indicator"] == "unsafe_night")
    assert city["suppressed"] == "false" and 0 < float(city["estimate"]) < 1
    assert city["label"].startswith("Anteil „eher unsicher“ oder „sehr unsicher“: ")
    assert float(city["ci_low"]) < float(city["estimate"]) < float(city["ci_high"])
    assert int(city["n"]) > 1000 and float(city["n_eff"]) < int(city["n"])
    for row in rows:
        if row["suppressed"] == "true":
            assert row["estimate"] == row["ci_low"] == row["ci_high"] == row["flag"] == ""
        elif row["indicator"].endswith("_mean"):
            assert 1 <= float(row["estimate"]) <= 4
        else:
            assert 0 <= float(row["estimate"]) <= 1
            assert int(row["n"]) >= 30
    assert {row["flag"] for row in rows} <= {"", "higher", "lower"}
    assert "higher" in {row["flag"] for row in rows}


def test_unweighted_and_min_n(runner, demo, tmp_path):
    out = tmp_path / "ind.csv"
    result = runner.invoke(args=["indicators", "kassel-2026", "--out", str(out), "--unweighted",
                                 "--min-n", "10"])
    assert result.exit_code == 0, result.output
    rows = [r for r in read(out) if r["suppressed"] == "false"]
    assert all(float(r["n_eff"]) == int(r["n"]) for r in rows)
    assert min(int(r["n"]) for r in rows) >= 10
    assert any(int(r["n"]) < 30 for r in rows)


def test_unknown_survey_and_missing_population_are_clear(app, runner, demo, tmp_path):
    from app.extensions import db
    from app.models import PopulationCell
    assert runner.invoke(args=["indicators", "nirgendwo", "--out", str(tmp_path / "x.csv")]
                         ).output.startswith("Error: Unbekannte Befragung 'nirgendwo'.")
    with app.app_context():
        db.session.query(PopulationCell).delete()
        db.session.commit()
    result = runner.invoke(args=["indicators", "kassel-2026", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "Auswertung nicht möglich: population table is empty" in result.output
