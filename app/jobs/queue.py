"""Where jobs run. With REDIS_URL: on an RQ queue, worked by a fixed number of worker
processes (``flask --app app jobs worker``) on any machine that shares the database and
Redis. Without it (a fresh machine, SQLite, no Redis): in one thread per web process,
one job at a time, the others waiting in the database."""
from __future__ import annotations

import logging
import threading
import weakref
from datetime import timedelta

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.timeouts import JobTimeoutException

from analysis.indicators import AnalysisError
from analysis.weighting import WeightingError

from ..backoffice.codes import CodesError
from ..extensions import db
from ..models import utc_now
from . import store
from .work import make

log = logging.getLogger(__name__)
# The inline runner looks again this often while jobs remain to be cleaned up.
CLEANUP_INTERVAL_SECONDS = 300


def retention(app: Flask) -> store.Retention:
    config = app.config
    return store.Retention(reports=timedelta(hours=config["JOB_RETENTION_HOURS"]),
                           letters=timedelta(minutes=config["LETTERS_RETENTION_MINUTES"]),
                           timeout=timedelta(minutes=config["JOB_TIMEOUT_MINUTES"]))


def redis_connection(app: Flask) -> Redis:
    """One client (with its connection pool) per app; short timeouts, so that a web
    request never hangs on a Redis that is down."""
    connection = app.extensions.get("job_redis")
    if connection is None:
        connection = app.extensions["job_redis"] = Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=10,
            health_check_interval=30)
    return connection


def job_queue(app: Flask) -> Queue:
    return Queue(app.config["JOB_QUEUE"], connection=redis_connection(app))


def dispatch(app: Flask, job_id: str) -> None:
    """Hand a committed job to the workers. If Redis does not answer, the job waits in
    the database and its status page hands it over again (see ensure_dispatched)."""
    if not app.config["REDIS_URL"]:
        inline_runner(app).wake()
        return
    seconds = int(app.config["JOB_TIMEOUT_MINUTES"] * 60)
    try:
        job_queue(app).enqueue(perform, job_id, job_id=job_id, job_timeout=seconds,
                               result_ttl=0, failure_ttl=24 * 3600,
                               description=f"background job {job_id}")
    except RedisError as error:
        log.warning("job %s waits: Redis does not answer (%s)", job_id, error)


def ensure_dispatched(app: Flask, job_id: str) -> None:
    """For a job still queued in the database: make sure the queue knows it (Redis may
    have restarted and lost it; it keeps nothing on disk by default). A second delivery
    is harmless: only one worker can claim the job."""
    if not app.config["REDIS_URL"]:
        inline_runner(app).wake()
        return
    try:
        known = Job.exists(job_id, connection=redis_connection(app))
    except RedisError:
        return
    if not known:
        dispatch(app, job_id)


def perform(job_id: str) -> None:
    """Run one job (RQ calls this in a worker; the inline runner in a web process), then
    delete what has expired."""
    from .. import create_app  # a worker started by plain `rq worker` has no app yet

    app = current_app._get_current_object() if has_app_context() else create_app()
    with app.app_context():
        run(app, job_id)
        store.clean_up(db.session, retention(app))


def run(app: Flask, job_id: str) -> None:
    """Claim the job, make its file and store it, or record why not."""
    session = db.session
    job = store.claim(session, job_id)
    if job is None:
        return
    kind = job.kind  # read now: after a failed flush the job's attributes are expired
    keep = retention(app).of(kind)
    try:
        file_name, content = make(session, job)
        store.finish(session, job, file_name, content, keep)
        return
    except (AnalysisError, WeightingError) as error:
        message = f"Auswertung nicht möglich: {error}"
    except CodesError as error:
        message = str(error)
    except JobTimeoutException:
        message = (f"Der Auftrag dauerte länger als {app.config['JOB_TIMEOUT_MINUTES']:g} "
                   "Minuten und wurde abgebrochen.")
    except Exception as error:  # noqa: BLE001 - the user is told, the log has the details
        log.exception("job %s (%s) failed", job_id, kind)
        message = f"Fehler bei der Erstellung ({type(error).__name__})."
    session.rollback()  # nothing the job wrote is kept (letters: no codes without letters)
    store.fail(session, job_id, message, keep)


class JobWorker(SimpleWorker):
    """RQ's worker, running the jobs one after the other in its own process instead of
    forking a process per job: the Chromium that draws charts (reports/svg.py) stays up
    from one report to the next. Its maintenance rounds (every few minutes, busy or idle)
    also delete expired jobs, whether or not anyone clicks."""

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            with current_app.app_context():
                store.clean_up(db.session, retention(current_app))
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("cleaning up expired jobs")


def inline_runner(app: Flask) -> InlineRunner:
    runner = app.extensions.get("job_runner")
    if runner is None:
        runner = app.extensions["job_runner"] = InlineRunner(app)
    return runner


class InlineRunner:
    """Without Redis: one thread per web process runs the queued jobs one after the other
    (at most one at a time in this process; any process's runner may take any job), then
    stays while finished jobs wait to be deleted, and ends when there is nothing left."""

    def __init__(self, app: Flask) -> None:
        self._app = weakref.ref(app)  # an app that is gone (tests) ends its runner
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._active = False

    def wake(self) -> None:
        with self._lock:
            self._wakeup.set()
            if self._active:
                return
            self._active = True
        threading.Thread(target=self._loop, name="inline-job-runner", daemon=True).start()

    def _loop(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                wait = self._round()
            except Exception:  # noqa: BLE001 - logged; the next wake() starts a new round
                log.exception("inline job runner")
                wait = None
            with self._lock:
                if wait is None and not self._wakeup.is_set():
                    self._active = False
                    return
            self._wakeup.wait(wait or 0)

    def _round(self) -> float | None:
        """Run every queued job; return the seconds until the next look, None to end."""
        app = self._app()
        if app is None:
            return None
        with app.app_context():
            while (job_id := store.next_queued(db.session)) is not None:
                db.session.rollback()  # run() starts from a fresh transaction
                run(app, job_id)  # the clean-up follows once, after the round
            store.clean_up(db.session, retention(app))
            expiry = store.next_expiry(db.session)
        if expiry is None:
            return None
        return min(max((expiry - utc_now()).total_seconds(), 1.0), CLEANUP_INTERVAL_SECONDS)
