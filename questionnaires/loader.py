"""Read a questionnaire file, check it, and build the model.

Every problem found is collected with its line number, so that an author sees
all of them at once (``FILE:LINE: what is wrong``) instead of fixing one per run.
The format is documented in docs/questionnaire-format.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import (MAX_DIGITS, META_COLUMNS, QUESTION_TYPES, AllCondition, AnyCondition,
                    Choice, Condition, DistrictChoice, FreeText, Integer, Matrix,
                    MultipleChoice, Page, Question, Questionnaire, SingleChoice, Text, Value,
                    ValueCondition, Variable, with_missing)
from .yaml_lines import LineDict, LineList, YamlSyntaxError, load_yaml_with_lines

FORMAT_VERSION = 1
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")  # always fullmatch: "$" allows a "\n"
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
MAX_FILE_BYTES = 1_000_000
# Codes that cannot name a column of the data set: what the export writes after the
# item codes, and SPSS's reserved words (SPSS cannot read a variable named "to").
RESERVED_CODES = {
    **{code: "heißt eine Spalte, die jeder Export anhängt" for code in META_COLUMNS},
    **{word: "ist in SPSS ein reserviertes Wort" for word in (
        "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with")},
}
LARGEST_NUMBER = 10 ** MAX_DIGITS - 1
MAX_MISSING_TEXT_BYTES = 8  # SPSS declares a text value missing only up to 8 bytes

TOP_KEYS = {"format", "id", "version", "title", "intro", "scales", "pages"}
PAGE_KEYS = {"id", "title", "intro", "show_if", "items"}
COMMON_ITEM_KEYS = {"code", "type", "label", "help", "required", "show_if"}
ITEM_KEYS = {
    "single": {"scale", "options", "missing", "unfavourable"},
    "matrix": {"scale", "options", "missing", "unfavourable", "rows"},
    "multiple": {"options"},
    "integer": {"min", "max", "unit"},
    "text": {"max_length"},
    "district": set(),
}
SCALE_KEYS = {"options", "missing", "unfavourable"}


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


class QuestionnaireError(ValueError):
    """The questionnaire has problems; each names its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda problem: problem.line)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.source}:{problem.line}: {problem.message}" for problem in self.problems]


def load_questionnaire_file(path: str | Path) -> Questionnaire:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireError(str(path), [Problem(0, f"cannot read file: {exc.strerror}")])
    return load_questionnaire_text(questionnaire_text(raw, str(path)), str(path))


