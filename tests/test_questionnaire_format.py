"""The questionnaire format: the standard codebook, and every problem found with its line."""
from __future__ import annotations

from pathlib import Path

import pytest

from questionnaires import QuestionnaireError, load_questionnaire_file, load_questionnaire_text
from questionnaires.model import Text, Variable

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
    for code in ("gender", "age_group"):  # a resident may decline to say
        assert (variables[code].missing.value, variables[code].missing.label.de) == (
            "x", "keine Angabe")
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


# --- what a questionnaire file may not use ------------------------------------------

def billion_laughs(levels: int = 6) -> str:
    """VALID with nested aliases: the last one stands for 10**levels conditions."""
    anchors = "".join(f"    - &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]\n"
                      for level in range(1, levels + 1))
    return VALID.replace("scales:\n", "scales:\n  laughs:\n    options:\n"
                         "    - &l0 {item: a, in: [1]}\n" + anchors, 1
                         ).replace("show_if: {item: a, in: [1]}", f"show_if: {{any: *l{levels}}}")


def test_anchors_and_aliases_are_refused_before_anything_expands():
    text = billion_laughs()
    assert len(text.encode()) < 1200  # a few hundred bytes standing for a million conditions
    lines = problems_of(text)
    assert lines[0] == ("q.yaml:6: YAML-Anker '&l0' ist nicht erlaubt: Fragebögen dürfen keine "
                        "YAML-Anker (&name) und Aliase (*name) verwenden; bitte den Inhalt an "
                        "jeder Stelle ausschreiben.")
    assert lines[1].startswith("q.yaml:7: YAML-Anker '&l1' ist nicht erlaubt")
    assert lines[2].startswith("q.yaml:7: YAML-Alias '*l0' ist nicht erlaubt")
    assert any(line.startswith("q.yaml:26: YAML-Alias '*l6'") for line in lines), lines


@pytest.mark.parametrize("old, new, expected", [
    # one scale reused through an anchor: harmless, but refused like every alias
    ("  four:\n    options:", "  four: &four\n    options:", "q.yaml:4: YAML-Anker '&four'"),
    ("  four:\n    options:", "  four:\n    options: &opts", "q.yaml:5: YAML-Anker '&opts'"),
    ("    missing: {value: 9, de: keine Angabe, en: no answer}\n",
     "    missing: {value: 9, de: keine Angabe, en: no answer}\n  five:\n    <<: *x\n",
     "q.yaml:10: YAML-Alias '*x'"),
])
def test_a_single_anchor_or_alias_is_named_with_its_line(old, new, expected):
    assert old in VALID
    lines = problems_of(VALID.replace(old, new, 1))
    assert any(line.startswith(expected) for line in lines), lines


@pytest.mark.parametrize("nesting, line", [
    ("[" * 10_000 + "]" * 10_000, 3),                 # deeper than Python's recursion
    ("[" * 60 + "]" * 60, 3),                         # within it, but no questionnaire nests so
    ("\n" + "".join("  " * level + "-\n" for level in range(200)), 53),  # block style
])
def test_deep_nesting_is_refused_with_a_message(nesting, line):
    lines = problems_of(VALID.replace("title: {de: Mini, en: Mini}\n",
                                      f"title: {{de: Mini, en: Mini}}\nintro: {nesting}\n"))
    assert lines == [f"q.yaml:{line}: Die Datei ist zu tief verschachtelt (mehr als 50 Ebenen "
                     "aus Listen und Abschnitten)."]


