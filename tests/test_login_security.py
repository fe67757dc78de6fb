"""Login and sessions against an attacker: rate limits, no account enumeration, an atomic
lock-out, sessions that end everywhere, an absolute session lifetime, same-site `next`."""
from __future__ import annotations

import logging
import re
import threading
import uuid

import pytest
from sqlalchemy import event, select

from app import create_app
from app.auth import service
from app.config import ConfigError, load_config
from app.extensions import db
from app.models import User, as_utc, utc_now

from .resident import STANDARD_ANSWERS, Resident, csrf_token
from .staff import PASSWORD, form_token, login

REDIS = "redis://127.0.0.1:6379/0"


def login_from(client, address: str, email: str, password: str = "falsch"):
    """A login POST as if from ``address``."""
    client.environ_base["REMOTE_ADDR"] = address
    return login(client, email, password)


def user(app, email: str) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


# --- rate limits ------------------------------------------------------------------

def assert_limited(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Zu viele Versuche in kurzer Zeit. Bitte warten Sie" in html
    assert int(response.headers["Retry-After"]) >= 60
    assert "Traceback" not in html


def test_login_is_limited_per_address(app, client, accounts):
    app.config["RATELIMIT_LOGIN_PER_IP"] = "3 per minute"
    for email in ("a@kassel.de", "b@kassel.de", "c@kassel.de"):
        assert login_from(client, "198.51.100.7", email).status_code == 401
    assert_limited(login_from(client, "198.51.100.7", "staff@kassel.de", PASSWORD))
    assert login_from(client, "198.51.100.8", "staff@kassel.de", PASSWORD).status_code == 302


def test_login_is_limited_per_account_typed_known_or_not(app, client, accounts):
    app.config["RATELIMIT_LOGIN_PER_ACCOUNT"] = "2 per minute"
    for email in ("staff@kassel.de", "niemand@kassel.de"):
        for number in range(2):
            assert login_from(client, f"198.51.100.{number}", email).status_code == 401
        # The same answer for an account that exists and one that does not.
        assert_limited(login_from(client, "198.51.100.9", email.upper(), PASSWORD))
    assert login_from(client, "198.51.100.9", "police@kassel.de", PASSWORD).status_code == 302


def test_password_change_is_limited_per_account(app, client, logged_in):
    app.config["RATELIMIT_PASSWORD_PER_ACCOUNT"] = "2 per minute"
    logged_in("staff")
    token = form_token(client, "/account/password")
    data = {"current": "geraten-1234", "new": "x" * 12, "repeat": "x" * 12,
            "csrf_token": token}
    for _ in range(2):
        assert client.post("/account/password", data=data).status_code == 422
    assert_limited(client.post("/account/password", data=dict(data, current=PASSWORD)))
    assert check_password(app, "staff@kassel.de", PASSWORD)  # nothing was changed


def check_password(app, email: str, password: str) -> bool:
    from werkzeug.security import check_password_hash
    return check_password_hash(user(app, email).password_hash, password)


@pytest.fixture
def codes(make_codes) -> list[str]:
    return make_codes(2)


def test_code_entry_is_limited_per_address_and_per_code(app, codes):
    app.config["RATELIMIT_CODE_PER_IP"] = "3 per minute"
    app.config["RATELIMIT_CODE_PER_CODE"] = "2 per minute"
    guesser = Resident(app.test_client())
    for guess in ("ABCD-EFGH-JKMN", "ABCD-EFGH-JKMP", "ABCD-EFGH-JKMQ"):
        assert guesser.start(code=guess).status_code == 403
    assert_limited(guesser.start(code=codes[0]))
    # Another address: its own count; one code typed often is limited on its own.
    for number in range(2):
        other = Resident(app.test_client())
        other.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"
        assert other.start(code=codes[1].lower()).status_code == 302
    third = Resident(app.test_client())
    third.client.environ_base["REMOTE_ADDR"] = "198.51.100.77"
    assert_limited(third.start(code=codes[1]))
    assert third.start(code=codes[0]).status_code == 302


def test_resident_pages_and_open_link_starts_are_never_limited(app, survey):
    app.config["RATELIMIT_CODE_PER_IP"] = "1 per minute"
    app.config["RATELIMIT_CODE_PER_CODE"] = "1 per minute"
    for _ in range(3):
        resident = Resident(app.test_client())
        assert resident.start().status_code == 302
        for _ in range(3):
            assert resident.page(1).status_code == 200
            assert resident.post(1, STANDARD_ANSWERS[1]).status_code == 302


def test_the_limit_page_speaks_the_residents_language(app, codes):
    app.config["RATELIMIT_CODE_PER_IP"] = "1 per minute"
    resident = Resident(app.test_client())
    resident.client.get("/s/kassel-2026?lang=en")
    resident.start(code="ABCD-EFGH-JKMN")
    response = resident.start(code="ABCD-EFGH-JKMN")
    assert response.status_code == 429
    assert "Too many attempts in a short time. Please wait" in response.get_data(as_text=True)


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(app, client, accounts):
    app.config.update(RATELIMIT_LOGIN_PER_IP="2 per minute", TRUSTED_PROXIES=1)
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"  # the proxy, for everyone
    for email in ("a@kassel.de", "b@kassel.de"):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.5"
        assert login(client, email).status_code == 401
    # A client's own X-Forwarded-For entry (left of the proxy's) changes nothing.
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "10.9.9.9, 203.0.113.5"
    assert_limited(login(client, "c@kassel.de"))
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.6"
    assert login(client, "staff@kassel.de", PASSWORD).status_code == 302


def test_an_ipv6_client_counts_as_its_network(app, client, accounts):
    app.config["RATELIMIT_LOGIN_PER_IP"] = "2 per minute"
    for host in ("1", "2"):
        assert login_from(client, f"2001:db8:1:2::{host}", "a@kassel.de").status_code == 401
    assert_limited(login_from(client, "2001:db8:1:2:ffff::3", "staff@kassel.de", PASSWORD))
    assert login_from(client, "2001:db8:1:3::1", "staff@kassel.de", PASSWORD).status_code == 302


def redis_reachable() -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def make_app(monkeypatch, tmp_path, database_url):
    """More app instances on the test database, as further worker processes would be."""
    made = []

    def make(**env: str):
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("SECRET_KEY", "test-secret-key")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        made.append(create_app({"TESTING": True},
                               instance_path=str(tmp_path / f"instance-{len(made)}")))
        return made[-1]

    yield make
    for other in made:
        other.extensions["database_engine"].dispose()
        other.extensions["draft_store"].close()
        other.extensions["draft_engine"].dispose()


@pytest.mark.skipif(not redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_with_redis_every_worker_counts_together(accounts, make_app):
    network = uuid.uuid4().hex  # keys of their own in a shared Redis
    address = f"2001:db8:{network[:4]}:{network[4:8]}::1"
    worker = make_app(REDIS_URL=REDIS, RATELIMIT_LOGIN_PER_IP="2 per minute")
    assert worker.config["RATELIMIT_STORAGE_URI"] == REDIS
    for email in ("a@kassel.de", "b@kassel.de"):
        assert login_from(worker.test_client(), address, email).status_code == 401
    # Another worker process starts with nothing in memory: the count is in Redis.
    other = make_app(REDIS_URL=REDIS, RATELIMIT_LOGIN_PER_IP="2 per minute")
    assert_limited(login_from(other.test_client(), address, "staff@kassel.de", PASSWORD))


def test_a_redis_that_is_down_does_not_stop_logins(accounts, make_app, caplog):
    down = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
                    RATELIMIT_LOGIN_PER_IP="2 per minute")
    client = down.test_client()
    with caplog.at_level(logging.WARNING):
        assert login(client, "a@kassel.de").status_code == 401
    assert "falling back to in-memory storage" in caplog.text
    assert login(client, "staff@kassel.de", PASSWORD).status_code == 302
    assert_limited(login(client, "staff@kassel.de", PASSWORD))  # still counted, in memory


def test_configuration_from_the_environment(monkeypatch, tmp_path):
    for name in ("RATELIMIT_STORAGE_URI", "REDIS_URL", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/2")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/2"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memcached://cache:11211")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memcached://cache:11211"
    monkeypatch.setenv("RATELIMIT_LOGIN_PER_IP", "zehn pro Minute")
    with pytest.raises(ConfigError, match="RATELIMIT_LOGIN_PER_IP: 'zehn pro Minute'"):
        load_config(str(tmp_path))
    monkeypatch.delenv("RATELIMIT_LOGIN_PER_IP")
    monkeypatch.setenv("SESSION_MAX_HOURS", "zwölf")
    with pytest.raises(ConfigError, match="SESSION_MAX_HOURS must be a number"):
        load_config(str(tmp_path))


def test_production_without_redis_says_so(make_app, monkeypatch, caplog):
    for name in ("RATELIMIT_STORAGE_URI", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING):
        make_app(APP_ENV="production")
    assert "Rate limits are counted in each worker's memory" in caplog.text


# --- no account enumeration ---------------------------------------------------------

def failure_page(response, email: str) -> str:
    html = response.get_data(as_text=True).replace(email, "EMAIL")
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def lock(client, email: str) -> None:
    for number in range(service.MAX_FAILED_LOGINS):
        login_from(client, f"198.51.100.{number}", email)
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"


def test_unknown_locked_and_wrong_get_the_same_answer(app, client, accounts):
    lock(client, "police@kassel.de")
    answers = {
        "unknown": login(client, "niemand@kassel.de"),
        "wrong password": login(client, "staff@kassel.de", "falsch"),
        "locked, wrong password": login(client, "police@kassel.de", "falsch"),
        "locked, right password": login(client, "police@kassel.de"),
    }
    emails = {"unknown": "niemand@kassel.de", "wrong password": "staff@kassel.de"}
    pages = {name: (response.status_code,
                    failure_page(response, emails.get(name, "police@kassel.de")))
             for name, response in answers.items()}
    assert len(set(pages.values())) == 1, pages
    status, html = pages["unknown"]
    assert status == 401 and "gesperrt" not in html
    assert "versuchen Sie es nach 15 Minuten noch einmal" in html  # how the owner gets in


def test_unknown_locked_and_wrong_cost_the_same_work(app, client, accounts, monkeypatch):
    """Timing without a stopwatch: the same password hash checks and the same SQL."""
    lock(client, "police@kassel.de")
    hash_checks: list[str] = []
    real_check = service.check_password_hash
    monkeypatch.setattr(service, "check_password_hash",
                        lambda stored, password: hash_checks.append(stored.split("$")[0])
                        or real_check(stored, password))
    engine = app.extensions["database_engine"]

    def work(email: str, password: str = "falsch") -> tuple:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        statements: list[str] = []
        hash_checks.clear()

        def note(_conn, _cursor, statement, *_args) -> None:
            statements.append(" ".join(statement.split()[:3]))

        event.listen(engine, "before_cursor_execute", note)
        try:
            client.post("/login", data={"email": email, "password": password,
                                        "csrf_token": token})
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return tuple(hash_checks), tuple(statements)

    unknown = work("niemand@kassel.de")
    assert unknown[0] == ("scrypt:32768:8:1",)
    assert work("staff@kassel.de") == unknown
    assert work("police@kassel.de") == unknown  # locked
    assert work("police@kassel.de", PASSWORD) == unknown  # locked, right password


# --- the lock-out counter -----------------------------------------------------------

def test_five_concurrent_wrong_logins_lock_the_account(app, accounts, monkeypatch):
    """All five read the counter before any of them writes it: a read-modify-write
    counter ends at 1 and never locks; an UPDATE in the database counts all five."""
    attempts = service.MAX_FAILED_LOGINS
    barrier = threading.Barrier(attempts, timeout=60)
    real_check = service.check_password_hash

    def check_after_everyone_has_read(stored: str, password: str) -> bool:
        barrier.wait()
        return real_check(stored, password)

    clients = [app.test_client() for _ in range(attempts)]
    tokens = [csrf_token(c.get("/login").get_data(as_text=True)) for c in clients]
    monkeypatch.setattr(service, "check_password_hash", check_after_everyone_has_read)
    statuses: list[int] = []

    def attempt(number: int) -> None:
        response = clients[number].post("/login", data={
            "email": "staff@kassel.de", "password": f"falsch-{number}",
            "csrf_token": tokens[number]})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    monkeypatch.setattr(service, "check_password_hash", real_check)
    assert statuses == [401] * attempts
    locked = user(app, "staff@kassel.de")
    assert locked.locked_until is not None and as_utc(locked.locked_until) > utc_now()
    assert login(app.test_client(), "staff@kassel.de").status_code == 401  # right password


def test_failures_interleaved_with_other_accounts_still_lock(app, client, accounts):
    for number in range(service.MAX_FAILED_LOGINS):
        login(client, "staff@kassel.de", f"falsch-{number}")
        login(client, "police@kassel.de", f"falsch-{number}")
        assert login(client, "niemand@kassel.de").status_code == 401
    for email in ("staff@kassel.de", "police@kassel.de"):
        assert login(app.test_client(), email).status_code == 401
    assert login(client, "staff@fulda.de").status_code == 302


# --- sessions -----------------------------------------------------------------------

def is_logged_in(client) -> bool:
    return client.get("/backoffice/").status_code == 200


def test_logout_ends_every_session_of_the_account(app, accounts):
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    for browser, email in ((laptop, "staff@kassel.de"), (phone, "staff@kassel.de"),
                           (colleague, "police@kassel.de")):
        assert login(browser, email).status_code == 302
    stolen = laptop.get_cookie("session").value
    laptop.post("/logout", data={"csrf_token": form_token(laptop)})
    assert not is_logged_in(laptop)
    response = phone.get("/backoffice/")
    assert response.status_code == 302
    assert "Sie wurden abgemeldet" in phone.get(response.headers["Location"]).get_data(
        as_text=True)
    thief = app.test_client()
    thief.set_cookie("session", stolen)  # a copy of the cookie from before the logout
    assert not is_logged_in(thief)
    assert is_logged_in(colleague)  # other accounts go on


def test_password_change_ends_every_other_session(app, logged_in):
    laptop = logged_in("staff", app.test_client())
    phone = logged_in("staff", app.test_client())
    stolen = laptop.get_cookie("session").value
    done = laptop.post("/account/password", data={
        "current": PASSWORD, "new": "neues-passwort!", "repeat": "neues-passwort!",
        "csrf_token": form_token(laptop, "/account/password")})
    assert done.status_code == 302
    assert is_logged_in(laptop)  # the browser that changed it goes on, with a new cookie
    assert not is_logged_in(phone)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert not is_logged_in(thief)


def test_a_session_ends_after_its_absolute_lifetime(app, logged_in):
    app.config["SESSION_MAX_HOURS"] = 12
    client = logged_in("staff")
    with client.session_transaction() as session:
        session["started_at"] -= 11 * 3600
    assert is_logged_in(client)  # active, and younger than 12 hours
    with client.session_transaction() as session:
        session["started_at"] -= 1 * 3600 + 1  # seen a moment ago, but 12 hours old
    response = client.get("/backoffice/")
    assert response.status_code == 302
    assert "Sitzung war abgelaufen" in client.get(response.headers["Location"]).get_data(
        as_text=True)


def test_a_password_change_does_not_extend_the_lifetime(logged_in):
    client = logged_in("staff")
    with client.session_transaction() as session:
        session["started_at"] -= 12 * 3600 - 60
    client.post("/account/password", data={
        "current": PASSWORD, "new": "neues-passwort!", "repeat": "neues-passwort!",
        "csrf_token": form_token(client, "/account/password")})
    with client.session_transaction() as session:
        session["started_at"] -= 61
    assert not is_logged_in(client)


# --- next= --------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "//evil.example/",
    "/\\evil.example", "/%5Cevil.example", "https://evil.example/", "evil.example",
    "%2F%2Fevil.example", "/backoffice/%0d%0aSet-Cookie:%20x=1", "/%00", "/%7f",
    "/%C2%85/evil.example", "%20/backoffice/",
])
def test_login_never_redirects_off_site(client, accounts, target):
    page = client.get(f"/login?next={target}")
    assert page.status_code == 200
    response = client.post(f"/login?next={target}", data={
        "email": "staff@kassel.de", "password": PASSWORD,
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302 and response.headers["Location"] == "/backoffice/"


def test_login_returns_to_a_page_of_this_site(client, accounts):
    page = client.get("/login?next=/dashboard/kassel-2026%3Fd%3D1")
    response = client.post("/login?next=/dashboard/kassel-2026%3Fd%3D1", data={
        "email": "staff@kassel.de", "password": PASSWORD,
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.headers["Location"] == "/dashboard/kassel-2026?d=1"
