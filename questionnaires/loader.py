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

from .model import (QUESTION_TYPES, AllCondition, AnyCondition, Choice, Condition,
                    DistrictChoice, FreeText, Integer, Matrix, MultipleChoice, Page,
                    Question, Questionnaire, SingleChoice, Text, ValueCondition)
from .yaml_lines import LineDict, LineList, YamlSyntaxError, load_yaml_with_lines

FORMAT_VERSION = 1
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_FILE_BYTES = 1_000_000

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
    if len(raw) > MAX_FILE_BYTES:
        raise QuestionnaireError(str(path), [Problem(0, "file is larger than 1 MB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise QuestionnaireError(str(path), [Problem(line, "file is not UTF-8 encoded")])
    return load_questionnaire_text(text, str(path))


def load_questionnaire_text(text: str, source: str = "<questionnaire>") -> Questionnaire:
    """Parse and check questionnaire YAML; raise QuestionnaireError listing every problem."""
    try:
        tree = load_yaml_with_lines(text)
    except YamlSyntaxError as exc:
        raise QuestionnaireError(source, [Problem(exc.line, str(exc))])
    builder = _Builder()
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
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            self.problem(node.line_of("code"), f"{what}: code '{code}' must be lower_snake_case"
                         " (a-z, 0-9, _; starting with a letter)")
            return None
        return code

    def integer(self, node: LineDict, key: str, what: str) -> int | None:
        value = node.get(key)
        if value is None:
            self.problem(node.line, f"{what}: missing '{key}'")
        elif isinstance(value, bool) or not isinstance(value, int):
            self.problem(node.line_of(key), f"{what}: '{key}' must be a whole number")
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
        if not isinstance(qid, str) or not re.match(r"^[a-z0-9][a-z0-9-]*$", qid):
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
        if self.problems:
            return None
        languages = ("de", "en") if self.has_english else ("de",)
        questionnaire = Questionnaire(id=qid, version=str(version), title=title, pages=pages,
                                      intro=intro, languages=languages)
        self.check_condition_values(questionnaire)
        return questionnaire

    def check_condition_values(self, questionnaire: Questionnaire) -> None:
        """A condition value the item can never take is a typo (``in: ["1"]`` for 1)."""
        for condition, line, what in self.value_conditions:
            variable = questionnaire.variables[condition.item]
            if variable.kind in ("single", "binary"):
                possible = [choice.value for choice in variable.choices]
                possible += [variable.missing.value] if variable.missing else []
            elif variable.kind == "integer":
                possible = range(variable.minimum, variable.maximum + 1)
            else:
                continue
            for value in condition.values:
                if isinstance(value, bool) or value not in possible:
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
            self.check_keys(scale, SCALE_KEYS, what)
            self.scales[name] = self.read_choice_set(scale, what)

    def read_choice_set(self, node: LineDict, what: str) -> dict[str, Any]:
        """options + missing + unfavourable, shared by scales and inline choices."""
        options_node = node.get("options")
        choices: list[Choice] = []
        if not isinstance(options_node, LineList) or not options_node:
            self.problem(node.line_of("options"), f"{what}: a scale needs a non-empty list of"
                         " 'options' (its values)")
        else:
            for option in options_node:
                choice = self.read_choice(option, options_node.line, what)
                if choice is not None:
                    choices.append(choice)
        missing = None
        if node.get("missing") is not None:
            missing = self.read_choice(node["missing"], node.line_of("missing"),
                                       f"{what} 'missing'")
        values = [choice.value for choice in choices] + ([missing.value] if missing else [])
        seen: set = set()
        for value in values:
            if value in seen:
                self.problem(node.line, f"{what}: value {value!r} occurs twice")
            seen.add(value)
        unfavourable = node.get("unfavourable", [])
        if not isinstance(unfavourable, list) or any(v not in values for v in unfavourable):
            self.problem(node.line_of("unfavourable"), f"{what}: 'unfavourable' must list"
                         " values of the scale")
            unfavourable = []
        return {"choices": tuple(choices), "missing": missing,
                "unfavourable": tuple(unfavourable)}

    def read_choice(self, node: Any, line: int, what: str) -> Choice | None:
        node = self.mapping(node, line, f"an option of {what}")
        if node is None:
            return None
        self.check_keys(node, {"value", "de", "en"}, f"an option of {what}")
        value = node.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
            self.problem(node.line, f"{what}: every option needs a 'value' (a number or a"
                         " short text)")
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
        if not isinstance(page_id, str) or not CODE_PATTERN.match(page_id):
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
        return getattr(self, f"item_{item_type}")(node, what, common)

    def choice_set(self, node: LineDict, what: str) -> dict[str, Any]:
        if ("scale" in node) == ("options" in node):
            self.problem(node.line, f"{what}: give either 'scale' (a scale name) or 'options'")
            return {"choices": (), "missing": None, "unfavourable": ()}
        if "options" in node:
            return self.read_choice_set(node, what)
        if "missing" in node:
            self.problem(node.line_of("missing"), f"{what}: 'missing' belongs to the scale"
                         f" '{node['scale']}'")
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
