"""Districts, population and boundaries from CSV/GeoJSON: all or nothing, clear messages."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import District, Municipality, PopulationCell

from .staff import form_token

DISTRICTS = "code,name\nN1,Nordstadt\nS1,Südstadt\n"
POPULATION = ("district_code,gender,age_group,population\n"
              "N1,f,18-29,1200\nN1,m,18-29,1100\nS1,f,75+,800\n")
GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": code},
     "geometry": {"type": "Polygon", "coordinates": [[[9.4, 51.3], [9.5, 51.3], [9.5, 51.4],
                                                     [9.4, 51.3]]]}} for code in ("N1", "S1")]}


@pytest.fixture
def town(app, runner):
    result = runner.invoke(args=["municipalities", "create", "hofgeismar", "Stadt Hofgeismar"])
    assert result.exit_code == 0, result.output
    return app


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def state(app) -> tuple:
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).where(
            Municipality.slug == "hofgeismar"))
        return (sorted(db.session.execute(select(District.code, District.name)).all()),
                db.session.scalar(select(func.count()).select_from(PopulationCell)),
                municipality.geojson is not None)


def test_import_districts_population_and_boundaries(town, runner, tmp_path):
    result = runner.invoke(args=[
        "districts", "import", "hofgeismar", write(tmp_path, "d.csv", DISTRICTS),
        "--population", write(tmp_path, "p.csv", POPULATION),
        "--geojson", write(tmp_path, "g.geojson", json.dumps(GEOJSON))])
    assert result.exit_code == 0, result.output
    assert "2 Stadtteile (2 neu), 3 Bevölkerungszellen, Grenzen (GeoJSON)" in result.output
    assert state(town) == ([("N1", "Nordstadt"), ("S1", "Südstadt")], 3, True)


def test_excel_csv_in_windows_1252_with_semicolons(town, runner, tmp_path):
    excel = "code;name\r\nN1;Nordstadt\r\nS1;Südstadt\r\n".encode("cp1252")
    population = "district_code;gender;age_group;population\r\nS1;f;75+;1.250\r\n".encode(
        "cp1252")
    result = runner.invoke(args=["districts", "import", "hofgeismar",
                                 write(tmp_path, "d.csv", excel), "--population",
                                 write(tmp_path, "p.csv", population)])
    assert result.exit_code == 0, result.output
    assert state(town) == ([("N1", "Nordstadt"), ("S1", "Südstadt")], 1, False)


@pytest.mark.parametrize("districts, population, expected", [
    ("code,name\nN1,Nordstadt\nN1,Neustadt\n", None,
     "d.csv:3: Spalte code: Code 'N1' kommt doppelt vor (zuerst in Zeile 2)."),
    ("code\nN1\n", None, "d.csv:1: Es fehlen die Spalten name"),
    ("code,name,area\nN1,Nordstadt,12\n", None, "d.csv:1: Spalte area: unbekannte Spalte."),
    ("code,name\nN1,Nordstadt,extra\n", None, "d.csv:2: 3 Werte statt 2"),
    ("code,name\nN 1,Nordstadt\n", None, "d.csv:2: Spalte code: 'N 1' ist kein gültiger Code"),
    ("\ufeffcode,name\n".encode("utf-16"), None, "d.csv:1: Die Datei ist keine Textdatei in UTF-8"),
    (DISTRICTS, "district_code,gender,age_group,population\nN1,f,18-29,-5\n",
     "p.csv:2: Spalte population: '-5' ist keine ganze Zahl ≥ 0."),
    (DISTRICTS, "district_code,gender,age_group,population\nN1,f,18-29,viele\n",
     "p.csv:2: Spalte population: 'viele' ist keine ganze Zahl ≥ 0."),
    (DISTRICTS, "district_code,gender,age_group,population\nX9,f,18-29,5\n",
     "p.csv:2: Spalte district_code: unbekannter Stadtteil 'X9'."),
    (DISTRICTS, "district_code,gender,age_group,population\nN1,w,18-30,5\n",
     "p.csv:2: Spalte age_group: '18-30' ist keine Altersgruppe"),
    (DISTRICTS, "district_code,gender,age_group,population\nN1,f,18-29,5\nN1,f,18-29,6\n",
     "p.csv:3: N1/f/18-29 kommt doppelt vor."),
])
def test_bad_files_are_refused_with_file_line_and_column(town, runner, tmp_path, districts,
                                                         population, expected):
    args = ["districts", "import", "hofgeismar", write(tmp_path, "d.csv", districts)]
    if population is not None:
        args += ["--population", write(tmp_path, "p.csv", population)]
    before = state(town)
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Nichts wurde importiert" in result.output
    assert str(tmp_path / expected.split(":")[0]) + expected[expected.index(":"):] in \
        result.output, result.output
    assert state(town) == before
    assert "Traceback" not in result.output


def test_a_bad_population_file_keeps_good_districts_out_too(town, runner, tmp_path):
    result = runner.invoke(args=[
        "districts", "import", "hofgeismar", write(tmp_path, "d.csv", DISTRICTS),
        "--population", write(tmp_path, "p.csv", POPULATION + "S1,x,75+,1\n"),
        "--geojson", write(tmp_path, "g.json", '{"type": "FeatureCollection", "features": ['
                           '{"type": "Feature", "properties": {"code": "Z9"}, '
                           '"geometry": {"type": "Point", "coordinates": [0, 0]}}]}')])
    assert result.exit_code == 1
    assert "p.csv:5: Spalte gender: 'x' ist kein Geschlecht" in result.output
    assert "g.json:0: Feature 1: Eigenschaft 'code' 'Z9' ist kein Stadtteil." in result.output
    assert "Geometrie muss ein Polygon oder MultiPolygon" in result.output
    assert state(town) == ([], 0, False)


def test_oversized_upload_is_refused(town, runner, tmp_path):
    big = "code,name\n" + "".join(f"D{i},Name {i}\n" for i in range(400_000))
    result = runner.invoke(args=["districts", "import", "hofgeismar",
                                 write(tmp_path, "d.csv", big)])
    assert result.exit_code == 1 and "größer als 5 MB" in result.output


def test_staff_import_in_the_browser(app, client, survey, tmp_path, logged_in):
    logged_in("staff")
    token = form_token(client, "/backoffice/m/kassel")
    response = client.post("/backoffice/m/kassel/districts", data={
        "csrf_token": token, "districts": (_file("code,name\n24,Neuer Stadtteil\n"), "d.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/backoffice/m/kassel").get_data(as_text=True)
    assert "Neuer Stadtteil" in page and "24 Stadtteile" in page
    bad = client.post("/backoffice/m/kassel/districts", data={
        "csrf_token": token, "population": (_file("district_code,gender,age_group,population\n"
                                                  "99,f,18-29,1\n"), "pop.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "pop.csv:2: Spalte district_code: unbekannter Stadtteil" in bad.get_data(as_text=True)


def _file(text: str):
    import io
    return io.BytesIO(text.encode("utf-8"))


@pytest.mark.parametrize("content, expected", [
    ('{"type": "FeatureCollection", "features": "abc"}', "'features' muss eine nicht leere"),
    ('{"type": "FeatureCollection", "features": [{"properties": ["N1"], "geometry": {}}]}',
     "Feature 1: Eigenschaft 'code' None ist kein Stadtteil."),
    ('{"type": "FeatureCollection", "features": [{"properties": {"code": "N1"}, '
     '"geometry": {"type": "Polygon", "coordinates": []}}]}', "Feature 1: Geometrie muss"),
])
def test_malformed_geojson_is_refused(town, runner, tmp_path, content, expected):
    result = runner.invoke(args=["districts", "import", "hofgeismar",
                                 write(tmp_path, "d.csv", DISTRICTS),
                                 "--geojson", write(tmp_path, "g.json", content)])
    assert result.exit_code == 1 and expected in result.output, result.output
    assert state(town) == ([], 0, False)


def test_stray_quote_and_odd_digits_are_named(town, runner, tmp_path):
    result = runner.invoke(args=["districts", "import", "hofgeismar",
                                 write(tmp_path, "d.csv", 'code,name\nN1,"Nordstadt\n' +
                                       "x" * 200_000)])
    assert result.exit_code == 1 and "fehlt ein schließendes Anführungszeichen" in result.output
    result = runner.invoke(args=["districts", "import", "hofgeismar",
                                 write(tmp_path, "d.csv", DISTRICTS), "--population",
                                 write(tmp_path, "p.csv", "district_code,gender,age_group,"
                                       "population\nN1,f,18-29,²\n")])
    assert result.exit_code == 1 and "'²' ist keine ganze Zahl" in result.output


def deep_properties(depth: int) -> str:
    """GEOJSON with a list nested ``depth`` levels deep in a feature's properties."""
    text = json.dumps(GEOJSON)
    return text.replace('{"code": "N1"}', '{"code": "N1", "x": ' + "[" * depth + "]" * depth
                        + "}", 1)


@pytest.mark.parametrize("content", [
    deep_properties(10_000),  # deeper than Python's recursion reaches
    deep_properties(40),      # within it, but deeper than any map needs
])
def test_deeply_nested_geojson_is_refused(town, runner, tmp_path, content):
    result = runner.invoke(args=["districts", "import", "hofgeismar",
                                 write(tmp_path, "d.csv", DISTRICTS),
                                 "--geojson", write(tmp_path, "g.json", content)])
    assert result.exit_code == 1, result.output
    assert (f"{tmp_path / 'g.json'}:1: Die Datei ist zu tief verschachtelt (mehr als 32 Ebenen"
            in result.output)
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert state(town) == ([], 0, False)


def test_deeply_nested_geojson_upload_is_a_clear_422(app, client, survey, logged_in):
    logged_in("staff")
    token = form_token(client, "/backoffice/m/kassel")
    response = client.post("/backoffice/m/kassel/districts", data={
        "csrf_token": token, "geojson": (_file(deep_properties(10_000)), "grenzen.geojson")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "grenzen.geojson:1: Die Datei ist zu tief verschachtelt" in response.get_data(
        as_text=True)
