"""Load test: complete resident responses against the survey app under gunicorn.

What it measures, per database (SQLite and/or PostgreSQL):

1. A fresh database of its own (SQLite: a temp file; PostgreSQL: a new database
   ``bench_<random>``, dropped at the end, also on error), prepared with the app's CLI
   (``flask --app app db upgrade`` and ``flask --app app demo --responses 0``, which
   creates the open survey ``kassel-2026``).
2. ``hello_rps``: a bare Flask hello-world app (bench/hello_app.py) under the same
   gunicorn settings (2 sync workers, no access log), ``GET /`` from ``--clients``
   concurrent clients.
3. ``page_rps``: the survey app under gunicorn; every client plays residents one after
   another, each with its own cookie jar: start page, "start" POST, then each page GET
   and POST (answers read from the page's HTML: a district, a random offered value per
   radio group, sometimes a number, text mostly empty) until the redirect to the
   thank-you page, which is fetched too. Every HTTP request of that flow counts;
   ``page_rps`` = survey requests / wall seconds, ``p95_ms`` over all of them.
   Before anything is measured, ``--warmup-flows`` complete responses (not counted)
   take both workers through every page once.
4. Both servers run side by side and take turns: ``--rounds`` rounds of hello-world load
   and survey load, ``--seconds`` / ``--rounds`` each, so that a machine whose speed
   drifts during the run (shared cores) weighs on the baseline and the survey alike.
5. ``ratio`` = page_rps / hello_rps; ``submitted`` = completions the driver saw in the
   measured rounds (a redirect to the thank-you page), ``stored`` = online responses the
   database gained in those rounds.

The load is driven from this process (threads with http.client, one connection object
per client; gunicorn's sync workers close every connection, so that means one TCP
connection per request, for the hello app and the survey alike), never from the gunicorn
processes. Floors: ratio >= 0.4, p95 < 50 ms, stored == submitted; HTTP errors are
listed on stderr.

Run from the repository root:

    .venv/bin/python bench/survey_load.py [--db both] [--seconds 20] [--clients 16]
        [--rounds 4] [--warmup-flows 6] [--speedups-off page_html,draft_memory|all]

``--speedups-off`` switches speed-ups of app/survey/hot_path.py off in the survey app
(``all``: RESIDENT_CACHES=off), one run per speed-up to measure what each one buys.

Progress goes to stderr; stdout gets one JSON line per database, last:

    {"db": "sqlite", "hello_rps": ..., "page_rps": ..., "ratio": ..., "p95_ms": ...,
     "submitted": ..., "stored": ..., <extra keys>}

Extra keys after those: clients, seconds, rounds, workers, worker_class, speedups_off,
errors (HTTP/connection errors of both kinds of load), page_requests, hello_requests,
p50_ms, hello_p95_ms, and CPU milliseconds per request of the gunicorn processes
(``*_server_cpu_ms``, from /proc; PostgreSQL's own backends are not included) and of
this driver (``*_driver_cpu_ms``).
On a machine whose cores are shared, the CPU figures are steadier than the rates.

Sync workers are the default on purpose: with a keep-alive worker class (gthread) the
hello app gains far more than the survey (connection set-up is most of its cost), so the
ratio only gets worse. ``--workers``, ``--worker-class`` and ``--app-spec`` (another
gunicorn app, e.g. a patched variant) exist for such experiments.

Exit status: 0 when every floor is met without errors, 1 when a floor is missed or a
request failed, 2 when a run could not be done at all. PostgreSQL is reached at
``--pg-url`` (default postgresql+psycopg://postgres@127.0.0.1:5432/, trust auth; the
admin connection uses the database ``postgres``).
"""
from __future__ import annotations

import argparse
import html
import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent  # gunicorn and flask next to this Python
SLUG = "kassel-2026"
START_PATH = f"/s/{SLUG}"
THANKS_PATH = f"/s/{SLUG}/thanks"
MAX_PAGES = 40  # a flow longer than this is a loop, not a questionnaire

