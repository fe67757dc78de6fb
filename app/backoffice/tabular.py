"""Reading uploaded CSV files as German offices write them.

Excel in Germany saves CSV as Windows-1252 with ``;``; other tools write UTF-8 with
``,``. Both are accepted. Every problem is reported with file, line and column.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


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


def decode(raw: bytes, source: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; anything else is refused."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise TableError([TableProblem(source, 0, None, "Die Datei ist größer als "
                                       f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")])
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
    others than the optional ones."""
    text = decode(raw, source)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise TableError([TableProblem(source, 1, None, "Die Datei ist leer; erwartet wird "
                                       f"eine Kopfzeile {','.join(required)}.")])
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
        problems = header_problems(header, source, required, optional)
        if problems:
            raise TableError(problems)
        table = Table(source, header)
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                problems.append(TableProblem(source, line, None, f"{len(values)} Werte statt "
                                             f"{len(header)} (Trennzeichen '{delimiter}')."))
                continue
            table.rows.append((line, {name: value.strip()
                                      for name, value in zip(header, values)}))
    except csv.Error as error:
        raise TableError([TableProblem(source, reader.line_num, None, "CSV nicht lesbar "
                                       f"({error}); fehlt ein schließendes Anführungszeichen?")])
    if problems:
        raise TableError(problems)
    return table


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
