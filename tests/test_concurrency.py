"""Many residents at once: nothing lost, nothing doubled (run against PostgreSQL in CI)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import Response, ResponseDraft

from .resident import STANDARD_ANSWERS, Resident, csrf_token

RESIDENTS = 50


def ready_to_submit(app) -> tuple[Resident, dict]:
    """A resident on the last page, with the final form filled in."""
    resident = Resident(app.test_client())
    resident.answer_all(stop_before=10)
    page = resident.page(10).get_data(as_text=True)
    return resident, dict(STANDARD_ANSWERS[10], action="next", csrf_token=csrf_token(page))


def submit_together(submissions: list[tuple[Resident, dict]]) -> list[int]:
    barrier = threading.Barrier(len(submissions))
    statuses: list[int] = []

    def submit(resident: Resident, data: dict) -> None:
        barrier.wait()
        response = resident.client.post("/s/kassel-2026/page/10", data=data)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=pair) for pair in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_fifty_residents_submitting_at_the_same_moment_are_all_stored(app, survey):
    submissions = [ready_to_submit(app) for _ in range(RESIDENTS)]
    statuses = submit_together(submissions)
    assert statuses == [302] * RESIDENTS
    assert count(app, Response) == RESIDENTS
    assert count(app, ResponseDraft) == 0


def test_the_same_draft_submitted_from_two_tabs_at_once_is_stored_once(app, survey):
    rounds = 3  # a few rounds, so that the race is really run
    for _ in range(rounds):
        resident, data = ready_to_submit(app)
        twin = Resident(app.test_client())
        twin.key = resident.key
        statuses = submit_together([(resident, data), (twin, data)])
        assert statuses == [302, 302]  # both tabs end on the thank-you page
    assert count(app, Response) == rounds