def test_validate_command_refuses_aliases_deep_nesting_and_big_files(runner, tmp_path):
    laughs, deep, big = tmp_path / "laughs.yaml", tmp_path / "deep.yaml", tmp_path / "big.yaml"
    laughs.write_text(billion_laughs(), encoding="utf-8")
    deep.write_text("id: x\npages: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    big.write_text(VALID + "# " + "x" * 1_000_000 + "\n", encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "validate", str(laughs), str(deep), str(big)])
    assert result.exit_code == 1
    assert f"{laughs}:6: YAML-Anker '&l0' ist nicht erlaubt" in result.output
    assert f"{deep}:2: Die Datei ist zu tief verschachtelt" in result.output
    assert f"{big}:0: file is larger than 1 MB" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


# --- the validator keeps its word ----------------------------------------------------

def test_a_bad_condition_value_is_found_with_the_other_problems():
    text = VALID.replace("in: [1]", "in: ['1']").replace("required: true}",
                                                         "required: true, colour: red}")
    assert problems_of(text) == [
        "q.yaml:13: unknown field 'colour' in item 'a' (allowed: code, help, label, missing, "
        "options, required, scale, show_if, type, unfavourable)",
        "q.yaml:17: item 'b': condition value '1' is not a possible answer of 'a'"]


ONE_OPTION = "      - {value: 2, de: zwei, en: two}\n"


@pytest.mark.parametrize("old, new, expected", [
    # the line of the value that repeats, not of the scale
    (ONE_OPTION, ONE_OPTION + "      - {value: 1, de: nochmal, en: again}\n",
     "q.yaml:8: scale 'four': value 1 occurs twice"),
    ("missing: {value: 9,", "missing: {value: 2,", "q.yaml:8: scale 'four': value 2 occurs twice"),
    ("    missing: {value: 9, de: keine Angabe, en: no answer}\n",
     "    missing:\n      de: keine Angabe\n      en: no answer\n      value: 1\n",
     "q.yaml:11: scale 'four': value 1 occurs twice"),
    # values that arrive as the same posted text
    (ONE_OPTION, ONE_OPTION + "      - {value: \"1\", de: auch eins, en: one too}\n",
     "q.yaml:8: scale 'four': Die Werte 1 und '1' sind als Antwort nicht zu unterscheiden"),
    (ONE_OPTION, "      - {value: \" 2\", de: zwei, en: two}\n",
     "q.yaml:7: scale 'four': Der Wert ' 2' beginnt oder endet mit Leerzeichen"),
    (ONE_OPTION, "      - {value: \"zwei\\nzeilen\", de: zwei, en: two}\n",
     "q.yaml:7: scale 'four': Der Wert 'zwei\\nzeilen' enthält einen Zeilenumbruch"),
    # numbers YAML reads otherwise than they look
    (ONE_OPTION, "      - {value: 010, de: zehn, en: ten}\n",
     "q.yaml:7: YAML liest 010 als die Zahl 8; bitte 8 schreiben, oder \"010\" in "
     "Anführungszeichen, wenn ein Text gemeint ist."),
    (ONE_OPTION, "      - {value: 1_0, de: zehn, en: ten}\n", "q.yaml:7: YAML liest 1_0 als die Zahl 10"),
    (ONE_OPTION, "      - {value: 0x10, de: x, en: x}\n", "q.yaml:7: YAML liest 0x10 als die Zahl 16"),
    (ONE_OPTION, "      - {value: 1:30, de: x, en: x}\n", "q.yaml:7: YAML liest 1:30 als die Zahl 90"),
    ("in: [1]", "in: [01]", "q.yaml:17: YAML liest 01 als die Zahl 1"),
    (ONE_OPTION, "      - {value: 1000000000000000, de: x, en: x}\n",
     "q.yaml:7: scale 'four': Der Wert 1000000000000000 hat mehr als 15 Stellen"),
    # 'unfavourable' only where the documentation puts it: in a named scale
    ("scale: four, label: {de: A", "scale: four, unfavourable: [2], label: {de: A",
     "q.yaml:13: item 'a': 'unfavourable' belongs to the scale 'four'"),
    ("{code: a, type: single, scale: four,",
     "{code: a, type: single, options: [{value: 1, de: x, en: x}], unfavourable: [1],",
     "q.yaml:13: item 'a': 'unfavourable' gibt es nur bei einer benannten Skala"),
    # codes that break the data set
    ("{code: b,", "{code: source,", "q.yaml:17: item: Der Code 'source' ist reserviert: er "
     "heißt eine Spalte, die jeder Export anhängt."),
    ("{code: b,", "{code: weight,", "q.yaml:17: item: Der Code 'weight' ist reserviert"),
    ("{code: b,", "{code: completed_on,", "q.yaml:17: item: Der Code 'completed_on' ist "
     "reserviert"),
    ("{code: b,", "{code: to,", "q.yaml:17: item: Der Code 'to' ist reserviert: er ist in "
     "SPSS ein reserviertes Wort."),
    ("{code: b,", "{code: \"b\\n\",", "q.yaml:17: item: code 'b\\n' must be lower_snake_case"),
    ("missing: {value: 9,", "missing: {value: keine_angabe,",
     "q.yaml:8: scale 'four' 'missing': Der Wert 'keine_angabe' ist zu lang: SPSS kann "
     "Textwerte nur bis 8 Byte als fehlend kennzeichnen"),
])
def test_traps_are_refused_at_their_line(old, new, expected):
    assert old in VALID
    lines = problems_of(VALID.replace(old, new, 1))
    assert any(line.startswith(expected) for line in lines), lines


def test_a_condition_value_of_the_wrong_kind_for_a_text_is_refused():
    text = VALID.replace("{code: a, type: single, scale: four,",
                         "{code: a, type: text, max_length: 10,")
    assert problems_of(text) == [
        "q.yaml:17: item 'b': condition value 1 is not a possible answer of 'a'"]


def test_a_variable_lists_its_missing_option_after_its_choices():
    variables = load_questionnaire_file(STANDARD).variables
    with_missing = next(v for v in variables.values() if v.missing)
    assert with_missing.all_choices() == with_missing.choices + (with_missing.missing,)
    without = Variable("x", Text("X"), "single", with_missing.choices)
    assert without.all_choices() == with_missing.choices
