"""Reports and large letter batches run as jobs: on RQ with the real Redis (a queue of
its own per test), or without Redis one at a time in the web process. A job belongs to
the account that asked for it, runs once per account, survey and kind at a time, and is
deleted after its retention period."""
from __future__ import annotations

import csv
import io
import signal
import subprocess
import threading
import time
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import jobs
from app.extensions import db
from app.models import BackgroundJob, InvitationCode, Survey, User, utc_now

from .staff import form_token

REDIS_URL = "redis://127.0.0.1:6379/0"
BASE = "/backoffice/surveys"


@pytest.fixture
def redis_queue(app):
    """The app on the real Redis, with a queue name no other test run uses."""
    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({error}); the job queue tests "
                    "need it (make run and CI machines have it on 127.0.0.1:6379)")
    name = f"test-jobs-{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=REDIS_URL, JOB_QUEUE=name)
    queue = Queue(name, connection=connection)
    yield queue
    queue.delete(delete_jobs=True)
    for key in connection.scan_iter(f"rq:*{name}*"):
        connection.delete(key)
    jobs.redis_connection(app).close()
    connection.close()


def work_off(app, queue: Queue, runner=None) -> None:
    """An RQ worker in this process until the queue is empty: the command itself
    (`flask --app app jobs worker --burst`) if a CLI runner is given."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        if runner is not None:
            result = runner.invoke(args=["jobs", "worker", "--burst"])
            assert result.exit_code == 0, result.output
            return
        with app.app_context():
            SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:  # the worker took over Ctrl-C; give it back to pytest
        for number, handler in handlers.items():
            signal.signal(number, handler)



def request_report(client, slug: str = "fulda-2026", kind: str = "city", district=None):
    token = form_token(client, f"{BASE}/{slug}")
    data = {"csrf_token": token, "kind": kind, **({"district": district} if district else {})}
    return client.post(f"{BASE}/{slug}/reports", data=data)


def job_row(app, job_id: str) -> BackgroundJob:
    with app.app_context():
        return db.session.get(BackgroundJob, job_id)


def job_id_of(response) -> str:
    assert response.status_code == 302, response.status_code
    return response.headers["Location"].rsplit("/", 1)[1]


def pdf_pages(content: bytes, tmp_path) -> int:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


@pytest.mark.pdf
def test_a_report_runs_on_the_queue_and_only_its_owner_gets_it(app, logged_in, redis_queue,
                                                                runner):
    staff = logged_in("staff@fulda.de", app.test_client())
    job_id = job_id_of(request_report(staff))
    assert redis_queue.job_ids == [job_id]  # the queue carries the id, nothing else
    assert redis_queue.fetch_job(job_id).args == (job_id,)
    page = staff.get(f"{BASE}/fulda-2026/jobs/{job_id}").get_data(as_text=True)
    assert "wartet auf einen freien Arbeitsprozess" in page and 'http-equiv="refresh"' in page
    assert "Die Erstellung selbst dauert voraussichtlich etwa" in page and "(Schätzung" in page
    assert job_row(app, job_id).state == "queued"

    work_off(app, redis_queue, runner)
    stored = job_row(app, job_id)
    assert stored.state == "done" and stored.file_name == "fulda-2026-stadt.pdf"
    with app.app_context():
        assert db.session.get(BackgroundJob, job_id).output.startswith(b"%PDF")
    page = staff.get(f"{BASE}/fulda-2026/jobs/{job_id}").get_data(as_text=True)
    assert "fulda-2026-stadt.pdf herunterladen" in page and "http-equiv" not in page
    assert "24 Stunden nach der Erstellung gelöscht" in page
    download = staff.get(f"{BASE}/fulda-2026/jobs/{job_id}/file")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].endswith("fulda-2026-stadt.pdf")
    assert staff.get(f"{BASE}/fulda-2026/jobs/{job_id}/file").status_code == 200  # kept

    # Police of the same municipality (and anyone else) never get another account's job,
    # least of all a staff report with the single free-text answers.
    for email in ("police@region.de", "admin@land.de", "staff@kassel.de"):
        other = logged_in(email, app.test_client())
        for url in (f"{BASE}/fulda-2026/jobs/{job_id}", f"{BASE}/fulda-2026/jobs/{job_id}/file"):
            assert other.get(url).status_code == 404, (email, url)

    # The next city report is expected to take as long as this one took.
    second = job_id_of(request_report(staff))
    assert second != job_id
    page = staff.get(f"{BASE}/fulda-2026/jobs/{second}").get_data(as_text=True)
    assert "gemessen an der letzten fertigen Erstellung dieser Art" in page


@pytest.mark.pdf
def test_the_police_get_their_pack_from_the_database_not_from_a_folder(app, logged_in,
                                                                         redis_queue):
    police = logged_in("police@region.de", app.test_client())
    job_id = job_id_of(request_report(police, kind="pack"))
    work_off(app, redis_queue)
    download = police.get(f"{BASE}/fulda-2026/jobs/{job_id}/file")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert sorted(zipfile.ZipFile(io.BytesIO(download.data)).namelist()) == [
        "fulda-2026-stadt.pdf", "fulda-2026-stadtteil-F1.pdf", "fulda-2026-stadtteil-F2.pdf"]
    instance = Path(app.instance_path)
    assert not instance.exists() or not [path for path in instance.rglob("*")
                                         if "fulda" in path.name or path.suffix == ".pdf"]


def test_one_waiting_job_per_account_survey_and_kind(app, logged_in, redis_queue):
    staff = logged_in("staff@fulda.de", app.test_client())
    first = job_id_of(request_report(staff))
    again = request_report(staff)
    assert job_id_of(again) == first  # the second click shows the first job
    page = staff.get(again.headers["Location"]).get_data(as_text=True)
    assert "Es läuft bereits ein Auftrag „Stadtbericht“ für Sie" in page
    district = job_id_of(request_report(staff, kind="district", district="F1"))
    police = logged_in("police@region.de", app.test_client())
    police_job = job_id_of(request_report(police))
    assert len({first, district, police_job}) == 3
    assert sorted(redis_queue.job_ids) == sorted([first, district, police_job])
    assert job_row(app, police_job).parameters["free_text"] is False
    overview = staff.get(f"{BASE}/fulda-2026").get_data(as_text=True)
    assert "Ihre Aufträge" in overview and f"/jobs/{first}" in overview
    assert f"/jobs/{police_job}" not in overview

    with app.app_context():  # the database holds the rule for every web server
        original = db.session.get(BackgroundJob, first)
        db.session.add(BackgroundJob(id=uuid.uuid4().hex, user_id=original.user_id,
                                     survey_id=original.survey_id, kind="city",
                                     parameters={}, state="running", message=""))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_expired_jobs_are_deleted_by_the_worker_and_at_the_next_request(app, logged_in,
                                                                         redis_queue):
    staff = logged_in("staff@fulda.de", app.test_client())
    now = utc_now()
    with app.app_context():
        owner = db.session.scalar(select(User.id).where(User.email == "staff@fulda.de"))
        survey_id = db.session.scalar(select(Survey.id).where(Survey.slug == "fulda-2026"))

        def add(kind: str, state: str, **times) -> str:
            job_id = uuid.uuid4().hex
            db.session.add(BackgroundJob(id=job_id, user_id=owner, survey_id=survey_id,
                                         kind=kind, state=state, parameters={}, message="",
                                         output=b"%PDF" if state == "done" else None,
                                         file_name="x.pdf", **times))
            return job_id

        expired = add("city", "done", finished_at=now - timedelta(hours=25),
                      expires_at=now - timedelta(hours=1))
        kept = add("pack", "done", finished_at=now, expires_at=now + timedelta(hours=24))
        vanished = add("district", "running", started_at=now - timedelta(hours=2))
        db.session.commit()
    # Past its expiry a job is gone for its owner even before the cleaner came by.
    assert staff.get(f"{BASE}/fulda-2026/jobs/{expired}/file").status_code == 404

    with app.app_context():  # a worker's maintenance round: no one clicks anything
        jobs.JobWorker([redis_queue], connection=redis_queue.connection
                       ).run_maintenance_tasks()
    assert job_row(app, expired) is None and job_row(app, kept).state == "done"
    abandoned = job_row(app, vanished)
    assert abandoned.state == "failed" and "abgebrochen" in abandoned.message
    page = staff.get(f"{BASE}/fulda-2026/jobs/{vanished}").get_data(as_text=True)
    assert "Die Datei konnte nicht erstellt werden" in page and "http-equiv" not in page

    with app.app_context():  # and when the next job is asked for
        db.session.get(BackgroundJob, kept).expires_at = utc_now() - timedelta(seconds=1)
        db.session.commit()
    job_id_of(request_report(staff))
    assert job_row(app, kept) is None


@pytest.mark.pdf
def test_700_letters_are_made_by_a_worker_and_handed_out_once(app, logged_in, redis_queue,
                                                               tmp_path):
    staff = logged_in("staff@fulda.de", app.test_client())
    token = form_token(staff, f"{BASE}/fulda-2026/codes")
    started = staff.post(f"{BASE}/fulda-2026/codes",
                         data={"csrf_token": token, "count_F1": "650", "count_F2": "50"})
    job_id = job_id_of(started)  # the web request answers at once, with a job
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InvitationCode)) == 0
    page = staff.get(started.headers["Location"]).get_data(as_text=True)
    assert "Die Erstellung selbst dauert für 700 Briefe voraussichtlich etwa" in page

    work_off(app, redis_queue)
    page = staff.get(started.headers["Location"]).get_data(as_text=True)
    assert "fulda-2026-codes.zip herunterladen" in page
    assert "gelöscht, sobald Sie sie heruntergeladen haben, spätestens 1 Stunde" in page
    assert logged_in("police@region.de", app.test_client()).get(
        f"{BASE}/fulda-2026/jobs/{job_id}/file").status_code == 404
    download = staff.get(f"{BASE}/fulda-2026/jobs/{job_id}/file")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(download.data))
    rows = list(csv.DictReader(io.StringIO(bundle.read("fulda-2026-serienbrief.csv")
                                           .decode("utf-8"))))
    assert len(rows) == 700 and len({row["code"] for row in rows}) == 700
    assert sum(row["district_code"] == "F1" for row in rows) == 650
    assert pdf_pages(bundle.read("fulda-2026-einladungen.pdf"), tmp_path) == 700
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InvitationCode)) == 700
        assert db.session.get(BackgroundJob, job_id).output is None  # codes not kept

    again = staff.get(f"{BASE}/fulda-2026/jobs/{job_id}/file")
    assert again.status_code == 302
    assert "wurden heruntergeladen und danach gelöscht" in staff.get(
        again.headers["Location"]).get_data(as_text=True)


def test_a_failed_letter_batch_leaves_no_codes(app, logged_in, redis_queue, monkeypatch):
    def broken(*_args):
        raise OSError("disk full")
    monkeypatch.setattr("app.backoffice.codes.letters_zip", broken)
    staff = logged_in("staff@fulda.de", app.test_client())
    token = form_token(staff, f"{BASE}/fulda-2026/codes")
    job_id = job_id_of(staff.post(f"{BASE}/fulda-2026/codes",
                                  data={"csrf_token": token, "count_F1": "201"}))
    work_off(app, redis_queue)
    page = staff.get(f"{BASE}/fulda-2026/jobs/{job_id}").get_data(as_text=True)
    assert "Die Datei konnte nicht erstellt werden. Fehler bei der Erstellung (OSError)" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InvitationCode)) == 0


@pytest.mark.pdf
def test_small_letter_batches_stay_in_the_request(app, logged_in, redis_queue):
    app.config["LETTERS_IN_REQUEST_MAX"] = 3
    staff = logged_in("staff@fulda.de", app.test_client())
    token = form_token(staff, f"{BASE}/fulda-2026/codes")
    small = staff.post(f"{BASE}/fulda-2026/codes", data={"csrf_token": token, "count_F1": "3"})
    page = staff.get(small.headers["Location"]).get_data(as_text=True)  # the codes page
    assert "3 Codes erzeugt. Die Briefe sind fertig" in page  # made in the request
    assert redis_queue.count == 0
    large = staff.post(f"{BASE}/fulda-2026/codes", data={"csrf_token": token, "count_F1": "4"})
    assert redis_queue.job_ids == [job_id_of(large)]


def test_the_worker_command_needs_redis_and_the_cleaner_runs_on_demand(app, runner):
    app.config["REDIS_URL"] = None
    result = runner.invoke(args=["jobs", "worker"])
    assert result.exit_code == 1 and "REDIS_URL ist nicht gesetzt" in result.output
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"
    result = runner.invoke(args=["jobs", "worker"])
    assert result.exit_code == 1 and "Redis unter REDIS_URL antwortet nicht" in result.output
    result = runner.invoke(args=["jobs", "clean"])
    assert result.exit_code == 0 and "0 abgelaufene Aufträge gelöscht" in result.output


def test_a_job_waits_while_redis_is_down(app, logged_in):
    app.config.update(REDIS_URL="redis://127.0.0.1:9/0", JOB_QUEUE=uuid.uuid4().hex)
    staff = logged_in("staff@fulda.de", app.test_client())
    started = request_report(staff)  # nothing listens on port 9: no 500, the job waits
    page = staff.get(started.headers["Location"])
    assert page.status_code == 200
    assert "wartet auf einen freien Arbeitsprozess" in page.get_data(as_text=True)
    assert job_row(app, job_id_of(started)).state == "queued"


def test_without_redis_jobs_run_in_the_web_process_one_at_a_time(app, logged_in, monkeypatch):
    app.config["REDIS_URL"] = None  # as on a fresh machine: `make run`, SQLite
    running, most, release = [0], [0], threading.Event()
    lock = threading.Lock()

    def slow_make(session, job):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(60)
        with lock:
            running[0] -= 1
        if job.kind == "district":  # a write that fails: the session must roll back
            session.add(BackgroundJob(id=uuid.uuid4().hex, user_id=job.user_id,
                                      survey_id=job.survey_id, kind="no such kind",
                                      parameters={}, state="done", message=""))
            session.flush()
        return "bericht.pdf", b"%PDF-1.7 made"
    monkeypatch.setattr("app.jobs.queue.make", slow_make)

    staff = logged_in("staff@fulda.de", app.test_client())
    first = job_id_of(request_report(staff))
    second = job_id_of(request_report(staff, kind="district", district="F2"))
    wait_for(lambda: job_row(app, first).state == "running")
    # This process is busy with the first job: the second waits in the database.
    assert job_row(app, second).state == "queued"
    page = staff.get(f"{BASE}/fulda-2026/jobs/{second}").get_data(as_text=True)
    assert "wartet auf einen freien Arbeitsprozess" in page
    release.set()
    wait_for(lambda: job_row(app, second).state == "failed")
    assert most[0] == 1
    done = staff.get(f"{BASE}/fulda-2026/jobs/{first}/file")
    assert done.status_code == 200 and done.data == b"%PDF-1.7 made"
    page = staff.get(f"{BASE}/fulda-2026/jobs/{second}").get_data(as_text=True)
    assert "Fehler bei der Erstellung (IntegrityError)" in page


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the job runner did not get there"
        time.sleep(0.05)
