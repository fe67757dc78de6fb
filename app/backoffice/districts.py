"""Import of districts, the population table and district boundaries (all or nothing)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from questionnaires.codebook import AGE_GROUPS, GENDERS

from ..models import Municipality
from ..municipal import add_districts, set_population
from .tabular import MAX_UPLOAD_BYTES, TableError, TableProblem, decode, read_table

DISTRICT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# A FeatureCollection of MultiPolygons is 8 levels deep. Deeper structures (in
# 'properties', say) are refused before they are stored: the map code of dashboard and
# reports (plotly, JSON encoders) walks the boundaries recursively.
MAX_GEOJSON_DEPTH = 32
Population = dict[str, dict[tuple[str, str], int]]  # district code -> (gender, age) -> n


@dataclass(frozen=True)
class ImportSummary:
    districts: int
    new_districts: int
    population_cells: int
    has_geojson: bool

    def __str__(self) -> str:
        return (f"{self.districts} Stadtteile ({self.new_districts} neu), "
                f"{self.population_cells} Bevölkerungszellen"
                + (", Grenzen (GeoJSON)" if self.has_geojson else ""))


def parse_districts(raw: bytes, source: str) -> list[tuple[str, str]]:
    table = read_table(raw, source, ["code", "name"])
    problems, seen, districts = [], {}, []
    for line, row in table.rows:
        code, name = row["code"], row["name"]
        if not DISTRICT_CODE.match(code):
            problems.append(TableProblem(source, line, "code", f"'{code}' ist kein gültiger "
                                         "Code (1–32 Zeichen: Buchstaben, Ziffern, - oder _)."))
        elif code in seen:
            problems.append(TableProblem(source, line, "code", f"Code '{code}' kommt doppelt "
                                         f"vor (zuerst in Zeile {seen[code]})."))
        else:
            seen[code] = line
        if not name or len(name) > 200:
            problems.append(TableProblem(source, line, "name", "Name fehlt oder ist länger "
                                         "als 200 Zeichen."))
        districts.append((code, name))
    if not districts and not problems:
        problems.append(TableProblem(source, 2, None, "Die Datei enthält keine Stadtteile."))
    if problems:
        raise TableError(problems)
    return districts


def parse_population(raw: bytes, source: str, known_codes: set[str]) -> Population:
    table = read_table(raw, source, ["district_code", "gender", "age_group", "population"])
    problems: list[TableProblem] = []
    population: Population = {}
    for line, row in table.rows:
        code, gender, age_group = row["district_code"], row["gender"], row["age_group"]
        before = len(problems)
        if code not in known_codes:
            problems.append(TableProblem(source, line, "district_code", f"unbekannter "
                                         f"Stadtteil '{code}'."))
        if gender not in GENDERS:
            problems.append(TableProblem(source, line, "gender", f"'{gender}' ist kein "
                                         f"Geschlecht des Codebuchs ({', '.join(GENDERS)})."))
        if age_group not in AGE_GROUPS:
            problems.append(TableProblem(source, line, "age_group", f"'{age_group}' ist keine "
                                         f"Altersgruppe ({', '.join(AGE_GROUPS)})."))
        count = _count(row["population"])
        if count is None:
            problems.append(TableProblem(source, line, "population", f"'{row['population']}' "
                                         "ist keine ganze Zahl ≥ 0."))
        if len(problems) > before:
            continue
        cells = population.setdefault(code, {})
        if (gender, age_group) in cells:
            problems.append(TableProblem(source, line, None, f"{code}/{gender}/{age_group} "
                                         "kommt doppelt vor."))
        cells[(gender, age_group)] = count
    if problems:
        raise TableError(problems)
    return population


def _count(text: str) -> int | None:
    """A whole number >= 0; German thousands separators (12.500) are accepted."""
    cleaned = text.replace(".", "").replace("\u202f", "").replace(" ", "")
    if not re.fullmatch(r"[0-9]{1,9}", cleaned):
        return None
    return int(cleaned)


def parse_geojson(raw: bytes, source: str, known_codes: set[str]) -> str:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise TableError([TableProblem(source, 0, None, "Die Datei ist zu groß.")])
    try:
        data = json.loads(decode(raw, source))
    except json.JSONDecodeError as error:
        raise TableError([TableProblem(source, error.lineno, None,
                                       f"kein gültiges JSON: {error.msg}.")]) from None
    except RecursionError:  # the decoder stops cleanly at Python's recursion limit
        raise _too_deep(source) from None
    if _depth_exceeds(data, MAX_GEOJSON_DEPTH):
        raise _too_deep(source)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise TableError([TableProblem(source, 1, None, "Erwartet wird eine GeoJSON "
                                       "FeatureCollection.")])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise TableError([TableProblem(source, 1, None, "'features' muss eine nicht leere Liste "
                                       "sein.")])
    problems = []
    for number, feature in enumerate(features, start=1):
        where = f"Feature {number}"
        feature = feature if isinstance(feature, dict) else {}
        properties = feature.get("properties") if isinstance(feature.get("properties"),
                                                              dict) else {}
        geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
        if str(properties.get("code")) not in known_codes:
            problems.append(TableProblem(source, 0, where, "Eigenschaft 'code' "
                                         f"{properties.get('code')!r} ist kein Stadtteil."))
        if not _valid_geometry(geometry):
            problems.append(TableProblem(source, 0, where, "Geometrie muss ein Polygon oder "
                                         "MultiPolygon mit Ringen aus mindestens 4 "
                                         "Koordinatenpaaren sein."))
    if problems:
        raise TableError(problems)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _too_deep(source: str) -> TableError:
    return TableError([TableProblem(source, 1, None, "Die Datei ist zu tief verschachtelt "
                                    f"(mehr als {MAX_GEOJSON_DEPTH} Ebenen aus Listen und "
                                    "Objekten).")])


def _depth_exceeds(data: object, limit: int) -> bool:
    """Whether lists and objects nest deeper than ``limit`` (walked without recursion)."""
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _valid_ring(ring) -> bool:
    return isinstance(ring, list) and len(ring) >= 4 and all(
        isinstance(point, list) and len(point) >= 2 and all(
            isinstance(value, (int, float)) and not isinstance(value, bool)
            for value in point[:2]) for point in ring)


def _valid_geometry(geometry: dict) -> bool:
    coordinates = geometry.get("coordinates")
    if geometry.get("type") == "Polygon":
        polygons = [coordinates]
    elif geometry.get("type") == "MultiPolygon" and isinstance(coordinates, list):
        polygons = coordinates
    else:
        return False
    return bool(polygons) and all(isinstance(rings, list) and rings and
                                  all(_valid_ring(ring) for ring in rings)
                                  for rings in polygons)


def import_districts(session: Session, municipality: Municipality,
                     districts_csv: tuple[bytes, str] | None,
                     population_csv: tuple[bytes, str] | None = None,
                     geojson: tuple[bytes, str] | None = None) -> ImportSummary:
    """Check every file first; change the database only if all of them are clean.

    Districts are added or renamed, never removed (responses refer to them); the
    population of each district in the file replaces the old one.
    """
    existing = {district.code for district in municipality.districts}
    problems: list[TableProblem] = []
    districts, population, boundaries = [], None, None
    try:
        if districts_csv:
            districts = parse_districts(*districts_csv)
    except TableError as error:
        problems += error.problems
    known = existing | {code for code, _name in districts}
    for upload, parse in ((population_csv, parse_population), (geojson, parse_geojson)):
        if upload is None:
            continue
        try:
            result = parse(*upload, known)
        except TableError as error:
            problems += error.problems
            continue
        if parse is parse_population:
            population = result
        else:
            boundaries = result
    if problems:
        raise TableError(problems)
    by_code = add_districts(session, municipality, districts)
    for code, name in districts:
        by_code[code].name = name
    for code, cells in (population or {}).items():
        set_population(session, by_code[code], cells)
    if boundaries is not None:
        municipality.geojson = boundaries
    session.flush()
    return ImportSummary(len(by_code), len(set(c for c, _ in districts) - existing),
                         sum(len(cells) for cells in (population or {}).values()),
                         boundaries is not None)
