"""Every indicator says what it counts, and counts what it says (issue: "Vertrauen in
die Polizei: 6 %" where 6 % was the share who did NOT trust the police)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.indicators import indicator_specs, indicator_table
from app.paths import PROJECT_DIR
from questionnaires import load_questionnaire_text

STANDARD = load_questionnaire_text(
    (PROJECT_DIR / "questionnaires" / "sicherheit-standard.yaml").read_text(encoding="utf-8"),
    "sicherheit-standard.yaml")
SPECS = indicator_specs(STANDARD)


@pytest.fixture(scope="module")
def unanimous() -> pd.DataFrame:
    """The indicator table when, in district "v<k>", 40 residents all answer k to every
    item that offers k."""
    values = sorted({float(c.value) for spec in SPECS
                     for c in STANDARD.variables[spec.item].choices})
    frame = pd.DataFrame([{"district": f"v{value:g}", **{
        spec.item: value if value in spec.valid else float("nan") for spec in SPECS}}
        for value in values for _ in range(40)])
    return indicator_table(frame, None, STANDARD, weighted=False, min_n=1).table


def estimate_when_everyone_answers(table: pd.DataFrame, spec, value: float) -> float:
    row = table[(table["district"] == f"v{value:g}") & (table["group"] == "all")
                & (table["indicator"] == spec.name)].iloc[0]
    assert row["label"] == spec.title  # the table carries the label it is shown with
    return float(row["estimate"])


@pytest.mark.parametrize("spec", [s for s in SPECS if s.kind == "share"], ids=lambda s: s.name)
def test_a_share_names_exactly_the_answers_it_counts(spec, unanimous):
    variable = STANDARD.variables[spec.item]
    counted = re.findall(r"„([^“]+)“", spec.measure)
    unfavourable = [c.label.de for c in variable.choices if c.value in variable.unfavourable]
    assert spec.title.startswith("Anteil „") and counted == unfavourable
    assert variable.label.de.rstrip(" .") in spec.title
    for choice in variable.choices:
        share = estimate_when_everyone_answers(unanimous, spec, float(choice.value))
        assert share == (1.0 if choice.label.de in counted else 0.0), choice.label.de


@pytest.mark.parametrize("spec", [s for s in SPECS if s.kind == "mean"], ids=lambda s: s.name)
def test_a_mean_says_it_is_a_mean_on_its_scale(spec, unanimous):
    variable = STANDARD.variables[spec.item]
    first, last = variable.choices[0], variable.choices[-1]
    assert spec.title.startswith(f"Mittelwert von {first.value} („{first.label.de}“) bis "
                                 f"{last.value} („{last.label.de}“)")
    assert estimate_when_everyone_answers(unanimous, spec, float(last.value)) == float(last.value)


def test_trust_and_reporting_read_as_the_share_that_is_unfavourable():
    titles = {spec.name: spec.title for spec in SPECS}
    assert titles["trust_police"].startswith(
        "Anteil „stimme eher nicht zu“ oder „stimme gar nicht zu“: Ich habe Vertrauen")
    assert titles["reported_assault"].startswith("Anteil „nein“: Haben Sie")


def test_a_scale_without_an_unfavourable_end_is_only_a_mean():
    questionnaire = load_questionnaire_text("""
format: 1
id: ohne-richtung
version: "1"
title: {de: "Test"}
pages:
  - id: one
    title: {de: "Eins"}
    items:
      - code: district
        type: district
        label: {de: "Stadtteil"}
      - code: satisfaction
        type: single
        label: {de: "Wie zufrieden sind Sie mit der Beleuchtung?"}
        options:
          - {value: 1, de: "sehr zufrieden"}
          - {value: 2, de: "teils, teils"}
          - {value: 3, de: "gar nicht zufrieden"}
""", "ohne-richtung.yaml")
    specs = indicator_specs(questionnaire)
    assert [(spec.name, spec.kind) for spec in specs] == [("satisfaction_mean", "mean")]
    assert specs[0].title.startswith("Mittelwert von 1 („sehr zufrieden“)")
    assert "Anteil" not in specs[0].title
