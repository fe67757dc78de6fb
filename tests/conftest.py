"""Fixtures: a fresh database per test session (SQLite file, or a new PostgreSQL
database when TEST_DATABASE_URL is set), emptied after every test; the shared demo for
tests marked `reads_demo`; accounts and logged-in clients; the markers `browser` and
`pdf` (`make test-fast` leaves both out)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app.demo import load_demo
from app.extensions import db
from app.models import Survey

from .databases import SharedDemo, close_app, empty, new_app, new_database
from .staff import ACCOUNT_OF_ROLE, ACCOUNTS, login, make_users

BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser runs in Chromium: marked `browser`."""
    for item in items:
        if BROWSER_TESTS in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def pdf_tests_are_marked(request: pytest.FixtureRequest,
                         monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test that renders a PDF (WeasyPrint) or exports a chart (kaleido) without the
    `pdf` mark fails, so that `make test-fast` really leaves out the slow renderers."""
    if request.node.get_closest_marker("pdf"):
        yield
        return
    import reports.pdf
    import reports.pool
    import reports.svg

    rendered: list[str] = []

    def noting(name: str, render: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            rendered.append(name)
            return render(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(reports.pdf, "HTML", noting("a PDF", reports.pdf.HTML))
    monkeypatch.setattr(reports.svg.ChartServer, "draw",
                        noting("a chart", reports.svg.ChartServer.draw))
    # A pack of reports is laid out in other processes, out of sight of the two above.
    monkeypatch.setattr(reports.pool, "ProcessPoolExecutor",
                        noting("a report pack", reports.pool.ProcessPoolExecutor))
    yield
    assert not rendered, f"the test rendered {rendered[0]}: mark it @pytest.mark.pdf"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with new_database(tmp_path_factory.mktemp("db"), "test") as url:
        yield url


@pytest.fixture(scope="session")
def shared_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDemo]:
    """The demo with the accounts, built once per session for tests marked `reads_demo`;
    still as built at the end (each test is checked on its own, too)."""
    directory = tmp_path_factory.mktemp("demo")
    with new_database(directory, "demo") as url:
        demo = SharedDemo(url, directory / "instance")
        demo.build()
        yield demo
        changes = demo.changes()
        demo.close()
        assert not changes, f"the shared demo database was written to: {changes}"


@pytest.fixture
def is_postgresql(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def app(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
        tmp_path) -> Iterator[Flask]:
    """The app on this session's test database, emptied after the test; for a test
    marked `reads_demo`, on the shared demo, which the test must leave as it was."""
    if request.node.get_closest_marker("reads_demo"):
        yield from _demo_app(request.getfixturevalue("shared_demo"), request, monkeypatch,
                             tmp_path)
        return
    app = new_app(request.getfixturevalue("database_url"), tmp_path / "instance", monkeypatch)
    yield app
    empty(app)
    close_app(app)


def _demo_app(demo: SharedDemo, request: pytest.FixtureRequest,
              monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[Flask]:
    app = new_app(demo.url, tmp_path / "instance", monkeypatch)
    yield app
    close_app(app)
    changes = demo.changes()
    if changes:
        demo.build()  # the next tests read the demo as built again
        pytest.fail(f"{request.node.nodeid} is marked reads_demo but wrote to the shared "
                    f"demo database: {changes}", pytrace=False)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def survey(app: Flask) -> Survey:
    """The demo survey kassel-2026 (standard questionnaire, open), without responses
    (with the shared demo's responses under `reads_demo`)."""
    with app.app_context():
        load_demo(db.session, responses=0)
        return db.session.query(Survey).filter_by(slug="kassel-2026").one()


@pytest.fixture
def accounts(request: pytest.FixtureRequest, app: Flask, survey: Survey) -> dict[str, str]:
    """The accounts of tests/staff.py (Kassel and Fulda; admin, staff, police), as
    {e-mail: role}; all have the password staff.PASSWORD."""
    if not request.node.get_closest_marker("reads_demo"):  # the shared demo has them
        make_users(app)
    return {email: role for email, role, _municipalities in ACCOUNTS}


@pytest.fixture
def logged_in(client: FlaskClient, accounts: dict[str, str]) -> Callable[..., FlaskClient]:
    """``logged_in("staff")`` (admin, staff, police of Kassel) or
    ``logged_in("staff@fulda.de")``: the test's client, logged in as that account
    (or ``logged_in(who, other_client)``: that client)."""
    def log_in(who: str, on: FlaskClient | None = None) -> FlaskClient:
        email = ACCOUNT_OF_ROLE.get(who, who)
        target = client if on is None else on
        response = login(target, email)
        assert response.status_code == 302, f"{email} could not log in"
        return target
    return log_in


@pytest.fixture
def make_codes(app: Flask, survey: Survey):
    """``make_codes(n)``: the demo survey taken to invitation codes, and ``n`` new codes
    for its first district, in plain text."""
    from app.survey.service import new_codes

    def make(count: int) -> list[str]:
        with app.app_context():
            coded = db.session.get(Survey, survey.id)
            coded.access_mode = "codes"
            district = coded.municipality.districts[0]
            plain = new_codes(db.session, coded, count, district_id=district.id)
            db.session.commit()
            return plain
    return make
