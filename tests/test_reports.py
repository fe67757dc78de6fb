"""PDF reports: the figures equal the indicator table, bad input gives a plain PDF,
and rendering never reaches beyond the report's own assets."""
from __future__ import annotations

import http.server
import json
import subprocess
import threading
import time
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality, Response, Survey
from app.reporting import report_data
from app.survey.service import survey_context
from reports.build import city_report, district_report
from reports.formatting import percent
from reports.model import ReportData
from reports.pdf import AssetOnlyFetcher, BlockedResource, render_pdf

from .staff import form_token

GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": f"{n:02d}"},
     "geometry": {"type": "Polygon", "coordinates": [[[9.4 + (n % 6) * 0.02, 51.28 + (n // 6) * 0.02],
                                                      [9.42 + (n % 6) * 0.02, 51.28 + (n // 6) * 0.02],
                                                      [9.42 + (n % 6) * 0.02, 51.30 + (n // 6) * 0.02],
                                                      [9.4 + (n % 6) * 0.02, 51.28 + (n // 6) * 0.02]]]}}
    for n in range(1, 24)]}


def text_of(pdf: bytes, tmp_path, name: str = "r.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.replace("\u202f", " ")


def pct(share: float) -> str:
    return percent(share).replace("\u202f", " ")


def info_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo", "--responses", "1500", "--seed", "5"]).exit_code == 0


def data_for(app, slug: str = "kassel-2026"):
    with app.app_context():
        return report_data(db.session, survey_context(db.session, slug))


@dataclass(frozen=True)
class Rendered:
    data: ReportData
    text: str  # the PDF's text, whitespace collapsed
    info: str  # pdfinfo's output
    pages: int


@pytest.fixture(scope="module")
def city(shared_demo, tmp_path_factory) -> Rendered:
    """The city report of the shared demo (with GEOJSON's districts), rendered once."""
    with shared_demo.reading() as app:
        data = replace(data_for(app), geojson=json.dumps(GEOJSON))
    pdf, pages = city_report(data)
    directory = tmp_path_factory.mktemp("city")
    return Rendered(data, " ".join(text_of(pdf, directory).split()), info_of(pdf, directory),
                    pages)


@pytest.fixture(scope="module")
def north(shared_demo, tmp_path_factory) -> Rendered:
    """The district report of Nord (Holland), district 11, rendered once."""
    with shared_demo.reading() as app:
        data = data_for(app)
    pdf, pages = district_report(data, "11")
    directory = tmp_path_factory.mktemp("north")
    return Rendered(data, " ".join(text_of(pdf, directory).split()), "", pages)


@pytest.mark.pdf
def test_city_report_headline_equals_the_indicator_table(city):
    night = city.data.row("_city", "unsafe_night")
    assert (f"{pct(night['estimate'])} Anteil „eher unsicher“ oder „sehr unsicher“: Wie "
            "sicher fühlen Sie sich nachts") in city.text


@pytest.mark.pdf
def test_city_report_district_figures_equal_the_indicator_table(city):
    data = city.data
    for district in data.districts:
        row = data.row(district.code, "unsafe_night")
        if row["suppressed"]:
            assert f"unter {data.min_n} Antworten" in city.text \
                or "zum Schutz anderer" in city.text
        else:
            assert pct(row["estimate"]) in city.text


@pytest.mark.pdf
def test_city_report_gives_the_mean_weight_notes_of_all_districts_in_one_sentence_last(city):
    *others, mean_weight = city.data.weighting_notes
    count, sentence = mean_weight.split(" ", 1)
    assert int(count) > 0 and sentence == ("Befragte ohne verwendbare Angabe zu Geschlecht oder "
                                           "Alter erhielten das mittlere Gewicht ihres Stadtteils")
    assert all(note.startswith("Stadtteil ") and "mittlere" not in note for note in others)
    assert "Hinweise zur Gewichtung" in city.text


@pytest.mark.pdf
@pytest.mark.parametrize("phrase", [
    # Each chapter says once what its shares count; trust is counted as distrust.
    "„Anteil“ heißt in diesem Kapitel: Befragte, die „stimme eher nicht zu“ oder "
    "„stimme gar nicht zu“ geantwortet haben",
    "„Anteil“ heißt in diesem Kapitel: Befragte, die „nein“ geantwortet haben",
], ids=["distrust", "no"])
def test_city_report_chapters_say_what_their_shares_count(city, phrase):
    assert phrase in city.text


@pytest.mark.pdf
@pytest.mark.parametrize("phrase", [
    "Sorgen vor Straftaten: die Stadtteile im Vergleich",
    "Probleme in der Wohngegend: die Stadtteile im Vergleich",
    "Vertrauen in Polizei und Ordnungsamt: die Stadtteile im Vergleich",
    "ohne Pfeil: kein gesicherter Unterschied", "effektiven Fallzahl", "verschieden markiert",
], ids=["worries", "problems", "trust", "no-arrow", "effective-n", "marks"])
def test_city_report_compares_all_districts_with_the_flags_explained(city, phrase):
    assert phrase in city.text


@pytest.mark.pdf
@pytest.mark.parametrize("phrase", [
    "ab 14 Jahren der Stadt Kassel",  # not "von Stadt Kassel"
    "Alle Antworten in diesem Bericht sind synthetisch erzeugt",
    "Rücklauf nach Stadtteil", "Stichprobe und Bevölkerung",
], ids=["population", "synthetic", "response-by-district", "sample-and-population"])
def test_city_report_describes_its_sample(city, phrase):
    assert phrase in city.text


@pytest.mark.pdf
def test_city_report_has_contents_and_page_numbers(city):
    assert "Inhalt" in city.text and "Seite 3 von" in city.text and city.pages >= 10


@pytest.mark.pdf
def test_city_report_draws_the_district_map(city):
    assert "Karte" in city.text and "keine Stadtteilgrenzen" not in city.text


@pytest.mark.pdf
def test_city_report_is_a_titled_tagged_pdf(city):
    assert "Title:           Stadtbericht Sicherheit in Kassel 2026 – Stadt Kassel" in city.info
    assert "Tagged:          yes" in city.info


@pytest.mark.pdf
def test_district_report_shows_the_district_against_the_city(north):
    row, city_row = north.data.row("11", "unsafe_night"), north.data.row("_city", "unsafe_night")
    assert "Nord (Holland)" in north.text and "Auf einen Blick" in north.text
    assert "Alle Antworten in diesem Bericht sind synthetisch erzeugt" in north.text
    assert (f"{pct(row['estimate'])} Anteil „eher unsicher“ oder „sehr unsicher“: Wie "
            "sicher fühlen Sie sich nachts") in north.text
    assert f"Gesamtstadt {pct(city_row['estimate'])}" in north.text
    assert "Rücklauf" in north.text


@pytest.mark.pdf
def test_district_report_explains_its_flags(north):
    data = north.data
    if data.row("11", "unsafe_night")["flag"] == "higher":
        assert "Signifikant höher als im Rest der Stadt" in north.text
    flags = {data.row("11", name)["flag"] for name in data.indicators["indicator"].unique()
             if not data.row("11", name)["suppressed"]}
    assert ("kein gesicherter Unterschied" in north.text) == ("" in flags)


@pytest.mark.pdf
def test_district_report_lists_every_gender_and_age_group(north):
    # A group without figures says why.
    for group in ("Frauen", "Männer", "divers", "14–17 Jahre", "75 Jahre und älter"):
        assert group in north.text
    divers = north.data.row("11", "unsafe_night", "gender=d")
    if divers["n"] < north.data.min_n:
        assert f"unter {north.data.min_n} Antworten" in north.text


@pytest.mark.pdf
def test_survey_without_responses_or_boundaries_gives_a_plain_pdf(app, survey, tmp_path):
    with app.app_context():
        db.session.scalar(select(Municipality)).geojson = None
        db.session.commit()
    data = data_for(app)
    pdf, _pages = city_report(data)
    text = text_of(pdf, tmp_path)
    assert "noch keine Antworten vor" in text and "keine Stadtteilgrenzen" in text
    district = " ".join(text_of(district_report(data, "06")[0], tmp_path, "d.pdf").split())
    assert "zu wenige Antworten vor" in district
    # No synthetic answer, no demonstration banner.
    assert "synthetisch" not in " ".join(text.split()) and "synthetisch" not in district


@pytest.mark.pdf
def test_markup_and_very_long_free_text_print_as_text(app, survey, tmp_path):
    hostile = '<img src="http://127.0.0.1:9/x.png"> <b>fett</b> file:///etc/passwd ' + "x" * 10_000
    with app.app_context():
        survey_row = db.session.scalar(select(Survey))
        for index in range(40):
            db.session.add(Response(survey_id=survey_row.id, source="online", answers={
                "district": "01", "safety_night": 1 + index % 4, "gender": "f",
                "age_group": "30-44", "unsafe_places": hostile if index == 0 else "Bahnhof"}))
        db.session.commit()
    pdf, _pages = district_report(data_for(app), "01")
    text = text_of(pdf, tmp_path)
    assert '<img src="[entfernt]' in text and "<b>fett</b>" in text  # shown as text
    assert "root:x:0" not in text


def test_the_fetcher_serves_only_report_assets():
    fetcher = AssetOnlyFetcher()
    for url in ("http://127.0.0.1:9/x.png", "https://example.org/a.css", "file:///etc/passwd",
                "ftp://example.org/x"):
        with pytest.raises(BlockedResource):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hallo") is not None


@pytest.mark.pdf
def test_rendering_makes_no_request(tmp_path):
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    html = (f'<html lang="de"><head><title>T</title><link rel="stylesheet" '
            f'href="http://127.0.0.1:{port}/a.css"></head><body>'
            f'<img src="http://127.0.0.1:{port}/b.png"><img src="file:///etc/passwd">'
            f'<p style="background: url(http://127.0.0.1:{port}/c.png)">x</p></body></html>')
    pdf = render_pdf(html)
    server.shutdown()
    server.server_close()
    assert pdf.startswith(b"%PDF") and requests == []


@pytest.mark.pdf
@pytest.mark.reads_demo
def test_report_command(runner, tmp_path):
    out = tmp_path / "nord.pdf"
    result = runner.invoke(args=["report", "kassel-2026", "--out", str(out), "--district", "11"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(args=["report", "kassel-2026", "--out", str(out), "--district", "99"])
    assert bad.exit_code == 1 and "Unbekannter Stadtteil '99'" in bad.output


@pytest.mark.pdf
@pytest.mark.reads_demo
def test_pack_command_writes_the_city_and_every_district(runner, tmp_path):
    out = tmp_path / "pack"
    result = runner.invoke(args=["report", "kassel-2026", "--all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(path.name for path in out.iterdir())
    assert len(files) == 24 and files[0] == "kassel-2026-stadt.pdf"  # city + 23 districts
    assert all((out / name).read_bytes().startswith(b"%PDF") for name in files)
    assert "Berichte" in result.stderr  # the progress bar's label (a terminal sees the bar)
    assert "24 PDF-Dateien" in result.stdout and f"in {out}" in result.stdout


@pytest.mark.pdf
def test_police_download_a_report_made_in_the_background(demo, logged_in, tmp_path):
    client = logged_in("police")
    token = form_token(client, "/backoffice/surveys/kassel-2026")
    started = client.post("/backoffice/surveys/kassel-2026/reports",
                          data={"csrf_token": token, "kind": "district", "district": "11"})
    assert started.status_code == 302
    status_url = started.headers["Location"]
    deadline = time.monotonic() + 120
    while "herunterladen" not in (page := client.get(status_url).get_data(as_text=True)):
        assert "nicht erstellt" not in page
        assert time.monotonic() < deadline, "the report job did not finish"
        assert 'http-equiv="refresh"' in page
        time.sleep(0.5)
    with client.get(status_url + "/file") as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF")
        assert download.headers["Content-Disposition"].endswith("kassel-2026-stadtteil-11.pdf")
        text = text_of(download.data, tmp_path)
    assert "in der Fassung für die Polizei nicht enthalten" in text  # no free text for police
