"""Commands for the job queue: the worker that makes reports and letter batches."""
from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError

from .. import jobs
from ..extensions import db

jobs_group = AppGroup("jobs", help="Background jobs: reports and letter batches.")


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@click.option("--max-jobs", type=click.IntRange(1), default=None,
              help="stop after this many jobs (a supervisor then starts a fresh process)")
def jobs_worker(burst: bool, max_jobs: int | None) -> None:
    """Take jobs from the queue in REDIS_URL and make them, one at a time. Start as many
    workers as reports may be made at once (each report pack uses two more processes)."""
    app = current_app._get_current_object()
    if not app.config["REDIS_URL"]:
        raise click.ClickException(
            "REDIS_URL ist nicht gesetzt: ohne Redis erstellen die Webprozesse die Aufträge "
            "selbst, ein Worker wird nicht gebraucht.")
    connection = jobs.redis_connection(app)
    try:
        connection.ping()
    except RedisError as error:
        raise click.ClickException(f"Redis unter REDIS_URL antwortet nicht: {error}") from None
    worker = jobs.JobWorker([jobs.job_queue(app)], connection=connection,
                            name=f"sicherheit-{os.uname().nodename}-{os.getpid()}",
                            maintenance_interval=300)
    worker.work(burst=burst, max_jobs=max_jobs, logging_level="INFO")


@jobs_group.command("clean")
def jobs_clean() -> None:
    """Delete expired jobs and their files now (the workers also do it on their own)."""
    deleted = jobs.clean_up(db.session, jobs.retention(current_app))
    click.echo(f"{deleted} abgelaufene Aufträge gelöscht.")
