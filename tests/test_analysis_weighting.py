"""Raking checked by hand and against an independent implementation (ipfn)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.notes import Note, NoteKind
from analysis.weighting import WeightingError, rake

# Population of one district: gender margin f 60 / m 40, age margin 50 / 50.
POPULATION = pd.DataFrame({
    "district": ["A"] * 4, "gender": ["f", "f", "m", "m"],
    "age_group": ["18-29", "30-44", "18-29", "30-44"], "population": [30, 30, 20, 20]})


def respondents(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["district", "gender", "age_group"])


def test_raking_matches_the_example_worked_by_hand():
    frame = respondents([("A", "f", "18-29"), ("A", "f", "18-29"), ("A", "f", "30-44"),
                         ("A", "m", "18-29"), ("A", "m", "30-44")])
    result = rake(frame, POPULATION)
    # By hand: w = r_g * c_a with r_f = 1 gives c_young^2 - 105 c_young + 1500 = 0.
    young_f = (105 - math.sqrt(5025)) / 2
    old_f = 60 - 2 * young_f
    young_m = 50 - 2 * young_f
    old_m = 40 - young_m
    expected = [young_f, young_f, old_f, young_m, old_m]
    assert result.weights.to_numpy() == pytest.approx(expected, rel=1e-9)
    quality = result.districts["A"]
    assert quality.weighted_n == pytest.approx(100)
    w = np.array(expected)
    assert quality.n_eff == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert quality.design_effect == pytest.approx(5 / quality.n_eff)


def test_raking_agrees_with_ipfn_on_a_realistic_district():
    from ipfn import ipfn

    rng = np.random.default_rng(7)
    genders = rng.choice(["f", "m"], 800, p=[0.6, 0.4])
    ages = rng.choice(["14-17", "18-29", "30-44", "45-59", "60-74", "75+"], 800,
                      p=[0.03, 0.1, 0.2, 0.3, 0.27, 0.1])
    frame = respondents([("K", g, a) for g, a in zip(genders, ages)])
    population = pd.DataFrame([("K", g, a, int(p)) for g in ("f", "m")
                               for a, p in zip(["14-17", "18-29", "30-44", "45-59", "60-74",
                                                "75+"], [400, 1900, 2400, 2300, 1700, 1100])],
                              columns=["district", "gender", "age_group", "population"])
    population.loc[population.gender == "f", "population"] += 150
    ours = rake(frame, population).weights

    gender_order = ["f", "m"]
    age_order = ["14-17", "18-29", "30-44", "45-59", "60-74", "75+"]
    counts = pd.crosstab(frame.gender, frame.age_group).reindex(
        index=gender_order, columns=age_order, fill_value=0).to_numpy(dtype=float)
    margins = population.pivot_table(index="gender", columns="age_group", values="population",
                                     aggfunc="sum").reindex(index=gender_order,
                                                            columns=age_order)
    fitted = ipfn.ipfn(counts.copy(), [margins.sum(axis=1).to_numpy(dtype=float),
                                       margins.sum(axis=0).to_numpy(dtype=float)],
                       [[0], [1]], convergence_rate=1e-12, max_iteration=5000).iteration()
    per_person = fitted / counts
    reference = [per_person[gender_order.index(g), age_order.index(a)]
                 for g, a in zip(frame.gender, frame.age_group)]
    assert ours.to_numpy() == pytest.approx(reference, rel=1e-6)


def test_empty_age_group_is_collapsed_with_its_neighbour():
    population = pd.DataFrame({
        "district": ["B"] * 4, "gender": ["f", "m", "f", "m"],
        "age_group": ["14-17", "14-17", "18-29", "18-29"], "population": [10, 10, 40, 40]})
    frame = respondents([("B", "f", "18-29"), ("B", "m", "18-29"), ("B", "m", "18-29")])
    result = rake(frame, population)
    assert result.weights.sum() == pytest.approx(100)
    assert result.notes == [Note(NoteKind.EMPTY_AGE_GROUP, "B", categories=("14-17",),
                                 joined_with=("18-29",))]
    w = result.weights.to_numpy()
    assert w[0] == pytest.approx(50) and w[1:].sum() == pytest.approx(50)


def test_unusable_weighting_variables_get_the_mean_weight():
    frame = respondents([("A", "f", "18-29"), ("A", "f", "30-44"), ("A", "m", "18-29"),
                         ("A", "m", "30-44"), ("A", "d", "30-44"), ("A", None, "18-29")])
    result = rake(frame, POPULATION)
    w = result.weights.to_numpy()
    assert w.sum() == pytest.approx(100)
    assert w[4] == pytest.approx(w[:4].mean()) and w[5] == pytest.approx(w[:4].mean())
    assert result.notes == [Note(NoteKind.MEAN_WEIGHT, "A", count=2)]


@pytest.mark.parametrize("population, message", [
    (POPULATION.assign(district="Z"), "no residents for district 'A'"),
    (POPULATION.drop(columns="gender"), "lacks the columns gender"),
    (POPULATION.assign(population=-1), "negative population"),
    (POPULATION.assign(population="viele"), "'population' must be numeric"),
])
def test_bad_population_tables_are_named(population, message):
    with pytest.raises(WeightingError, match=message):
        rake(respondents([("A", "f", "18-29")]), population)


def test_a_gender_nobody_answered_for_keeps_the_gender_margin_of_the_others():
    population = pd.concat([POPULATION, pd.DataFrame({
        "district": ["A", "A"], "gender": ["d", "d"], "age_group": ["18-29", "30-44"],
        "population": [2, 2]})], ignore_index=True)
    frame = respondents([("A", "f", "18-29"), ("A", "f", "18-29"), ("A", "f", "30-44"),
                         ("A", "m", "18-29"), ("A", "m", "30-44")])
    result = rake(frame, population)
    w = result.weights.to_numpy()
    assert w.sum() == pytest.approx(104)  # the whole population, d residents included
    # Without the d residents the margins are those of the hand-worked example, scaled.
    women, young = w[:3].sum(), w[[0, 1, 3]].sum()
    assert women / w.sum() == pytest.approx(60 / 100) and young / w.sum() == pytest.approx(0.5)
    assert result.notes == [Note(NoteKind.GENDER_LEFT_OUT, "A", count=4, categories=("d",))]


def test_margins_out_of_reach_join_the_thinnest_age_group():
    # One woman aged 18-29 and one man aged 30-44 cannot meet 60/40 and 50/50 at once.
    result = rake(respondents([("A", "f", "18-29"), ("A", "m", "30-44")]), POPULATION)
    assert result.weights.sum() == pytest.approx(100)
    assert {(note.kind, note.district) for note in result.notes} == {
        (NoteKind.SPARSE_AGE_GROUP, "A")}
    # Joined step by step (the thinnest group first) until one age group is left.
    assert result.notes[-1] == Note(NoteKind.SPARSE_AGE_GROUP, "A",
                                    categories=("14-17", "18-29"),
                                    joined_with=("30-44", "45-59", "60-74", "75+"))


def test_no_respondent_with_gender_and_age_gives_equal_weights():
    result = rake(respondents([("A", None, "18-29"), ("A", "f", None), ("A", "d", "30-44")]),
                  POPULATION)
    assert result.weights.to_numpy() == pytest.approx([100 / 3] * 3)
    assert result.notes == [Note(NoteKind.EQUAL_WEIGHTS, "A", count=3)]
