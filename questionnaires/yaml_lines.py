"""YAML loading that keeps the line number of every mapping and list.

The validator reports problems as ``FILE:LINE``; PyYAML's plain ``safe_load``
forgets where a value came from, so this loader builds dict and list
subclasses that remember the (1-based) line where they start and the line of
each mapping key.

Anchors and aliases (``&name``/``*name``) are refused, and so is nesting deeper than
MAX_DEPTH: a few hundred bytes of nested aliases expand to millions of nodes ("billion
laughs"), and deep nesting exhausts Python's recursion. Both are found in PyYAML's event
stream, which is read without recursion and before any value is built.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

MAX_DEPTH = 50  # a questionnaire needs about 10 levels; conditions nest a few more
# YAML 1.1 reads 010 as 8 (octal), 0x10 as 16, 1_0 as 10, 1:30 as 90 and +1 as 1. An
# author who writes these means something else (mostly a text such as "010"), so every
# whole number must be written plainly.
PLAIN_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
NO_ALIASES = ("Fragebögen dürfen keine YAML-Anker (&name) und Aliase (*name) verwenden; "
              "bitte den Inhalt an jeder Stelle ausschreiben.")


class LineDict(dict):
    """A mapping that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows its own line."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.traps: list[tuple[int, str]] = []  # (line, message): numbers not written plainly

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = super().construct_yaml_int(node)
        if not PLAIN_INTEGER.fullmatch(node.value):
            self.traps.append((node.start_mark.line + 1, (
                f"YAML liest {node.value} als die Zahl {value}; bitte {value} schreiben, oder "
                f"\"{node.value}\" in Anführungszeichen, wenn ein Text gemeint ist.")))
        return value

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value", key_node.start_mark)
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        sequence = LineList(self.construct_object(child, deep=True) for child in node.value)
        sequence.line = node.start_mark.line + 1
        return sequence


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _LineLoader.construct_yaml_int)


class YamlSyntaxError(ValueError):
    """The text is not valid YAML, or uses what questionnaires may not; ``line`` is
    1-based, ``problems`` lists (line, message) of every such place."""

    def __init__(self, message: str, line: int,
                 problems: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.problems = problems or [(line, message)]


def refused_constructs(text: str) -> list[tuple[int, str]]:
    """(line, message) of every anchor and alias, and of the first place nested deeper
    than MAX_DEPTH; from the events alone, so nothing has been expanded yet."""
    problems: list[tuple[int, str]] = []
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            problems.append((line, f"YAML-Alias '*{event.anchor}' ist nicht erlaubt: "
                                   + NO_ALIASES))
        elif getattr(event, "anchor", None) is not None:
            problems.append((line, f"YAML-Anker '&{event.anchor}' ist nicht erlaubt: "
                                   + NO_ALIASES))
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                problems.append((line, f"Die Datei ist zu tief verschachtelt (mehr als "
                                       f"{MAX_DEPTH} Ebenen aus Listen und Abschnitten)."))
                break
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return problems


def load_yaml_with_lines(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """Parse YAML text into LineDict/LineList trees (raises YamlSyntaxError); also
    returns (line, message) of every whole number that YAML reads otherwise than it
    looks (``010``), for the validator to report with its other problems."""
    try:
        refused = refused_constructs(text)
        if refused:
            raise YamlSyntaxError(refused[0][1], refused[0][0], refused)
        loader = _LineLoader(text)  # what yaml.load does, keeping the loader's traps
        try:
            return loader.get_single_data(), loader.traps
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"bad YAML: {message}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"bad YAML: {exc}", 1) from exc
