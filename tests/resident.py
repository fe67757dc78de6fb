"""A simulated resident answering a survey through the test client."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')
RESUME_PATTERN = re.compile(r'name="resume" value="([^"]+)"')

# One complete, valid set of answers to the standard questionnaire, page by page.
STANDARD_ANSWERS: dict[int, dict[str, Any]] = {
    1: {"district": "11", "years_in_district": "7"},
    2: {"safety_day": "2", "safety_night": "3"},
    3: {"worry_burglary": "3", "worry_assault": "2", "worry_robbery": "1",
        "worry_harassment": "9", "worry_online_fraud": "4"},
    4: {"problem_litter": "3", "problem_graffiti": "2", "problem_drugs": "4",
        "problem_loitering": "3", "problem_lighting": "2", "problem_traffic": "1"},
    5: {"avoid_places": "2", "avoid_going_out_night": "3"},
    6: {"victim_burglary": "2", "victim_assault": "1", "victim_robbery": "2",
        "victim_harassment": "2", "victim_online_fraud": "2"},
    7: {"reported_assault": "2"},
    8: {"unsafe_places": "Nordstadtpark nach 22 Uhr"},
    9: {"trust_police": "1", "trust_ordnungsamt": "2", "visible_police": "3"},
    10: {"gender": "f", "age_group": "30-44"},
}


def is_checked(html: str, name: str, value: str) -> bool:
    """Whether the page offers ``value`` for ``name`` as chosen."""
    return re.search(rf'name="{name}" value="{value}"\s*checked', html) is not None


def csrf_token(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


def start_form(html: str) -> dict[str, str]:
    """The hidden fields of a start page's form: the CSRF token and, where the page
    offers to continue a draft, its resume nonce."""
    fields = {"csrf_token": csrf_token(html)}
    resume = RESUME_PATTERN.search(html)
    if resume:
        fields["resume"] = resume.group(1)
    return fields


class Resident:
    def __init__(self, client: FlaskClient, slug: str = "kassel-2026") -> None:
        self.client = client
        self.slug = slug

    def start(self, code: str | None = None) -> TestResponse:
        page = self.client.get(f"/s/{self.slug}")
        data = start_form(page.get_data(as_text=True))
        if code is not None:
            data["code"] = code
        return self.client.post(f"/s/{self.slug}/start", data=data)

    @property
    def key(self) -> str | None:
        """The value of this browser's key cookie for the survey."""
        cookie = self.client.get_cookie(f"survey-{self.slug}", path=f"/s/{self.slug}")
        return cookie.value if cookie is not None else None

    @key.setter
    def key(self, value: str) -> None:
        self.client.set_cookie(f"survey-{self.slug}", value, path=f"/s/{self.slug}")

    def page(self, number: int) -> TestResponse:
        return self.client.get(f"/s/{self.slug}/page/{number}")

    def post(self, number: int, answers: dict[str, Any], action: str = "next",
             csrf: bool = True) -> TestResponse:
        data = dict(answers, action=action)
        if csrf:
            data["csrf_token"] = csrf_token(self.page(number).get_data(as_text=True))
        return self.client.post(f"/s/{self.slug}/page/{number}", data=data)

    def answer_all(self, answers: dict[int, dict[str, Any]] = STANDARD_ANSWERS,
                   stop_before: int | None = None) -> TestResponse:
        """Follow the survey from the start, answering each page it shows."""
        response = self.start()
        while True:
            location = response.headers.get("Location", "")
            match = re.search(r"/page/(\d+)$", location)
            if not match:
                return response
            number = int(match.group(1))
            if number == stop_before:
                return response
            response = self.post(number, answers.get(number, {}))
            assert response.status_code == 302, response.get_data(as_text=True)
