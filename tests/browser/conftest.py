"""Browser fixtures: Debian's chromium driven by playwright against a live server.

Pages run under exactly the headers production sends (no CSP bypass), and every
test fails on a console error, an uncaught script error or a CSP violation on any of
its pages: that is how a broken dashboard under the real CSP once passed unnoticed.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (Browser, ConsoleMessage, Page, Response, expect,
                                sync_playwright)
from werkzeug.serving import make_server

from app.security import HEADERS

from ..staff import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}  # the most common laptop screen
# Reported by the page itself, so that a violation cannot pass as a mere warning.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", event =>
  window.reportViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
                         + ` at ${event.sourceFile}:${event.lineNumber}`));"""

_pages: list[Page] = []
# Waiting, not timing: the first plotly chart of a session can take longer than
# playwright's default 5 s on a 2-core machine that also runs a database and the app.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(autouse=True)
def no_browser_errors() -> Iterator[None]:
    """Fails the test on any console error, page error or CSP violation of its pages."""
    _pages.clear()
    yield
    problems = [problem for page in _pages for problem in page_problems(page)]
    for page in _pages:
        page.context.close()
    _pages.clear()
    assert problems == [], "the browser reported errors:\n" + "\n".join(problems)


def new_page(browser: Browser, viewport: dict, base_url: str,
             javascript: bool = True) -> Page:
    """A page in a fresh context, under the app's own headers (CSP included)."""
    context = browser.new_context(viewport=viewport, base_url=base_url, locale="de-DE",
                                  java_script_enabled=javascript)
    requests: list[str] = []
    problems: list[str] = []
    failed_documents: set[str] = set()
    context.on("request", lambda request: requests.append(request.url))
    context.on("response", lambda response: _check_document(response, problems,
                                                            failed_documents))
    context.expose_function("reportViolation", lambda text: problems.append(f"CSP: {text}"))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: _record_console(message, problems))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.outside_requests = requests  # checked by tests: nothing but the app itself
    page.problems = problems
    page.failed_documents = failed_documents
    _pages.append(page)
    return page


def page_problems(page: Page) -> list[str]:
    """Problems the browser reported, without the load error of a page that a test
    opened on purpose to see its 403 or 404 (the page itself is what the user sees)."""
    return [problem for problem in page.problems
            if not any(problem == f"console: Failed to load resource: {url}"
                       for url in page.failed_documents)]


def _record_console(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type != "error":
        return
    text = message.text
    if text.startswith("Failed to load resource"):
        text = f"Failed to load resource: {message.location.get('url')}"
    problems.append(f"console: {text}")


def _check_document(response: Response, problems: list[str], failed: set[str]) -> None:
    """Every page carries exactly the security headers production sends."""
    if response.request.resource_type != "document":
        return
    if response.status >= 400:
        failed.add(response.url)
    headers = response.headers
    for name, value in HEADERS:
        if headers.get(name.lower()) != value:
            problems.append(f"{response.url}: header {name} is {headers.get(name.lower())!r}, "
                            f"production sends {value!r}")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, email: str) -> None:
    """Log in through the form, as staff do; ends on the back office's overview."""
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