RATIO_FLOOR = 0.4
P95_CEILING_MS = 50.0

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_ACTION_RE = re.compile(r'<form method="post" action="([^"]+)"')
CHOICE_RE = re.compile(r'<input type="(radio|checkbox)"[^>]*name="([^"]+)" value="([^"]*)"')
SELECT_RE = re.compile(r'<select[^>]*?\bname="([^"]+)"[^>]*>(.*?)</select>', re.S)
OPTION_RE = re.compile(r'<option value="([^"]+)"')
TEXT_INPUT_RE = re.compile(r'<input [^>]*type="text"[^>]*name="([^"]+)"')
TEXTAREA_RE = re.compile(r'<textarea[^>]*?\bname="([^"]+)"')
FIELD_ERROR_RE = re.compile(r'class="error-message" id="e-([^"]+)"')

PLACES = ("Am Bahnhof nach 22 Uhr.", "Unterführung am Park, schlecht beleuchtet.",
          "Haltestelle vor dem Einkaufszentrum.")


def log(message: str) -> None:
    print(f"[survey_load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- HTTP client ----------------------------------------------------------------------

class Client:
    """One http.client connection object per simulated client, reused where the server
    keeps the connection open (gunicorn sync workers never do: then it reconnects)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, body: str | None = None,
                cookie: str | None = None):
        """(status, response, body bytes, seconds) of one request."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookie:
            headers["Cookie"] = cookie
        for attempt in (0, 1):
            reused = self.conn.sock is not None
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body, headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if reused and attempt == 0:  # a kept-alive connection the server closed
                    continue
                raise
            except Exception:
                self.conn.close()
                raise
            return response.status, response, data, time.perf_counter() - started
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


# --- statistics -------------------------------------------------------------------------

@dataclass
class Stats:
    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    submitted: int = 0
    flows_started: int = 0

    def add(self, other: Stats) -> None:
        self.requests += other.requests
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        self.submitted += other.submitted
        self.flows_started += other.flows_started


class ErrorLog:
    """Errors go to stderr as they happen (the first ``limit`` in full)."""

    def __init__(self, limit: int = 25) -> None:
        self.limit = limit
        self.count = 0
        self.lock = threading.Lock()

    def report(self, message: str) -> None:
        with self.lock:
            self.count += 1
            if self.count <= self.limit:
                log(f"ERROR {message}")
            elif self.count == self.limit + 1:
                log("ERROR (further errors are only counted)")


class Stop(Exception):
    """The phase's time is up."""


class FlowFailed(Exception):
    """This resident's flow cannot go on (already reported)."""


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


# --- the resident ----------------------------------------------------------------------

def page_answers(page: str, rng: random.Random) -> list[tuple[str, str]]:
    """The form a resident would post for this page (without csrf_token and action)."""
    form: list[tuple[str, str]] = []
    for name, options in SELECT_RE.findall(page):
        values = OPTION_RE.findall(options)
        if values:
            form.append((name, html.unescape(rng.choice(values))))
    radios: dict[str, list[str]] = {}
    for kind, name, value in CHOICE_RE.findall(page):
        if kind == "radio":
            radios.setdefault(name, []).append(html.unescape(value))
        elif rng.random() < 0.3:  # checkbox: tick some
            form.append((name, html.unescape(value)))
    form.extend((name, rng.choice(values)) for name, values in radios.items())
    for name in TEXT_INPUT_RE.findall(page):  # the integer questions
        form.append((name, str(rng.randint(0, 60)) if rng.random() < 0.5 else ""))
    for name in TEXTAREA_RE.findall(page):
        form.append((name, rng.choice(PLACES) if rng.random() < 0.1 else ""))
    return form


class Resident:
    """One simulated resident: a cookie jar and the survey flow from start to thanks."""

    def __init__(self, client: Client, stats: Stats, errors: ErrorLog, rng: random.Random,
                 deadline: float) -> None:
        self.client, self.stats, self.errors, self.rng = client, stats, errors, rng
        self.deadline = deadline
        self.cookies: dict[str, str] = {}

    def _remember_cookies(self, response) -> None:
        for header in response.msg.get_all("Set-Cookie") or ():
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            lowered = attributes.lower()
            if not value or "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def go(self, method: str, path: str, form: list[tuple[str, str]] | None = None):
        if time.monotonic() >= self.deadline:
            raise Stop
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = urlencode(form) if form is not None else None
        try:
            status, response, data, seconds = self.client.request(method, path, body, cookie)
        except (OSError, http.client.HTTPException) as error:
            self.stats.errors += 1
            self.errors.report(f"{method} {path}: {type(error).__name__}: {error}")
            raise FlowFailed from error
        self.stats.requests += 1
        self.stats.latencies.append(seconds)
        self._remember_cookies(response)
        text = data.decode("utf-8", "replace")
        if not 200 <= status < 400:
            self.stats.errors += 1
            detail = ""
            if status == 422:
                detail = f" invalid fields {FIELD_ERROR_RE.findall(text)} posted {form}"
            self.errors.report(f"{method} {path} -> {status}{detail}")
            raise FlowFailed
        return status, response, text

    def _redirect(self, method: str, path: str, status: int, response) -> str:
        location = response.getheader("Location")
        if status not in (301, 302, 303) or not location:
            self.stats.errors += 1
            self.errors.report(f"{method} {path} -> {status}, expected a redirect")
            raise FlowFailed
        parts = urlsplit(location)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _csrf(self, path: str, page: str) -> str:
        match = CSRF_RE.search(page)
        if not match:
            self.stats.errors += 1
            self.errors.report(f"GET {path}: no csrf_token in the page")
            raise FlowFailed
        return html.unescape(match.group(1))

    def run(self) -> None:
        self.stats.flows_started += 1
        _, _, page = self.go("GET", START_PATH)
        token = self._csrf(START_PATH, page)
        path = f"{START_PATH}/start"
        status, response, _ = self.go("POST", path, [("csrf_token", token)])
        location = self._redirect("POST", path, status, response)
        for _ in range(MAX_PAGES):
            if urlsplit(location).path == THANKS_PATH:
                break
            _, _, page = self.go("GET", location)
            token = self._csrf(location, page)
            action = FORM_ACTION_RE.search(page)
            target = html.unescape(action.group(1)) if action else location
            form = [("csrf_token", token)] + page_answers(page, self.rng) + [("action", "next")]
            status, response, _ = self.go("POST", target, form)
            location = self._redirect("POST", target, status, response)
        else:
            self.stats.errors += 1
            self.errors.report(f"no thank-you page after {MAX_PAGES} pages (at {location})")
            raise FlowFailed
        if "already=1" in location:
            self.stats.errors += 1
            self.errors.report("the last POST was answered as an earlier submission")
        else:
            self.stats.submitted += 1
        self.go("GET", location)


# --- phases -----------------------------------------------------------------------------

def run_phase(port: int, clients: int, seconds: float, kind: str, errors: ErrorLog
              ) -> tuple[list[Stats], float]:
    """``clients`` threads for ``seconds``; each returns its Stats. Also the wall time."""
    results = [Stats() for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def hello_loop(client: Client, stats: Stats, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                status, _response, data, elapsed = client.request("GET", "/")
            except (OSError, http.client.HTTPException) as error:
                stats.errors += 1
                errors.report(f"hello GET /: {type(error).__name__}: {error}")
                continue
            stats.requests += 1
            stats.latencies.append(elapsed)
            if status != 200 or not data.startswith(b"Hello"):
                stats.errors += 1
                errors.report(f"hello GET / -> {status}")

    def survey_loop(client: Client, stats: Stats, deadline: float, rng: random.Random) -> None:
        while time.monotonic() < deadline:
            try:
                Resident(client, stats, errors, rng, deadline).run()
            except Stop:
                return
            except FlowFailed:
                continue

    def worker(index: int) -> None:
        client = Client(port)
        rng = random.Random(index * 7919 + 17)
        barrier.wait()
        try:
            if kind == "hello":
                hello_loop(client, results[index], deadline_box[0])
            else:
                survey_loop(client, results[index], deadline_box[0], rng)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(index,), daemon=True)
               for index in range(clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    deadline_box.append(started + seconds)
    barrier.wait()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


# --- servers and databases -------------------------------------------------------------

def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """A gunicorn master we started (and stop again, by its pid)."""

    def __init__(self, app_spec: str, env: dict[str, str], workdir: Path, log_path: Path,
                 workers: int, worker_class: str, extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.log_path = log_path
        command = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-k", worker_class,
                   "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
                   *(extra or []), app_spec]
        self.log_file = open(log_path, "ab")
        self.process = subprocess.Popen(command, cwd=workdir, env=env, stdout=self.log_file,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log(f"gunicorn pid {self.process.pid} on port {self.port}: {app_spec} "
            f"({workers} x {worker_class})")

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        """Until ``path`` answers 200; then a few more requests so both workers are up."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                status, *_ = Client(self.port, timeout=5).request("GET", path)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer {path} within {timeout} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.1)
        for _ in range(8):  # warm both workers (imports, connections, caches); no writes
            Client(self.port, timeout=10).request("GET", path)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the master and its live workers so far (Linux /proc;
        NaN elsewhere)."""
        try:
            pids = [self.process.pid] + [int(pid) for pid in Path(
                f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()]
            return sum(process_cpu_seconds(pid) for pid in pids)
        except (OSError, ValueError):
            return float("nan")

    def log_tail(self, lines: int = 30) -> str:
        self.log_file.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log(f"gunicorn pid {self.process.pid} did not stop on SIGTERM: killing it")
                self.process.kill()
                self.process.wait()
        self.log_file.close()


class Database:
    """A fresh database for one run; ``url`` is the app's DATABASE_URL."""

    def __init__(self, kind: str, workdir: Path, pg_url: str) -> None:
        self.kind = kind
        self.pg_url = pg_url.rstrip("/") + "/"
        self.name: str | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            self.name = f"bench_{secrets.token_hex(6)}"
            with self._admin() as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = self.pg_url + self.name
        log(f"{kind}: fresh database {self.url}")

    def _admin(self):
        import psycopg

        conninfo = self.pg_url.replace("postgresql+psycopg://", "postgresql://") + "postgres"
        return psycopg.connect(conninfo, autocommit=True)

    def count_stored(self) -> int:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(
                    "SELECT count(*) FROM response JOIN survey ON survey.id = response.survey_id"
                    " WHERE survey.slug = :slug AND response.source = 'online'"),
                    {"slug": SLUG}).scalar_one()
        finally:
            engine.dispose()

    def drop(self) -> None:
        if self.kind == "postgresql" and self.name:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            log(f"dropped database {self.name}")


def flask_cli(env: dict[str, str], *args: str) -> None:
    command = [str(VENV_BIN / "flask"), "--app", "app", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed ({done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")
    log(f"flask {' '.join(args)}: {done.stdout.strip().splitlines()[-1]}")


# --- one database ----------------------------------------------------------------------

def per_request_ms(seconds: float, requests: int) -> float:
    return seconds * 1000 / requests if requests else float("nan")


def rounded(value: float | None, digits: int) -> float | None:
    """For JSON: NaN/inf (nothing measured) become null."""
    return round(value, digits) if value is not None and math.isfinite(value) else None


@dataclass
class Phase(Stats):
    """One kind of load (``kind``, on ``server``), summed over its rounds and clients."""

    kind: str = ""
    server: Gunicorn | None = None
    wall: float = 0.0
    server_cpu: float = 0.0
    driver_cpu: float = 0.0
    error_log: ErrorLog = field(default_factory=ErrorLog)

    def run(self, clients: int, seconds: float) -> None:
        server_cpu, driver_cpu = self.server.cpu_seconds(), time.process_time()
        results, wall = run_phase(self.server.port, clients, seconds, self.kind,
                                   self.error_log)
        self.server_cpu += self.server.cpu_seconds() - server_cpu
        self.driver_cpu += time.process_time() - driver_cpu
        self.wall += wall
        for stats in results:
            self.add(stats)

    @property
    def rps(self) -> float:
        return self.requests / self.wall if self.wall else float("nan")

    def cpu_ms(self, seconds: float) -> float:
        return per_request_ms(seconds, self.requests)


def warm_survey(port: int, flows: int) -> None:
    """Complete ``flows`` responses one after another, so that both workers have met
    every page (templates compiled, statements prepared) before anything is measured."""
    stats, errors = Stats(), ErrorLog()
    client = Client(port)
    try:
        for index in range(flows):
            Resident(client, stats, errors, random.Random(index), math.inf).run()
    finally:
        client.close()
    if stats.errors:
        raise RuntimeError(f"the warm-up flows failed ({stats.errors} errors, see above)")


def run_database(kind: str, args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"survey-bench-{kind}-"))
    database = None
    servers: list[Gunicorn] = []
    try:
        database = Database(kind, workdir, args.pg_url)
        env = dict(os.environ)
        env.update(DATABASE_URL=database.url, SECRET_KEY=secrets.token_hex(32))
        env.pop("FLASK_DEBUG", None)
        # One measurement per speed-up switched off (app/survey/hot_path.py).
        env["RESIDENT_SPEEDUPS_OFF"] = args.speedups_off
        env["RESIDENT_CACHES"] = "off" if args.speedups_off == "all" else "on"
        if args.speedups_off == "all":
            env["RESIDENT_SPEEDUPS_OFF"] = ""
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "demo", "--responses", "0")

        # Both servers run side by side; only one of them gets load at any time.
        hello = Gunicorn("hello_app:app", env, ROOT / "bench", workdir / "hello.log",
                         args.workers, args.worker_class)
        servers.append(hello)
        survey = Gunicorn(args.app_spec, env, ROOT, workdir / "survey.log",
                          args.workers, args.worker_class)
        servers.append(survey)
        hello.wait_ready("/")
        survey.wait_ready(START_PATH)
        warm_survey(survey.port, args.warmup_flows)
        stored_before = database.count_stored()

        # Rounds of hello-world and survey load in turn: a machine whose speed drifts
        # (shared cores) then weighs on both alike.
        baseline, load = Phase(kind="hello", server=hello), Phase(kind="survey", server=survey)
        slice_seconds = args.seconds / args.rounds
        log(f"{kind}: {args.rounds} rounds of {slice_seconds:g} s hello world and "
            f"{slice_seconds:g} s survey, {args.clients} clients")
        for _ in range(args.rounds):
            baseline.run(args.clients, slice_seconds)
            load.run(args.clients, slice_seconds)
        for server in (hello, survey):
            server.stop()
            servers.remove(server)
        stored = database.count_stored() - stored_before
        p95_ms = percentile(load.latencies, 0.95) * 1000
        log(f"{kind}: hello {baseline.requests} requests in {baseline.wall:.1f} s = "
            f"{baseline.rps:.0f}/s, p95 {percentile(baseline.latencies, 0.95) * 1000:.1f} ms, "
            f"{baseline.errors} errors; CPU per request: server "
            f"{baseline.cpu_ms(baseline.server_cpu):.2f} ms, driver "
            f"{baseline.cpu_ms(baseline.driver_cpu):.2f} ms")
        log(f"{kind}: survey {load.requests} requests in {load.wall:.1f} s = "
            f"{load.rps:.0f}/s, p50 {percentile(load.latencies, 0.5) * 1000:.1f} ms, "
            f"p95 {p95_ms:.1f} ms, {load.flows_started} flows started, {load.submitted} submitted, "
            f"{stored} stored, {load.errors} errors; CPU per request: server "
            f"{load.cpu_ms(load.server_cpu):.2f} ms, driver "
            f"{load.cpu_ms(load.driver_cpu):.2f} ms")
        return {
            "db": kind,
            "hello_rps": round(baseline.rps, 1),
            "page_rps": round(load.rps, 1),
            "ratio": round(load.rps / baseline.rps, 3) if baseline.rps else None,
            "p95_ms": rounded(p95_ms, 1),
            "submitted": load.submitted,
            "stored": stored,
            "clients": args.clients,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "workers": args.workers,
            "worker_class": args.worker_class,
            "speedups_off": args.speedups_off,
            "errors": load.errors + baseline.errors,
            "page_requests": load.requests,
            "hello_requests": baseline.requests,
            "p50_ms": rounded(percentile(load.latencies, 0.5) * 1000, 1),
            "hello_p95_ms": rounded(percentile(baseline.latencies, 0.95) * 1000, 1),
            "page_server_cpu_ms": rounded(load.cpu_ms(load.server_cpu), 3),
            "hello_server_cpu_ms": rounded(baseline.cpu_ms(baseline.server_cpu), 3),
            "page_driver_cpu_ms": rounded(load.cpu_ms(load.driver_cpu), 3),
            "hello_driver_cpu_ms": rounded(baseline.cpu_ms(baseline.driver_cpu), 3),
        }
    finally:
        for server in servers:
            server.stop()
        if database is not None:
            try:
                database.drop()
            except Exception as error:  # keep the original error, if any
                log(f"could not drop database {database.name}: {error}")
        shutil.rmtree(workdir, ignore_errors=True)


def floors_met(result: dict) -> bool:
    problems = []
    if result["ratio"] is None or result["ratio"] < RATIO_FLOOR:
        problems.append(f"ratio {result['ratio']} < {RATIO_FLOOR}")
    if result["p95_ms"] is None or not result["p95_ms"] < P95_CEILING_MS:
        problems.append(f"p95 {result['p95_ms']} ms >= {P95_CEILING_MS:g} ms")
    if result["stored"] != result["submitted"]:
        problems.append(f"stored {result['stored']} != submitted {result['submitted']}")
    if result["errors"]:
        problems.append(f"{result['errors']} request errors")
    for problem in problems:
        log(f"{result['db']}: FLOOR MISSED: {problem}")
    return not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="measured seconds per kind of load, over all rounds (20)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="hello-world and survey load take turns this often (4)")
    parser.add_argument("--warmup-flows", type=int, default=6,
                        help="complete responses before measuring, not counted (6)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync)")
    parser.add_argument("--app-spec", default="app:create_app()",
                        help="gunicorn app of the survey (default app:create_app())")
    parser.add_argument("--speedups-off", default="",
                        help="speed-ups of app/survey/hot_path.py to switch off, comma-"
                        "separated, or 'all' (none)")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/",
                        help="PostgreSQL server URL without a database name")
    args = parser.parse_args(argv)
    # Threads waiting for a response should get the GIL back quickly: less driver noise
    # in the measured latencies.
    sys.setswitchinterval(0.001)

    # SIGTERM (e.g. from a CI timeout) should still stop gunicorn and drop the database.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))

    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results, failed = [], False
    for kind in kinds:
        try:
            results.append(run_database(kind, args))
        except Exception as error:
            failed = True
            log(f"{kind}: RUN FAILED: {type(error).__name__}: {error}")
    all_met = all([floors_met(result) for result in results])
    for result in results:
        print(json.dumps(result), flush=True)
    if failed:
        return 2
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
