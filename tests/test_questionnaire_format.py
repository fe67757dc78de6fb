"""The questionnaire format: the standard codebook, and every problem found with its line."""
from __future__ import annotations

from pathlib import Path

import pytest

from questionnaires import QuestionnaireError, load_questionnaire_file, load_questionnaire_text

STANDARD = Path(__file__).resolve().parent.parent / "questionnaires" / "sicherheit-standard.yaml"

VALID = """\
id: mini
title: {de: Mini, en: Mini}
scales:
  four:
    options:
      - {value: 1, de: eins, en: one}
      - {value: 2, de: zwei, en: two}
    missing: {value: 9, de: keine Angabe, en: no answer}
pages:
  - id: first
    title: {de: Erste, en: First}
    items:
      - {code: a, type: single, scale: four, label: {de: A, en: A}, required: true}
  - id: second
    title: {de: Zweite, en: Second}
    items:
      - {code: b, type: single, scale: four, label: {de: B, en: B}, show_if: {item: a, in: [1]}}
"""


def test_standard_questionnaire_defines_the_codebook_contract():
    questionnaire = load_questionnaire_file(STANDARD)
    variables = questionnaire.variables
    assert questionnaire.languages == ("de", "en")
    assert variables["district"].kind == "district"
    assert [c.value for c in variables["gender"].choices] == ["f", "m", "d"]
    assert [c.value for c in variables["age_group"].choices] == [
        "14-17", "18-29", "30-44", "45-59", "60-74", "75+"]
    for code in ("safety_day", "safety_night"):
        assert [(c.value, c.label.de) for c in variables[code].choices] == [
            (1, "sehr sicher"), (2, "eher sicher"), (3, "eher unsicher"), (4, "sehr unsicher")]
        assert (variables[code].missing.value, variables[code].missing.label.de) == (
            9, "keine Angabe")
    for prefix in ("worry_", "problem_", "avoid_", "victim_", "reported_", "trust_"):
        assert any(code.startswith(prefix) for code in variables), prefix
    assert variables["unsafe_places"].kind == "text"
    assert variables["years_in_district"].kind == "integer"


def test_every_label_of_the_standard_questionnaire_has_english():
    questionnaire = load_questionnaire_file(STANDARD)
    for variable in questionnaire.variables.values():
        assert variable.label.en, variable.code
        for choice in variable.choices:
            assert choice.label.en, (variable.code, choice.value)


def problems_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire_text(text, "q.yaml")
    return caught.value.lines()


@pytest.mark.parametrize("old, new, expected", [
    ("type: single, scale: four, label: {de: B",
     "type: slider, scale: four, label: {de: B", "q.yaml:17: item 'b': unknown question type 'slider'"),
    ("{code: b,", "{code: a,", "q.yaml:17: duplicate item code 'a' (first used on line 13)"),
    ("show_if: {item: a, in: [1]}", "show_if: {item: zz, in: [1]}",
     "q.yaml:17: item 'b': condition on unknown item 'zz'"),
    ("label: {de: B, en: B}", "label: {en: B}", "q.yaml:17: item 'b' label: missing German label"),
    ("    options:\n      - {value: 1, de: eins, en: one}\n      - {value: 2, de: zwei, en: two}\n",
     "    options: []\n", "q.yaml:5: scale 'four': a scale needs a non-empty list of 'options'"),
    ("required: true}", "requried: true}", "q.yaml:13: unknown field 'requried' in item 'a'"),
    ("in: [1]", "in: ['1']", "q.yaml:17: item 'b': condition value '1' is not a possible answer"),
    ("scale: four, label: {de: A", "scale: five, label: {de: A", "q.yaml:13: item 'a': unknown scale 'five'"),
    ("title: {de: Zweite, en: Second}", "title: {de: Zweite, en: Second", "q.yaml:16: bad YAML"),
])
def test_each_problem_is_reported_with_its_line(old, new, expected):
    assert old in VALID
    lines = problems_of(VALID.replace(old, new))
    assert any(line.startswith(expected) for line in lines), lines


def test_condition_on_the_same_or_a_later_page_is_rejected():
    text = VALID.replace("show_if: {item: a, in: [1]}", "").replace(
        "required: true}", "required: true, show_if: {item: b, in: [1]}}")
    assert problems_of(text) == [
        "q.yaml:13: item 'a': condition on item 'b', which is not on an earlier page"]


def test_all_problems_are_listed_at_once():
    text = VALID.replace("type: single, scale: four, label: {de: B", "type: slider, label: {de: B"
                         ).replace("label: {de: A, en: A}", "label: {en: A}")
    lines = problems_of(text)
    assert len(lines) == 2 and lines[0].startswith("q.yaml:13:") and lines[1].startswith("q.yaml:17:")


def test_validate_command_summarises_good_files(runner, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(VALID, encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "validate", str(STANDARD), str(good)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{STANDARD}: OK: sicherheit-standard")
    assert lines[1] == f"{good}: OK: mini version 1, 2 pages, 2 items, languages de, en"


def test_validate_command_lists_every_problem_and_fails(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("{code: b,", "{code: a,").replace("label: {de: A, en: A}",
                                                                   "label: {en: A}"))
    not_utf8 = tmp_path / "latin1.yaml"
    not_utf8.write_bytes("id: x\ntitle: {de: Größe}\n".encode("latin-1"))
    result = runner.invoke(args=["questionnaire", "validate", str(STANDARD), str(bad),
                                 str(not_utf8), str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert f"{bad}:13: item 'a' label: missing German label (de)" in result.output
    assert f"{bad}:17: duplicate item code 'a' (first used on line 13)" in result.output
    assert f"{not_utf8}:2: file is not UTF-8 encoded" in result.output
    assert f"{tmp_path / 'missing.yaml'}:0: cannot read file" in result.output
    assert "Traceback" not in result.output
