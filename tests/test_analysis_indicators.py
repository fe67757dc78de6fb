"""Indicators, intervals, flags and disclosure control, against independent references."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from analysis.disclosure import suppress
from analysis.indicators import AnalysisError, indicator_specs, indicator_table
from analysis.notes import NoteKind
from analysis.uncertainty import holm_reject, wilson_interval
from questionnaires import load_questionnaire_file

QUESTIONNAIRE = load_questionnaire_file(
    Path(__file__).resolve().parent.parent / "questionnaires" / "sicherheit-standard.yaml")


def population(districts: dict[str, int]) -> pd.DataFrame:
    rows = [(d, g, a, size // 12) for d, size in districts.items() for g in ("f", "m")
            for a in ("14-17", "18-29", "30-44", "45-59", "60-74", "75+")]
    return pd.DataFrame(rows, columns=["district", "gender", "age_group", "population"])


def synthetic(n_per_district: dict[str, int], unsafe: dict[str, float], seed: int = 1
              ) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for district, n in n_per_district.items():
        parts.append(pd.DataFrame({
            "district": district,
            "gender": rng.choice(["f", "m"], n),
            "age_group": rng.choice(["14-17", "18-29", "30-44", "45-59", "60-74", "75+"], n),
            "safety_night": np.where(rng.random(n) < unsafe[district], 4.0, 1.0),
            "safety_day": rng.choice([1.0, 2.0, 3.0, 9.0], n),
        }))
    return pd.concat(parts, ignore_index=True)


def row(table: pd.DataFrame, district: str, indicator: str, group: str = "all") -> pd.Series:
    match = table[(table.district == district) & (table.group == group)
                  & (table.indicator == indicator)]
    assert len(match) == 1
    return match.iloc[0]


@pytest.mark.parametrize("count, nobs", [(0, 10), (3, 10), (17, 40), (40, 40), (123.4, 456.7)])
def test_wilson_interval_equals_statsmodels(count, nobs):
    low, high = wilson_interval(np.array([count / nobs]), np.array([nobs]))
    reference = proportion_confint(count, nobs, alpha=0.05, method="wilson")
    assert (low[0], high[0]) == pytest.approx(reference, abs=1e-12)


def test_holm_equals_statsmodels():
    p_values = np.array([0.001, 0.04, 0.012, 0.3, 0.0125, np.nan])
    expected = multipletests(p_values[:5], alpha=0.05, method="holm")[0]
    assert list(holm_reject(p_values)[:5]) == list(expected)
    assert not holm_reject(p_values)[5]


def test_codebook_defines_the_indicators():
    names = {spec.name for spec in indicator_specs(QUESTIONNAIRE)}
    assert {"unsafe_night", "unsafe_day", "worry_burglary", "worry_burglary_mean",
            "problem_drugs", "avoid_places", "victim_assault", "reported_assault",
            "trust_police", "trust_police_mean"} <= names
    assert "unsafe_night_mean" not in names and "gender" not in names


def test_unweighted_share_excludes_no_answer_and_missing():
    frame = pd.DataFrame({"district": ["A"] * 6, "safety_night": [1, 3, 4, 9, np.nan, 2.0]})
    table = indicator_table(frame, None, QUESTIONNAIRE, weighted=False, min_n=1).table
    night = row(table, "A", "unsafe_night")
    assert night.n == 4 and night.estimate == pytest.approx(0.5)
    assert night.n_eff == pytest.approx(4)
    assert (night.ci_low, night.ci_high) == pytest.approx(
        proportion_confint(2, 4, method="wilson"))


def test_weighted_share_n_eff_and_city():
    frame = synthetic({"A": 300, "B": 200}, {"A": 0.5, "B": 0.2})
    result = indicator_table(frame, population({"A": 12000, "B": 3000}), QUESTIONNAIRE)
    table, weights = result.table, result.weighting.weights
    for district in ("A", "B"):
        members = frame.district == district
        w = weights[members]
        unsafe = frame.safety_night[members] >= 3
        district_row = row(table, district, "unsafe_night")
        assert district_row.estimate == pytest.approx((w * unsafe).sum() / w.sum())
        assert district_row.n_eff == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    city = row(table, "_city", "unsafe_night")
    assert city.estimate == pytest.approx((weights * (frame.safety_night >= 3)).sum()
                                          / weights.sum())
    assert weights[frame.district == "A"].sum() == pytest.approx(12000 // 12 * 12)


def test_districts_are_flagged_against_the_rest_of_the_city():
    sizes = {d: 200 for d in "ABCDEF"}
    shares = {"A": 0.7, "B": 0.3, "C": 0.3, "D": 0.3, "E": 0.3, "F": 0.05}
    table = indicator_table(synthetic(sizes, shares), population({d: 6000 for d in sizes}),
                            QUESTIONNAIRE).table
    flags = {d: row(table, d, "unsafe_night").flag for d in sizes}
    assert flags["A"] == "higher" and flags["F"] == "lower"
    assert flags["B"] == flags["C"] == ""


def test_small_districts_are_suppressed_and_not_recoverable():
    frame = synthetic({"A": 200, "B": 12, "C": 150}, {"A": 0.4, "B": 0.9, "C": 0.3})
    result = indicator_table(frame, population({"A": 9000, "B": 900, "C": 7000}),
                             QUESTIONNAIRE, min_n=30)
    table = result.table
    # 12 respondents in 12 cells: raking needed a further collapse, and says so.
    joined = [note for note in result.notes if note.kind is NoteKind.SPARSE_AGE_GROUP]
    assert joined and {note.district for note in joined} == {"B"}
    assert result.weighting.weights[frame.district == "B"].sum() == pytest.approx(900)
    small = row(table, "B", "unsafe_night")
    assert small.suppressed and pd.isna(small.estimate) and pd.isna(small.ci_low)
    # With the city and A published, B would follow by difference: C is hidden too.
    assert row(table, "C", "unsafe_night").suppressed
    assert not row(table, "_city", "unsafe_night").suppressed
    assert not row(table, "A", "unsafe_night").suppressed


def test_no_suppressed_cell_is_alone_in_any_relation():
    rng = np.random.default_rng(3)
    for _ in range(200):
        rows, breakdowns = 5, [[1, 2], [3, 4, 5]]
        n = np.zeros((rows, 6), dtype=np.int64)
        n[:-1, 1:3] = rng.integers(0, 80, (rows - 1, 2))
        n[:-1, 0] = n[:-1, 1:3].sum(axis=1) + rng.integers(0, 3, rows - 1)
        shares = rng.dirichlet(np.ones(3), rows - 1)
        n[:-1, 3:6] = np.floor(shares * n[:-1, [0]]).astype(np.int64)
        n[-1] = n[:-1].sum(axis=0)
        hidden = suppress(n, 30, breakdowns)
        assert (hidden | (n >= 30)).all()
        relations = [((rows - 1, c), [(r, c) for r in range(rows - 1)]) for c in range(6)]
        relations += [((r, 0), [(r, c) for c in group]) for r in range(rows) for group in breakdowns]
        for total, parts in relations:
            implicit = n[total] - sum(n[p] for p in parts)
            unknown = [p for p in [total] + parts if hidden[p] and n[p] > 0]
            if implicit > 0:
                unknown.append("implicit")
            if not hidden[total]:
                small = [p for p in unknown if p == "implicit" and implicit < 30
                         or p != "implicit" and n[p] < 30]
                assert not (len(unknown) == 1 and (small or unknown != ["implicit"])), (n, hidden)


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"safety_night": [1.0]}), "no 'district' column"),
    (pd.DataFrame({"district": ["A"], "safety_night": ["sehr sicher"]}),
     "column 'safety_night' must hold numbers"),
])
def test_bad_frames_are_named(frame, message):
    with pytest.raises(AnalysisError, match=message):
        indicator_table(frame, None, QUESTIONNAIRE, weighted=False)


def test_all_no_answer_and_empty_districts_give_suppressed_empty_rows():
    frame = pd.DataFrame({"district": ["A"] * 40, "gender": "f", "age_group": "30-44",
                          "safety_night": 9.0})
    table = indicator_table(frame, population({"A": 1200, "B": 500}), QUESTIONNAIRE,
                            districts=["A", "B"]).table
    for district in ("A", "B", "_city"):
        night = row(table, district, "unsafe_night")
        assert night.n == 0 and night.suppressed and pd.isna(night.estimate)


def test_free_text_is_cleaned_and_recurring_places_counted():
    from analysis.free_text import places_by_district

    frame = pd.DataFrame({
        "district": ["A"] * 31 + ["B"] * 5,
        "unsafe_places": ["Königsplatz nachts", "Unterführung am Königsplatz",
                          "Anruf unter 0561 1234567 bitte", "Mail an anna.b@example.org",
                          "Goethestraße 12 bei der Schule"] + [None] * 26
                         + ["Park"] * 5})
    a, b = places_by_district(frame, min_n=30)
    assert "Anruf unter [entfernt] bitte" in a.answers
    assert "Mail an [entfernt]" in a.answers and "[entfernt] bei der Schule" in a.answers
    assert ("Königsplatz", 2) in a.top_terms
    assert b.suppressed and b.answers == [] and b.top_terms == []


def test_recurring_places_are_places_not_word_fragments():
    from analysis.free_text import recurring_places

    answers = (["Holländischer Platz"] * 4 + ["am Holländischen Platz nachts"]
               + ["Unterführung am Stern"] * 3 + ["Unterführung"] * 5
               + ["Bushaltestelle ohne Licht"] * 2 + ["Park an der Aue, abends"] * 2
               + ["Einmal war ich unsicher"])
    places = dict(recurring_places(answers))
    assert places["Holländischer Platz"] == 4
    assert places["Unterführung am Stern"] == 3 and places["Unterführung"] == 8
    assert places["Bushaltestelle ohne Licht"] == 2 and places["Park an der Aue"] == 2
    # No fragments of the names above, no words that are not places.
    assert not {"Holländischer", "Platz", "Stern", "Licht", "Aue", "abends",
                "unsicher", "Einmal"} & set(places)


def test_wave_comparison_flags_real_change_only():
    from analysis.waves import compare_waves

    sizes = {d: 400 for d in "ABC"}
    before = indicator_table(synthetic(sizes, {"A": 0.3, "B": 0.3, "C": 0.3}, seed=5),
                             population({d: 8000 for d in sizes}), QUESTIONNAIRE).table
    after = indicator_table(synthetic(sizes, {"A": 0.55, "B": 0.3, "C": 0.3}, seed=6),
                            population({d: 8000 for d in sizes}), QUESTIONNAIRE).table
    change = compare_waves(after, before)
    night = change[(change.indicator == "unsafe_night") & (change.group == "all")].set_index(
        "district")
    assert night.loc["A", "flag"] == "higher" and night.loc["A", "change"] > 0.15
    assert night.loc["B", "flag"] == "" and night.loc["C", "flag"] == ""
    assert not change.indicator.str.endswith("_mean").any()
