"""The questionnaire as plain objects: pages, question types, conditions, codebook.

Each question type knows which form fields it reads, how it turns a posted
form into answers (with errors), and which codebook variables it defines.
Nothing here knows about Flask: a posted form is anything with ``getlist``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping, Protocol, Sequence

Answers = Mapping[str, Any]
Value = int | str

# Columns every export writes after the item codes; no item may have these codes.
META_COLUMNS = ("source", "completed_on", "weight")
# Whole numbers in answers, option values and limits: at most 15 digits, which Excel and
# SPSS (doubles) keep exactly.
MAX_DIGITS = 15
_INTEGER = re.compile(r"-?[0-9]{1,%d}" % MAX_DIGITS)
# Control characters that XML (Excel files) and PostgreSQL's JSON cannot hold and that no
# resident types on purpose; tab and line break stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse_integer(text: str) -> int | None:
    """A whole number as people write it: optional minus and digits 0-9 only. Python's
    int() would also take '1_0', '+7', ' 7' or Arabic-Indic digits, which nobody means."""
    return int(text) if _INTEGER.fullmatch(text) else None


def clean_text(text: str) -> str:
    """A free-text answer as it is stored: every line break as LF (browsers send CRLF,
    spreadsheets may keep CR), control characters removed, blanks trimmed at both ends.
    The online form and the paper import both store this, so a length counts the same."""
    return _CONTROL.sub("", re.sub(r"\r\n?", "\n", text)).strip()


class FormData(Protocol):
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Text:
    """A label in German (required) and English (optional)."""

    de: str
    en: str | None = None

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.de


@dataclass(frozen=True)
class Choice:
    value: Value
    label: Text


@dataclass(frozen=True)
class FieldError:
    """A validation problem of one form field; ``kind`` is translated by the UI."""

    kind: str
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Variable:
    """One column of the data set: the codebook entry of an item code."""

    code: str
    label: Text
    kind: str  # single | binary | integer | text | district
    choices: tuple[Choice, ...] = ()
    missing: Choice | None = None
    unfavourable: tuple[Value, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None

    def all_choices(self) -> tuple[Choice, ...]:
        """Every value an answer can hold: the answer options, then the missing-value
        option if there is one."""
        return with_missing(self.choices, self.missing)


def with_missing(choices: tuple[Choice, ...], missing: Choice | None) -> tuple[Choice, ...]:
    return choices + ((missing,) if missing else ())


# --- conditions -------------------------------------------------------------

class Condition:
    def holds(self, answers: Answers) -> bool:
        raise NotImplementedError

    def variables(self) -> set[str]:
        raise NotImplementedError


@dataclass(frozen=True)
class ValueCondition(Condition):
    item: str
    values: tuple[Value, ...]
    negate: bool = False

    def holds(self, answers: Answers) -> bool:
        answer = answers.get(self.item)
        if answer is None:
            return False
        return (answer in self.values) != self.negate

    def variables(self) -> set[str]:
        return {self.item}


@dataclass(frozen=True)
class AnyCondition(Condition):
    parts: tuple[Condition, ...]

    def holds(self, answers: Answers) -> bool:
        return any(part.holds(answers) for part in self.parts)

    def variables(self) -> set[str]:
        return set().union(*(part.variables() for part in self.parts))


@dataclass(frozen=True)
class AllCondition(AnyCondition):
    def holds(self, answers: Answers) -> bool:
        return all(part.holds(answers) for part in self.parts)


# --- question types ---------------------------------------------------------

District = tuple[str, str]  # (code, name)


@dataclass
class Question:
    """Base of all question types; ``code`` is the item code or group id."""

    type_name: ClassVar[str] = ""
    code: str
    label: Text
    help: Text | None = None
    required: bool = False
    show_if: Condition | None = None
    line: int = 0

    def visible(self, answers: Answers) -> bool:
        return self.show_if is None or self.show_if.holds(answers)

    def variables(self) -> list[Variable]:
        raise NotImplementedError

    def answered(self, answers: Answers) -> bool:
        return any(name in answers for name in self.field_names())

    def field_names(self) -> tuple[str, ...]:
        """The form fields (= variables) of this question; computed once."""
        names = self.__dict__.get("_field_names")
        if names is None:
            names = self.__dict__["_field_names"] = tuple(
                variable.code for variable in self.variables())
        return names

    def parse(self, form: FormData, districts: Sequence[District]
              ) -> tuple[dict[str, Any], dict[str, FieldError]]:
        """Posted form -> (answers of this question, errors by field name)."""
        raise NotImplementedError


def _single_value(form: FormData, name: str) -> str | None:
    values = [value.strip() for value in form.getlist(name)]
    values = [value for value in values if value]
    if len(values) > 1:
        return "\0several"
    return values[0] if values else None


def _parse_choice(raw: str | None, choices: Iterable[Choice], required: bool
                  ) -> tuple[Value | None, FieldError | None]:
    if raw is None:
        return None, FieldError("required") if required else None
    for choice in choices:
        if str(choice.value) == raw:
            return choice.value, None
    return None, FieldError("not_a_choice")


@dataclass
class SingleChoice(Question):
    type_name: ClassVar[str] = "single"
    choices: tuple[Choice, ...] = ()
    missing: Choice | None = None
    unfavourable: tuple[Value, ...] = ()

    def all_choices(self) -> tuple[Choice, ...]:
        return with_missing(self.choices, self.missing)

    def variables(self) -> list[Variable]:
        return [Variable(self.code, self.label, "single", self.choices, self.missing,
                         self.unfavourable)]

    def parse(self, form, districts):
        value, error = _parse_choice(_single_value(form, self.code), self.all_choices(),
                                     self.required)
        return ({self.code: value} if value is not None else {}), (
            {self.code: error} if error else {})


@dataclass
class Matrix(Question):
    """Several items (rows) answered on one scale; ``code`` is only a group id."""

    type_name: ClassVar[str] = "matrix"
    rows: tuple[tuple[str, Text], ...] = ()
    choices: tuple[Choice, ...] = ()
    missing: Choice | None = None
    unfavourable: tuple[Value, ...] = ()

    def all_choices(self) -> tuple[Choice, ...]:
        return with_missing(self.choices, self.missing)

    def variables(self) -> list[Variable]:
        return [Variable(code, label, "single", self.choices, self.missing, self.unfavourable)
                for code, label in self.rows]

    def parse(self, form, districts):
        answers, errors = {}, {}
        for code, _label in self.rows:
            value, error = _parse_choice(_single_value(form, code), self.all_choices(),
                                         self.required)
            if value is not None:
                answers[code] = value
            if error:
                errors[code] = error
        return answers, errors


@dataclass
class MultipleChoice(Question):
    """Tick all that apply: each option is its own 0/1 variable."""

    type_name: ClassVar[str] = "multiple"
    options: tuple[tuple[str, Text], ...] = ()

    def variables(self) -> list[Variable]:
        yes_no = (Choice(1, Text("ausgewählt", "selected")),
                  Choice(0, Text("nicht ausgewählt", "not selected")))
        return [Variable(code, label, "binary", yes_no) for code, label in self.options]

    def answered(self, answers: Answers) -> bool:
        return any(answers.get(code) == 1 for code, _label in self.options)

    def parse(self, form, districts):
        answers, errors = {}, {}
        for code, _label in self.options:
            raw = _single_value(form, code)
            if raw not in (None, "1"):
                errors[code] = FieldError("not_a_choice")
            answers[code] = 1 if raw == "1" else 0
        if self.required and not any(answers.values()) and not errors:
            errors[self.options[0][0]] = FieldError("required_one")
        return answers, errors


@dataclass
class Integer(Question):
    type_name: ClassVar[str] = "integer"
    minimum: int = 0
    maximum: int = 0
    unit: Text | None = None

    def variables(self) -> list[Variable]:
        return [Variable(self.code, self.label, "integer", minimum=self.minimum,
                         maximum=self.maximum)]

    def parse(self, form, districts):
        raw = _single_value(form, self.code)
        if raw is None:
            return {}, ({self.code: FieldError("required")} if self.required else {})
        number = parse_integer(raw)
        if number is None:
            return {}, {self.code: FieldError("not_an_integer")}
        if not self.minimum <= number <= self.maximum:
            return {}, {self.code: FieldError(
                "out_of_range", (("min", self.minimum), ("max", self.maximum)))}
        return {self.code: number}, {}


@dataclass
class FreeText(Question):
    type_name: ClassVar[str] = "text"
    max_length: int = 1000

    def variables(self) -> list[Variable]:
        return [Variable(self.code, self.label, "text", max_length=self.max_length)]

    def parse(self, form, districts):
        values = form.getlist(self.code)
        if len(values) > 1:
            return {}, {self.code: FieldError("not_a_choice")}
        text = clean_text(values[0] if values else "")
        if not text:
            return {}, ({self.code: FieldError("required")} if self.required else {})
        if len(text) > self.max_length:
            return {}, {self.code: FieldError(
                "too_long", (("max", self.max_length), ("length", len(text))))}
        return {self.code: text}, {}


@dataclass
class DistrictChoice(Question):
    """The resident's district; the choices are the municipality's districts."""

    type_name: ClassVar[str] = "district"

    def variables(self) -> list[Variable]:
        return [Variable(self.code, self.label, "district")]

    def parse(self, form, districts):
        choices = [Choice(code, Text(name)) for code, name in districts]
        value, error = _parse_choice(_single_value(form, self.code), choices, self.required)
        return ({self.code: value} if value is not None else {}), (
            {self.code: error} if error else {})


QUESTION_TYPES: dict[str, type[Question]] = {
    cls.type_name: cls
    for cls in (SingleChoice, Matrix, MultipleChoice, Integer, FreeText, DistrictChoice)
}


# --- pages and the questionnaire ---------------------------------------------

@dataclass
class Page:
    id: str
    title: Text
    questions: list[Question]
    intro: Text | None = None
    show_if: Condition | None = None
    line: int = 0

    def visible(self, answers: Answers) -> bool:
        return self.show_if is None or self.show_if.holds(answers)

    def visible_questions(self, answers: Answers) -> list[Question]:
        return [question for question in self.questions if question.visible(answers)]

    def field_names(self) -> frozenset[str]:
        names = self.__dict__.get("_field_names")
        if names is None:
            names = self.__dict__["_field_names"] = frozenset(
                name for question in self.questions for name in question.field_names())
        return names


@dataclass
class Questionnaire:
    id: str
    version: str
    title: Text
    pages: list[Page]
    intro: Text | None = None
    languages: tuple[str, ...] = ("de",)
    _variables: dict[str, Variable] = field(default_factory=dict, repr=False)
    _plan: list[tuple[Condition | None, list[tuple[Condition | None, tuple[str, ...]]]]] = field(
        default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._variables = {variable.code: variable
                           for page in self.pages for question in page.questions
                           for variable in question.variables()}
        # Every page post walks the questionnaire (drop_hidden_answers): walk a plan made
        # once, in which only the conditions are left to evaluate.
        self._plan = [(page.show_if, [(question.show_if, question.field_names())
                                      for question in page.questions])
                      for page in self.pages]

    @property
    def variables(self) -> dict[str, Variable]:
        """The codebook: every variable by item code, in questionnaire order."""
        return self._variables

    def visible_page_indexes(self, answers: Answers) -> list[int]:
        return [index for index, (condition, _questions) in enumerate(self._plan)
                if condition is None or condition.holds(answers)]

    def drop_hidden_answers(self, answers: Answers) -> dict[str, Any]:
        """Keep only answers to questions that are visible under these answers.

        Conditions refer to earlier pages only, so one pass in page order
        settles visibility even when an earlier answer was changed via Back.
        """
        kept: dict[str, Any] = {}
        for page_condition, questions in self._plan:
            if page_condition is not None and not page_condition.holds(kept):
                continue
            for condition, names in questions:
                if condition is None or condition.holds(kept):
                    for name in names:
                        if name in answers:
                            kept[name] = answers[name]
        return kept

    def missing_required(self, answers: Answers) -> int | None:
        """Index of the first visible page with an unanswered required item, if any."""
        for index in self.visible_page_indexes(answers):
            for question in self.pages[index].visible_questions(answers):
                if question.required and not question.answered(answers):
                    return index
        return None
