"""Back-office forms: a refused import shows its upload fields again, each with the
problems of its own file beside it, and a summary on top that links to them."""
from __future__ import annotations

import html
import io
import re

from .staff import form_token


def error_at(page: str, field: str) -> list[str]:
    found = re.search(rf'<div class="error-message" id="e-{field}">(.*?)</div>', page, re.S)
    if not found:
        return []
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r"<li>(.*?)</li>", found[1], re.S)]


def summary_links(page: str) -> list[str]:
    start = page.index('class="error-summary"')
    return re.findall(r'<a href="#([^"]+)">', page[start:page.index("</div>", start)])


def test_a_refused_district_import_shows_each_files_problems_at_its_field(app, client,
                                                                          survey, logged_in):
    logged_in("staff")
    token = form_token(client, "/backoffice/m/kassel")
    response = client.post("/backoffice/m/kassel/districts", data={
        "csrf_token": token,
        "districts": (io.BytesIO(b"code,name\n01,Mitte\n"), "stadtteile.csv"),
        "population": (io.BytesIO(b"district_code,gender,age_group,population\n"
                                  b"01,f,18-29,viele\n01,w,18-29,5\n"), "bevoelkerung.csv")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "es wurde nichts importiert" in page
    problems = error_at(page, "population")
    assert problems[0] == ("bevoelkerung.csv:2: Spalte population: 'viele' ist keine ganze "
                           "Zahl ≥ 0.")
    assert len(problems) == 2 and problems[1].startswith("bevoelkerung.csv:3: Spalte gender")
    assert error_at(page, "districts") == [] and 'id="districts"' in page  # chosen again
    assert summary_links(page) == ["population"]
    assert 'aria-describedby="h-population e-population" aria-invalid="true"' in page
    assert "Zuvor gewählt: bevoelkerung.csv" in page
    assert 'action="/backoffice/m/kassel/districts"' in page and "Erneut importieren" in page


def test_a_refused_paper_import_shows_its_problems_at_the_field(app, client, survey, logged_in):
    logged_in("staff")
    token = form_token(client, "/backoffice/surveys/kassel-2026")
    response = client.post("/backoffice/surveys/kassel-2026/import", data={
        "csrf_token": token, "responses": (io.BytesIO(b"district,safety_night\n99,1\n"),
                                           "papier.csv")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    [problem] = error_at(page, "responses")
    assert problem.startswith("papier.csv:2: Spalte district:")
    assert summary_links(page) == ["responses"]
    assert 'action="/backoffice/surveys/kassel-2026/import"' in page
