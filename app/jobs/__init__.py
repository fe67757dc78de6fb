"""Background jobs: reports and large batches of invitation letters are made by a fixed
number of worker processes, never in a web request. The state, the owner and the file of
each job live in the database (models.BackgroundJob); the queue carries only the job id.
One waiting or running job per account, survey and kind; only its owner sees it; it is
deleted after its retention period."""
from .queue import (JobWorker, dispatch, ensure_dispatched, job_queue, perform,
                    redis_connection, retention)
from .store import (Progress, clean_up, duration_text, owned_job, progress, submit,
                    take_output, user_jobs)

__all__ = ["JobWorker", "Progress", "clean_up", "dispatch", "duration_text",
           "ensure_dispatched", "job_queue", "owned_job", "perform", "progress",
           "redis_connection", "retention", "submit", "take_output", "user_jobs"]