def questionnaire_text(raw: bytes, source: str) -> str:
    """The text of a questionnaire file or upload: at most 1 MB, UTF-8 (else
    QuestionnaireError)."""
    if len(raw) > MAX_FILE_BYTES:
        raise QuestionnaireError(source, [Problem(0, "file is larger than 1 MB")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise QuestionnaireError(source, [Problem(line, "file is not UTF-8 encoded")])


def load_questionnaire_text(text: str, source: str = "<questionnaire>") -> Questionnaire:
    """Parse and check questionnaire YAML; raise QuestionnaireError listing every problem."""
    try:
        tree, traps = load_yaml_with_lines(text)
    except YamlSyntaxError as exc:
        raise QuestionnaireError(source, [Problem(line, message)
                                          for line, message in exc.problems])
    builder = _Builder()
    builder.problems += [Problem(line, message) for line, message in traps]
    questionnaire = builder.build(tree)
    if builder.problems or questionnaire is None:
        raise QuestionnaireError(source, builder.problems)
    return questionnaire


class _Builder:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.scales: dict[str, dict[str, Any]] = {}
        self.variable_pages: dict[str, int] = {}  # variable code -> page index
        self.value_conditions: list[tuple[ValueCondition, int, str]] = []
        self.variables: dict[str, Variable | None] = {}  # None: choices or limits unsure
        self.unsure_scales: set[str] = set()  # scales with a problem
        self.has_english = True

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    # -- helpers -------------------------------------------------------------

    def check_keys(self, node: LineDict, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.problem(node.line_of(key), f"unknown field '{key}' in {what}"
                             f" (allowed: {', '.join(sorted(allowed))})")

    def mapping(self, node: Any, line: int, what: str) -> LineDict | None:
        if isinstance(node, LineDict):
            return node
        self.problem(getattr(node, "line", line), f"{what} must be a mapping")
        return None

    def text(self, node: Any, line: int, what: str, required: bool = True) -> Text | None:
        if node is None:
            if required:
                self.problem(line, f"{what}: missing German label (de)")
            return None
        if isinstance(node, str):
            self.has_english = False
            return Text(node.strip()) if node.strip() else self._no_german(line, what)
        if not isinstance(node, LineDict):
            self.problem(line, f"{what} must be a text or a mapping with 'de' and 'en'")
            return None
        self.check_keys(node, {"de", "en"}, what)
        return self.labels(node, what)

    def labels(self, node: LineDict, what: str) -> Text | None:
        german, english = node.get("de"), node.get("en")
        if not isinstance(german, str) or not german.strip():
            return self._no_german(node.line_of("de"), what)
        if english is not None and not isinstance(english, str):
            self.problem(node.line_of("en"), f"{what}: the English label must be a text")
            english = None
        if not english:
            self.has_english = False
        return Text(german.strip(), english.strip() if english else None)

    def _no_german(self, line: int, what: str) -> None:
        self.problem(line, f"{what}: missing German label (de)")
        return None

    def code(self, node: LineDict, what: str) -> str | None:
        code = node.get("code")
        if code is None:
            self.problem(node.line, f"{what}: missing 'code'")
            return None
        if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
            self.problem(node.line_of("code"), f"{what}: code {_shown(code)} must be "
                         "lower_snake_case (a-z, 0-9, _; starting with a letter)")
            return None
        if code in RESERVED_CODES:
            self.problem(node.line_of("code"), f"{what}: Der Code '{code}' ist reserviert: er "
                         f"{RESERVED_CODES[code]}. Bitte einen anderen Code wählen.")
            return None
        return code

    def integer(self, node: LineDict, key: str, what: str) -> int | None:
        value = node.get(key)
        if value is None:
            self.problem(node.line, f"{what}: missing '{key}'")
        elif isinstance(value, bool) or not isinstance(value, int):
            self.problem(node.line_of(key), f"{what}: '{key}' must be a whole number")
        elif abs(value) > LARGEST_NUMBER:
            self.problem(node.line_of(key), f"{what}: '{key}' hat mehr als {MAX_DIGITS} "
                         "Stellen; so große Zahlen speichern Excel und SPSS nicht genau.")
        else:
            return value
        return None

    # -- the document --------------------------------------------------------

    def build(self, tree: Any) -> Questionnaire | None:
        if not isinstance(tree, LineDict):
            self.problem(getattr(tree, "line", 1), "the file must be a mapping with 'id', "
                         "'title' and 'pages'")
            return None
        self.check_keys(tree, TOP_KEYS, "the questionnaire")
        if tree.get("format", FORMAT_VERSION) != FORMAT_VERSION:
            self.problem(tree.line_of("format"), f"unsupported format {tree.get('format')!r};"
                         f" this version reads format {FORMAT_VERSION}")
        qid = tree.get("id")
        if not isinstance(qid, str) or not ID_PATTERN.fullmatch(qid):
            self.problem(tree.line_of("id"), "'id' must be a slug such as sicherheit-standard")
        version = tree.get("version", "1")
        if not isinstance(version, (str, int, float)):
            self.problem(tree.line_of("version"), "'version' must be a text such as \"2026.1\"")
        title = self.text(tree.get("title"), tree.line_of("title"), "title")
        intro = self.text(tree.get("intro"), tree.line_of("intro"), "intro", required=False)
        self.read_scales(tree.get("scales"), tree.line_of("scales"))
        pages_node = tree.get("pages")
        if not isinstance(pages_node, LineList) or not pages_node:
            self.problem(tree.line_of("pages"), "'pages' must be a non-empty list")
            return None
        self.collect_variables(pages_node)
        self.page_ids: set[str] = set()
        pages = [page for index, node in enumerate(pages_node)
                 if (page := self.read_page(node, index, pages_node.line)) is not None]
        # Checked in every run, not only once everything else is right.
        self.check_condition_values()
        if self.problems:
            return None
        languages = ("de", "en") if self.has_english else ("de",)
        return Questionnaire(id=qid, version=str(version), title=title, pages=pages,
                             intro=intro, languages=languages)

    def check_condition_values(self) -> None:
        """A condition value the item can never take is a typo (``in: ["1"]`` for 1)."""
        for condition, line, what in self.value_conditions:
            variable = self.variables.get(condition.item)
            if variable is None:  # its choices or limits have a problem, reported already
                continue
            for value in condition.values:
                if not _possible(variable, value):
                    self.problem(line, f"{what}: condition value {value!r} is not a possible"
                                 f" answer of '{condition.item}'")

    def read_scales(self, node: Any, line: int) -> None:
        if node is None:
            return
        scales = self.mapping(node, line, "'scales'")
        for name, scale in (scales or {}).items():
            what = f"scale '{name}'"
            scale = self.mapping(scale, scales.line_of(name), what)
            if scale is None:
                continue
            problems_before = len(self.problems)
            self.check_keys(scale, SCALE_KEYS, what)
            self.scales[name] = self.read_choice_set(scale, what, named=True)
            if len(self.problems) > problems_before:
                self.unsure_scales.add(name)

    def read_choice_set(self, node: LineDict, what: str, named: bool) -> dict[str, Any]:
        """options + missing (+ unfavourable for a named scale); ``named``: a scale
        under ``scales:``, else options written into an item."""
        options_node = node.get("options")
        choices: list[Choice] = []
        lines: list[int] = []  # of each choice, for problems with one value
        if not isinstance(options_node, LineList) or not options_node:
            self.problem(node.line_of("options"), f"{what}: a scale needs a non-empty list of"
                         " 'options' (its values)")
        else:
            for option in options_node:
                choice = self.read_choice(option, options_node.line, what)
                if choice is not None:
                    choices.append(choice)
                    lines.append(option.line_of("value"))
        missing = None
        if node.get("missing") is not None:
            missing = self.read_choice(node["missing"], node.line_of("missing"),
                                       f"{what} 'missing'")
            if missing is not None:
                lines.append(node["missing"].line_of("value"))
                self.check_missing_value(missing.value, lines[-1], what)
        every = with_missing(tuple(choices), missing)
        self.check_distinct(list(every), lines, what)
        unfavourable = node.get("unfavourable", [])
        if not named and "unfavourable" in node:
            self.problem(node.line_of("unfavourable"), f"{what}: 'unfavourable' gibt es nur "
                         "bei einer benannten Skala unter 'scales:'; bitte die Optionen dort "
                         "als Skala anlegen und mit 'scale:' verwenden.")
            unfavourable = []
        values = [choice.value for choice in every]
        if not isinstance(unfavourable, list) or any(
                isinstance(v, bool) or v not in values for v in unfavourable):
            self.problem(node.line_of("unfavourable"), f"{what}: 'unfavourable' must list"
                         " values of the scale")
            unfavourable = []
        return {"choices": tuple(choices), "missing": missing,
                "unfavourable": tuple(unfavourable)}

    def check_distinct(self, choices: list[Choice], lines: list[int], what: str) -> None:
        """Answers arrive as posted text: values must differ as text (1 and "1" do not)."""
        seen: dict[str, Value] = {}
        for choice, line in zip(choices, lines):
            posted = str(choice.value)
            if posted not in seen:
                seen[posted] = choice.value
            elif seen[posted] == choice.value:
                self.problem(line, f"{what}: value {choice.value!r} occurs twice")
            else:
                self.problem(line, f"{what}: Die Werte {seen[posted]!r} und {choice.value!r} "
                             f"sind als Antwort nicht zu unterscheiden (beide '{posted}'); "
                             "bitte verschiedene Werte wählen.")

    def check_missing_value(self, value: Value, line: int, what: str) -> None:
        if isinstance(value, str) and len(value.encode("utf-8")) > MAX_MISSING_TEXT_BYTES:
            self.problem(line, f"{what} 'missing': Der Wert '{value}' ist zu lang: SPSS kann "
                         f"Textwerte nur bis {MAX_MISSING_TEXT_BYTES} Byte als fehlend "
                         "kennzeichnen; bitte einen kurzen Wert wie \"x\" oder 9 wählen.")

    def read_choice(self, node: Any, line: int, what: str) -> Choice | None:
        node = self.mapping(node, line, f"an option of {what}")
        if node is None:
            return None
        self.check_keys(node, {"value", "de", "en"}, f"an option of {what}")
        value = node.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
            self.problem(node.line, f"{what}: every option needs a 'value' (a number or a"
                         " short text)" + (" – YAML liest yes/no/on/off/true/false als "
                         "Wahrheitswert; als Text bitte in Anführungszeichen" if isinstance(
                             value, bool) else ""))
            return None
        problem = _value_problem(value)
        if problem:
            self.problem(node.line_of("value"), f"{what}: {problem}")
            return None
        label = self.labels(node, f"{what} option {value!r}")
        return Choice(value, label) if label else None

    def read_coded_labels(self, node: LineDict, key: str, what: str
                          ) -> tuple[tuple[str, Text], ...]:
        entries = node.get(key)
        if not isinstance(entries, LineList) or not entries:
            self.problem(node.line_of(key), f"{what}: '{key}' must be a non-empty list")
            return ()
        result = []
        for entry in entries:
            entry = self.mapping(entry, entries.line, f"an entry of '{key}' in {what}")
            if entry is None:
                continue
            self.check_keys(entry, {"code", "de", "en"}, f"an entry of '{key}' in {what}")
            code = self.code(entry, f"{what} {key}")
            label = self.labels(entry, f"{what} {key} '{code}'")
            if code and label:
                result.append((code, label))
        return tuple(result)

    # -- codes and conditions ------------------------------------------------

    def collect_variables(self, pages: LineList) -> None:
        """First pass: where every code is defined, to judge conditions and duplicates."""
        seen: dict[str, int] = {}

        def define(code: Any, line: int, page_index: int, variable: bool) -> None:
            if not isinstance(code, str):
                return
            if code in seen:
                self.problem(line, f"duplicate item code '{code}' (first used on line"
                             f" {seen[code]})")
                return
            seen[code] = line
            if variable:
                self.variable_pages[code] = page_index

        for page_index, page in enumerate(pages):
            items = page.get("items") if isinstance(page, LineDict) else None
            for item in items if isinstance(items, LineList) else []:
                if not isinstance(item, LineDict):
                    continue
                item_type = item.get("type")
                children = {"matrix": "rows", "multiple": "options"}.get(item_type)
                define(item.get("code"), item.line_of("code"), page_index, children is None)
                for child in item.get(children) or [] if children else []:
                    if isinstance(child, LineDict):
                        define(child.get("code"), child.line_of("code"), page_index, True)

    def condition(self, node: Any, line: int, page_index: int, what: str) -> Condition | None:
        node = self.mapping(node, line, f"{what} 'show_if'")
        if node is None:
            return None
        if "any" in node or "all" in node:
            key = "any" if "any" in node else "all"
            self.check_keys(node, {key}, f"{what} 'show_if'")
            parts_node = node[key]
            if not isinstance(parts_node, LineList) or not parts_node:
                self.problem(node.line_of(key), f"{what}: '{key}' needs a list of conditions")
                return None
            parts = [self.condition(part, parts_node.line, page_index, what)
                     for part in parts_node]
            if any(part is None for part in parts):
                return None
            return (AnyCondition if key == "any" else AllCondition)(tuple(parts))
        self.check_keys(node, {"item", "in", "not_in"}, f"{what} 'show_if'")
        item = node.get("item")
        defined_on = self.variable_pages.get(item)
        if defined_on is None:
            self.problem(node.line_of("item"), f"{what}: condition on unknown item '{item}'")
            return None
        if defined_on >= page_index:
            self.problem(node.line_of("item"), f"{what}: condition on item '{item}', which is"
                         " not on an earlier page")
            return None
        negate = "not_in" in node
        values = node.get("not_in" if negate else "in")
        if ("in" in node) == negate or not isinstance(values, list) or not values:
            self.problem(node.line, f"{what}: a condition needs 'item' and a non-empty list"
                         " 'in' or 'not_in'")
            return None
        condition = ValueCondition(item, tuple(values), negate)
        self.value_conditions.append((condition, node.line, what))
        return condition

    # -- pages and items -----------------------------------------------------

    def read_page(self, node: Any, index: int, line: int) -> Page | None:
        node = self.mapping(node, line, f"page {index + 1}")
        if node is None:
            return None
        what = f"page {index + 1}"
        self.check_keys(node, PAGE_KEYS, what)
        page_id = node.get("id")
        if not isinstance(page_id, str) or not CODE_PATTERN.fullmatch(page_id):
            self.problem(node.line_of("id"), f"{what}: 'id' must be lower_snake_case")
        elif page_id in self.page_ids:
            self.problem(node.line_of("id"), f"{what}: duplicate page id '{page_id}'")
        else:
            self.page_ids.add(page_id)
            what = f"page '{page_id}'"
        title = self.text(node.get("title"), node.line_of("title"), f"{what} title")
        intro = self.text(node.get("intro"), node.line_of("intro"), f"{what} intro",
                          required=False)
        show_if = (self.condition(node["show_if"], node.line_of("show_if"), index, what)
                   if "show_if" in node else None)
        items_node = node.get("items")
        if not isinstance(items_node, LineList) or not items_node:
            self.problem(node.line_of("items"), f"{what}: 'items' must be a non-empty list")
            return None
        questions = [question for item in items_node
                     if (question := self.read_item(item, index, items_node.line)) is not None]
        return Page(page_id, title, questions, intro, show_if, node.line)

    def read_item(self, node: Any, page_index: int, line: int) -> Question | None:
        node = self.mapping(node, line, "an item")
        if node is None:
            return None
        code = self.code(node, "item")
        what = f"item '{code}'" if code else "item"
        item_type = node.get("type")
        if item_type not in QUESTION_TYPES:
            self.problem(node.line_of("type"), f"{what}: unknown question type '{item_type}'"
                         f" (known: {', '.join(QUESTION_TYPES)})")
            return None
        self.check_keys(node, COMMON_ITEM_KEYS | ITEM_KEYS[item_type], what)
        required = node.get("required", False)
        if not isinstance(required, bool):
            self.problem(node.line_of("required"), f"{what}: 'required' must be true or false")
        common = dict(
            code=code or "",
            label=self.text(node.get("label"), node.line_of("label"), f"{what} label"),
            help=self.text(node.get("help"), node.line_of("help"), f"{what} help",
                           required=False),
            required=required is True,
            show_if=(self.condition(node["show_if"], node.line_of("show_if"), page_index, what)
                     if "show_if" in node else None),
            line=node.line,
        )
        if item_type in ("single", "matrix") and "scale" in node and "options" not in node:
            for key in ("missing", "unfavourable"):
                if key in node:
                    self.problem(node.line_of(key), f"{what}: '{key}' belongs to the scale"
                                 f" '{node['scale']}'")
        problems_before = len(self.problems)
        question = getattr(self, f"item_{item_type}")(node, what, common)
        # Conditions on it are checked against its choices and limits, if they are sure.
        sure = len(self.problems) == problems_before and node.get(
            "scale") not in self.unsure_scales
        self.variables.update((variable.code, variable if sure else None)
                              for variable in question.variables())
        return question

    def choice_set(self, node: LineDict, what: str) -> dict[str, Any]:
        if ("scale" in node) == ("options" in node):
            self.problem(node.line, f"{what}: give either 'scale' (a scale name) or 'options'")
            return {"choices": (), "missing": None, "unfavourable": ()}
        if "options" in node:
            return self.read_choice_set(node, what, named=False)
        scale = self.scales.get(node["scale"])
        if scale is None:
            self.problem(node.line_of("scale"), f"{what}: unknown scale '{node['scale']}'"
                         f" (defined: {', '.join(self.scales) or 'none'})")
            return {"choices": (), "missing": None, "unfavourable": ()}
        return scale

    def item_single(self, node, what, common) -> Question:
        return SingleChoice(**common, **self.choice_set(node, what))

    def item_matrix(self, node, what, common) -> Question:
        rows = self.read_coded_labels(node, "rows", what)
        return Matrix(**common, rows=rows, **self.choice_set(node, what))

    def item_multiple(self, node, what, common) -> Question:
        return MultipleChoice(**common, options=self.read_coded_labels(node, "options", what))

    def item_integer(self, node, what, common) -> Question:
        minimum, maximum = self.integer(node, "min", what), self.integer(node, "max", what)
        if minimum is not None and maximum is not None and minimum > maximum:
            self.problem(node.line_of("max"), f"{what}: 'max' is smaller than 'min'")
        unit = self.text(node.get("unit"), node.line_of("unit"), f"{what} unit", required=False)
        return Integer(**common, minimum=minimum or 0, maximum=maximum or 0, unit=unit)

    def item_text(self, node, what, common) -> Question:
        max_length = self.integer(node, "max_length", what)
        if max_length is not None and not 1 <= max_length <= 10_000:
            self.problem(node.line_of("max_length"), f"{what}: 'max_length' must be between 1"
                         " and 10000")
        return FreeText(**common, max_length=max_length or 1)

    def item_district(self, node, what, common) -> Question:
        return DistrictChoice(**common)


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) and not value.isprintable() else f"'{value}'"


def _value_problem(value: Value) -> str | None:
    """Why an option value cannot be posted and stored exactly, if it cannot."""
    if isinstance(value, int):
        return None if abs(value) <= LARGEST_NUMBER else (
            f"Der Wert {value} hat mehr als {MAX_DIGITS} Stellen; so große Zahlen speichern "
            "Excel und SPSS nicht genau.")
    if value != value.strip():
        return (f"Der Wert {value!r} beginnt oder endet mit Leerzeichen, die beim Absenden "
                "verloren gehen; bitte ohne sie schreiben.")
    if LINE_BREAK_OR_CONTROL.search(value):
        return (f"Der Wert {value!r} enthält einen Zeilenumbruch oder ein Steuerzeichen; "
                "Werte sind kurze Codes in einer Zeile.")
    return None


def _possible(variable: Variable, value: Any) -> bool:
    """Whether an answer to ``variable`` can be ``value`` (as stored)."""
    if isinstance(value, bool):
        return False
    if variable.kind in ("single", "binary"):
        return value in [choice.value for choice in variable.all_choices()]
    if variable.kind == "integer":
        return isinstance(value, int) and variable.minimum <= value <= variable.maximum
    return isinstance(value, str)  # text and district answers are texts
