"""Two residents on one worker at once, with the resident caches on and off (see
app/survey/hot_path.py): neither ever sees the other's answers, CSRF token, code,
district or language, and every page looks the same both ways, apart from the tokens.

The second resident starts in English and switches to German on page 3: from there on
both are shown the same pages, which the page cache then shares between them."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.config import ConfigError
from app.extensions import db
from app.models import District, Response, Survey
from app.survey import hot_path, service, visitor

from .resident import CSRF_PATTERN, RESUME_PATTERN, STANDARD_ANSWERS, Resident, is_checked

SLUG = "kassel-2026"
# The second resident answers every question differently from the first.
OTHER_ANSWERS: dict[int, dict[str, str]] = {
    1: {"years_in_district": "57"},  # the district: set per test
    2: {"safety_day": "4", "safety_night": "1"},
    3: {"worry_burglary": "1", "worry_assault": "4", "worry_robbery": "4",
        "worry_harassment": "1", "worry_online_fraud": "1"},
    4: {"problem_litter": "1", "problem_graffiti": "4", "problem_drugs": "1",
        "problem_loitering": "1", "problem_lighting": "4", "problem_traffic": "4"},
    5: {"avoid_places": "4", "avoid_going_out_night": "1"},
    6: {"victim_burglary": "1", "victim_assault": "2", "victim_robbery": "1",
        "victim_harassment": "1", "victim_online_fraud": "1"},
    7: {"reported_burglary": "1", "reported_robbery": "2", "reported_harassment": "1",
        "reported_online_fraud": "2"},
    8: {"unsafe_places": "Bahnhofsvorplatz am Abend"},
    9: {"trust_police": "4", "trust_ordnungsamt": "4", "visible_police": "1"},
    10: {"gender": "m", "age_group": "60-74"},
}
LAST_PAGE = 10


class Walk:
    """One resident's way through the survey: every page, a page sent with an answer
    missing, the way back to the first page, the end; each response is noted."""

    def __init__(self, client, answers: dict[int, dict[str, str]], lang: str,
                 code: str | None, switch_on: int | None = None) -> None:
        self.resident = Resident(client)
        self.client = client
        self.answers = answers
        self.lang = lang
        self.code = code
        self.switch_on = switch_on  # the page whose language switch is pressed
        self.langs: list[str] = []  # the language each response should be in
        self.seen: list[tuple[str, int, str, str]] = []  # what, status, location, HTML
        self.given: dict[str, str] = {}  # what this resident chose, by field
        self.keys: set[str] = set()  # every key cookie it held

    def note(self, what: str, response) -> Iterator[None]:
        # A form sent with a token not of this resident's key fails here (400).
        assert response.status_code in (200, 302, 422), (what, response.status_code)
        self.seen.append((what, response.status_code, response.headers.get("Location", ""),
                          response.get_data(as_text=True)))
        self.langs.append(self.lang)
        yield  # the other resident's turn

    def steps(self) -> Iterator[None]:
        suffix = "?lang=en" if self.lang == "en" else ""
        start = self.client.get(f"/s/{SLUG}{suffix}")
        yield from self.note("start", start)
        form = {"csrf_token": CSRF_PATTERN.search(start.get_data(as_text=True)).group(1)}
        if self.code is not None:
            form["code"] = self.code
        response = self.client.post(f"/s/{SLUG}/start", data=form)
        yield from self.note("begin", response)
        reached = []
        while (match := re.search(r"/page/(\d+)$", response.headers.get("Location", ""))):
            number = int(match.group(1))
            reached.append(number)
            yield from self.note(f"page {number}", self.resident.page(number))
            answers = self.answers.get(number, {})
            if number == 2:  # a required answer left out: the page comes back, personal
                missing = {name: value for name, value in answers.items()
                           if name != "safety_night"}
                yield from self.note("page 2 incomplete", self.resident.post(2, missing))
            if number == self.switch_on:
                other = "de" if self.lang == "en" else "en"
                switched = self.resident.post(number, answers, action=f"lang-{other}")
                yield from self.note("switch", switched)
                self.lang = other
                yield from self.note(f"page {number} switched",
                                     self.client.get(switched.headers["Location"]))
            if number == LAST_PAGE:  # back through every page before the last
                for earlier in reached[:-1]:
                    yield from self.note(f"again {earlier}", self.resident.page(earlier))
            self.given.update(answers)
            response = self.resident.post(number, answers)
            yield from self.note(f"post {number}", response)
        yield from self.note("thanks", self.client.get(response.headers["Location"]))


def _check(app: Flask, walk: Walk, other: Walk, other_district_name: str | None) -> None:
    """Nothing of ``other`` on any page ``walk`` was shown."""
    for (what, status, _location, html), lang in zip(walk.seen, walk.langs, strict=True):
        if status != 302:
            assert f'<html lang="{lang}">' in html, what
        for field, value in other.given.items():
            if walk.given.get(field) == value:
                continue
            assert not is_checked(html, field, re.escape(value)), (what, field)
            assert not re.search(rf'<option value="{re.escape(value)}" selected', html), what
        assert not re.search(rf'name="years_in_district"\s+value="'
                             rf'{other.given.get("years_in_district")}"', html), what
        assert other.answers[8]["unsafe_places"] not in html, what
        if other.code is not None:
            assert other.code not in html and other.code.replace("-", "") not in html, what
        if other_district_name is not None:
            assert other_district_name not in html, what
    # Every token a page carried was the one of this resident's own key at the time.
    with app.test_request_context():
        own_tokens = {visitor.csrf_token(key) for key in walk.keys}
        other_tokens = {visitor.csrf_token(key) for key in other.keys}
    for what, _status, _location, html in walk.seen:
        for token in CSRF_PATTERN.findall(html):
            assert token in own_tokens and token not in other_tokens, what


def _walk_both(app: Flask, first: Walk, second: Walk) -> None:
    """Both residents in turns, one request each; notes each key they held."""
    walks = [(first, first.steps()), (second, second.steps())]
    while walks:
        for entry in list(walks):
            walk, steps = entry
            try:
                next(steps)
            except StopIteration:
                walks.remove(entry)
            if walk.resident.key is not None:
                walk.keys.add(walk.resident.key.split(".")[0])


def _without_tokens(seen: list[tuple[str, int, str, str]]) -> list[tuple[str, int, str, str]]:
    def plain(html: str) -> str:
        html = CSRF_PATTERN.sub('name="csrf_token" value="TOKEN"', html)
        return RESUME_PATTERN.sub('name="resume" value="NONCE"', html)
    return [(what, status, location, plain(html)) for what, status, location, html in seen]


@pytest.fixture
def caches_off(app: Flask, tmp_path) -> Iterator[Flask]:
    """A second app on the same database with RESIDENT_CACHES off."""
    other = create_app({"TESTING": True, "RESIDENT_CACHES": False},
                       instance_path=str(tmp_path / "instance"))
    assert other.extensions["hot_path"].on == frozenset()
    yield other
    other.extensions["draft_store"].close()
    other.extensions["draft_engine"].dispose()
    other.extensions["database_engine"].dispose()


def _districts(app: Flask, survey: Survey) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(District.id, District.code, District.name)
            .where(District.municipality_id == survey.municipality_id)
            .order_by(District.code)).all()]


@pytest.mark.parametrize("access_mode", ["open", "codes"])
def test_two_residents_see_only_their_own_pages_with_caches_on_and_off(
        app, caches_off, survey, access_mode):
    (first_id, first_code, first_name), (second_id, second_code, second_name) = \
        _districts(app, survey)[:2]
    codes: list[str | None] = [None] * 4
    if access_mode == "codes":
        with app.app_context():
            coded = db.session.get(Survey, survey.id)
            coded.access_mode = "codes"
            # for each run: one code of the first district, one of the second
            codes = [service.new_codes(db.session, coded, 1, district_id=district)[0]
                     for district in (first_id, second_id, first_id, second_id)]
            db.session.commit()
    first_answers = {**STANDARD_ANSWERS, 1: {**STANDARD_ANSWERS[1], "district": first_code}}
    second_answers = {**OTHER_ANSWERS, 1: {**OTHER_ANSWERS[1], "district": second_code}}
    seen = []
    for flask_app, (first_key, second_key) in ((app, codes[:2]), (caches_off, codes[2:])):
        first = Walk(flask_app.test_client(), first_answers, "de", first_key)
        second = Walk(flask_app.test_client(), second_answers, "en", second_key, switch_on=3)
        _walk_both(flask_app, first, second)
        assert first.seen[-1][1] == second.seen[-1][1] == 200  # both thanked
        by_code = access_mode == "codes"
        _check(flask_app, first, second, second_name if by_code else None)
        _check(flask_app, second, first, first_name if by_code else None)
        seen.append((_without_tokens(first.seen), _without_tokens(second.seen)))
    cached, uncached = seen
    assert [what for what, *_ in cached[0]] == [what for what, *_ in uncached[0]]
    for walk_cached, walk_uncached in zip(cached, uncached):
        for page_cached, page_uncached in zip(walk_cached, walk_uncached, strict=True):
            assert page_cached == page_uncached, page_cached[0]
    with app.app_context():
        stored = db.session.scalars(select(Response.answers)).all()
    assert len(stored) == 4
    assert sorted(answers["district"] for answers in stored) == sorted(
        [first_code, second_code] * 2)


def test_a_page_with_answers_is_never_kept(app, client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=3)
    pages = app.extensions["hot_path"].pages
    kept = len(pages)
    assert kept == 3  # the start page, pages 1 and 2 as first shown
    again = resident.page(2).get_data(as_text=True)  # now with the resident's answers
    assert is_checked(again, "safety_day", STANDARD_ANSWERS[2]["safety_day"])
    assert len(pages) == kept


def test_a_ttl_cache_forgets_after_its_time_and_holds_at_most_its_size(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(hot_path.time, "monotonic", lambda: now[0])
    cache: hot_path.TTLCache[str, int] = hot_path.TTLCache(max_entries=2, ttl=5.0)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)  # "a", the oldest, makes room
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
    now[0] += 5.0
    assert cache.get("b") is None and len(cache) == 1


def test_resident_caches_switch_off_from_the_environment(monkeypatch, tmp_path,
                                                           database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("RESIDENT_SPEEDUPS_OFF", "page_html, draft_memory")
    partly = create_app({"TESTING": True}, instance_path=str(tmp_path / "a"))
    assert partly.extensions["hot_path"].on == set(hot_path.SPEEDUPS) - {"page_html",
                                                                        "draft_memory"}
    monkeypatch.setenv("RESIDENT_CACHES", "off")
    off = create_app({"TESTING": True}, instance_path=str(tmp_path / "b"))
    assert off.extensions["hot_path"].on == frozenset()
    monkeypatch.setenv("RESIDENT_CACHES", "on")
    monkeypatch.setenv("RESIDENT_SPEEDUPS_OFF", "page_cache")
    with pytest.raises(ConfigError, match="no speed-up"):
        create_app({"TESTING": True}, instance_path=str(tmp_path / "c"))
    for made in (partly, off):
        made.extensions["database_engine"].dispose()
        made.extensions["draft_engine"].dispose()
