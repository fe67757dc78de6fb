"""Excel files (.xlsx) in: a sheet read as ``tabular.read_table`` reads a CSV file.

Staff key paper questionnaires into Excel, and the platform's own Excel export comes
back this way. A cell's value is taken as the text it stands for (the number 3.0 as
"3"); a formula is refused, since what it shows is not what is stored.
"""
from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from typing import Any

from .tabular import Table, TableError, TableProblem, check_size, header_problems

MAX_WORKBOOK_ROWS = 100_000  # a 5 MB .xlsx may unpack to far more; nobody keys in more
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx file is a ZIP archive


def is_workbook(raw: bytes) -> bool:
    return raw.startswith(XLSX_MAGIC)


def read_workbook(raw: bytes, source: str, required: list[str], optional: list[str] = (),
                  sheet: str | None = None) -> Table:
    """Like ``read_table`` for an Excel file (.xlsx): the sheet named ``sheet`` if there
    is one, else the first; line = row number."""
    from openpyxl import load_workbook

    check_size(raw, source)
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True)
    except Exception:  # noqa: BLE001 - zip, XML and openpyxl all raise their own errors
        raise TableError([TableProblem(source, 1, None, "Die Datei ist keine lesbare "
                                       "Excel-Datei (.xlsx).")]) from None
    try:
        worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        return _sheet_table(worksheet.iter_rows(), source, required, optional)
    except TableError:
        raise
    except Exception:  # noqa: BLE001 - a damaged sheet inside a readable archive
        raise TableError([TableProblem(source, 1, None, "Die Excel-Datei ist beschädigt und "
                                       "nicht lesbar.")]) from None
    finally:
        workbook.close()


def _sheet_table(rows: Iterable, source: str, required: list[str], optional: list[str]
                 ) -> Table:
    header_cells = next(rows, ())
    header = [str(cell.value).strip() if cell.value is not None else ""
              for cell in header_cells]
    while header and not header[-1]:  # Excel keeps formatted empty columns
        header.pop()
    if not header:
        raise TableError([TableProblem(source, 1, None, "Die Tabelle ist leer; erwartet "
                                       f"wird eine Kopfzeile {','.join(required)}.")])
    problems = header_problems(header, source, required, optional)
    if problems:
        raise TableError(problems)
    table = Table(source, header)
    for line, cells in enumerate(rows, start=2):
        if line > MAX_WORKBOOK_ROWS + 1:
            raise TableError([TableProblem(source, line, None, "Mehr als "
                                           f"{MAX_WORKBOOK_ROWS} Zeilen.")])
        values: dict[str, str] = {}
        for position, cell in enumerate(cells):
            text, problem = _cell_text(cell)
            column = header[position] if position < len(header) else None
            if problem or (column is None and text):
                problems.append(TableProblem(source, line, column, problem or
                                             "Wert rechts neben der letzten Spalte."))
            elif column is not None:
                values[column] = text
        if any(values.values()):
            table.rows.append((line, {name: values.get(name, "") for name in header}))
    if problems:
        raise TableError(problems)
    return table


def _cell_text(cell: Any) -> tuple[str, str]:
    """(text, problem) of one cell as it would read in a CSV file."""
    value = cell.value
    if getattr(cell, "data_type", None) == "f":
        return "", "Zelle enthält eine Formel; bitte den Wert selbst eintragen."
    if value is None:
        return "", ""
    if isinstance(value, bool):
        return "", "Wahrheitswert (WAHR/FALSCH) statt eines Codes."
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat(), ""
    return str(value).strip(), ""
