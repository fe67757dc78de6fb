"""CSV files in and out as German offices use them.

Excel in Germany saves CSV as Windows-1252 with ``;``; other tools write UTF-8 with
``,``. Both are accepted. Every problem is reported with file, line and column; a
row that spans several lines (a line break inside quotes) is named by its first line.
Every CSV the platform writes goes through ``write_csv``, which neutralises text a
spreadsheet could run as a formula; ``restore`` takes exactly that back on import.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# Formula neutralisation. A spreadsheet runs a field as a formula when it starts with
# = + - @ (tab and CR too: Excel skips them before an '='). Marking only the start of a
# cell is not enough: a ','-file opened with ';' as separator splits "Bahnhof;=2*21"
# into "Bahnhof" and "=2*21", and a line break inside a cell starts a new row in tools
# that ignore quotes. So a field may begin at the cell's start and after every ',' ';'
# tab, CR or LF. Prefixing the whole cell would not help there (the second field still
# starts with '='); instead an apostrophe goes in at each such place that is followed
# (after spaces or quote characters, which a lenient reader may drop) by a formula
# character. An apostrophe that already stands at such a place is doubled, so that
# ``restore`` can remove exactly the apostrophes added here and no other.
_FIELD_START = r"(?:\A|(?<=[,;\t\r\n]))"
_NEEDS_MARK = r"""(?=[ "]*[=+\-@\t\r]|')"""
_MARK_PLACES = re.compile(_FIELD_START + _NEEDS_MARK)
_ADDED_MARKS = re.compile(_FIELD_START + "'" + _NEEDS_MARK)


def neutralise(value: Any) -> Any:
    """Text with an apostrophe wherever a field that a spreadsheet would run as a formula
    could begin, however the file is split; other values unchanged."""
    return _MARK_PLACES.sub("'", value) if isinstance(value, str) else value


def restore(text: str) -> str:
    """Undo ``neutralise``: ``restore(neutralise(t)) == t`` for every text ``t``.

    An apostrophe is removed only where ``neutralise`` would have put one, so an
    apostrophe keyed in by hand elsewhere (``Park,'Ecke'``) stays.
    """
    return _ADDED_MARKS.sub("", text)


def write_csv(columns: list[str], rows: Iterable[Iterable[Any]], sep: str = ",") -> str:
    """CSV text with a header (column names are codes, written as they are); None is
    written as an empty cell, text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([["" if value is None else neutralise(value) for value in row]
                      for row in rows])
    return buffer.getvalue()


@dataclass(frozen=True)
class TableProblem:
    source: str
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}"
        if self.column:
            place = self.column if self.column.startswith("Feature") else f"Spalte {self.column}"
            where += f": {place}"
        return f"{where}: {self.message}"


class TableError(ValueError):
    """A file that cannot be imported; ``problems`` says every reason and where."""

    def __init__(self, problems: list[TableProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class Table:
    source: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, values)


def check_size(raw: bytes, source: str) -> None:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise TableError([TableProblem(source, 0, None, "Die Datei ist größer als "
                                       f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")])


def decode(raw: bytes, source: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; anything else is refused."""
    check_size(raw, source)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        raise TableError([TableProblem(source, 1, None, "Die Datei ist keine Textdatei in "
                                       "UTF-8 oder Windows-1252 (UTF-16 oder binär?). Bitte "
                                       "als CSV (UTF-8) speichern.")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise TableError([TableProblem(source, line, None, "Zeichen, das weder UTF-8 noch "
                                       "Windows-1252 ist.")]) from None


def read_table(raw: bytes, source: str, required: list[str], optional: list[str] = ()
               ) -> Table:
    """Parse CSV text with a header; the header must have the required columns and no
    others than the optional ones. Quotes are read strictly: a quote that is never
    closed is an error, not a cell that swallows the rows after it."""
    text = decode(raw, source)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise TableError([TableProblem(source, 1, None, "Die Datei ist leer; erwartet wird "
                                       f"eine Kopfzeile {','.join(required)}.")])
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as error:
        raise TableError([_csv_problem(source, 1, reader.line_num, error, delimiter)]) from None
    problems = header_problems(header, source, required, optional)
    if problems:
        raise TableError(problems)
    table = Table(source, header)
    while True:
        line = reader.line_num + 1  # where this row starts
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # nothing after it can be split reliably
            problems.append(_csv_problem(source, line, reader.line_num, error, delimiter))
            break
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            problems.append(TableProblem(source, line, None, f"{len(values)} Werte statt "
                                         f"{len(header)} (Trennzeichen '{delimiter}')."))
            continue
        table.rows.append((line, {name: value.strip()
                                  for name, value in zip(header, values)}))
    if problems:
        raise TableError(problems)
    return table


def _csv_problem(source: str, line: int, last_line: int, error: csv.Error, delimiter: str
                 ) -> TableProblem:
    where = f" (Zeile {line} bis {last_line})" if last_line > line else ""
    if "unexpected end of data" in str(error):
        message = ("Ein Anführungszeichen (\") in dieser Zeile wird nie geschlossen, so dass "
                   "alle folgenden Zeilen ein einziger Wert wären. Bitte das schließende "
                   "Anführungszeichen ergänzen; ein Anführungszeichen im Text wird "
                   "verdoppelt (\"\").")
    elif "expected after" in str(error):
        message = (f"Nach einem schließenden Anführungszeichen folgt kein '{delimiter}'"
                   f"{where}: fehlt ein Anführungszeichen, oder steht eines im Text, ohne "
                   "verdoppelt zu sein (\"\")?")
    else:
        message = f"CSV nicht lesbar ({error}){where}; fehlt ein schließendes Anführungszeichen?"
    return TableProblem(source, line, None, message)


def header_problems(header: list[str], source: str, required: list[str],
                    optional: list[str]) -> list[TableProblem]:
    problems = []
    missing = [name for name in required if name not in header]
    if missing:
        problems.append(TableProblem(source, 1, None, f"Es fehlen die Spalten "
                                     f"{', '.join(missing)} (erwartet: {','.join(required)})."))
    for name in header:
        if name not in required and name not in optional:
            problems.append(TableProblem(source, 1, name or "(leer)", "unbekannte Spalte."))
    duplicates = {name for name in header if header.count(name) > 1}
    for name in sorted(duplicates):
        problems.append(TableProblem(source, 1, name, "Spalte kommt doppelt vor."))
    return problems
