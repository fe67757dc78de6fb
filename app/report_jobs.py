"""Reports requested in the back office are made in a process of their own, so that a
web worker never waits for Chromium and WeasyPrint. A job is a folder in the instance
folder with a status file and, when done, the PDF (or the ZIP of the pack)."""
from __future__ import annotations

import json
import multiprocessing
import re
import secrets
import shutil
import threading
import traceback
import zipfile
from pathlib import Path
from typing import Any

from flask import Flask

JOB_ID = re.compile(r"^[a-f0-9]{16}$")
KINDS = ("city", "district", "pack")


def jobs_folder(app: Flask) -> Path:
    return Path(app.instance_path) / "report-jobs"


def job_folder(app: Flask, job_id: str) -> Path | None:
    if not JOB_ID.match(job_id):
        return None
    folder = jobs_folder(app) / job_id
    return folder if folder.is_dir() else None


def read_status(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "status.json").read_text())
    except (OSError, ValueError):
        return {"state": "failed", "message": "Status nicht lesbar."}


def _write_status(folder: Path, **status: Any) -> None:
    temporary = folder / "status.json.tmp"
    temporary.write_text(json.dumps(status))
    temporary.replace(folder / "status.json")


def start(app: Flask, survey_slug: str, kind: str, district: str | None = None,
          free_text: bool = True) -> str:
    """Start a report job; returns its id. ``free_text=False`` (police) leaves the single
    free-text answers out and keeps only the recurring terms."""
    job_id = secrets.token_hex(8)
    folder = jobs_folder(app) / job_id
    folder.mkdir(parents=True)
    status = {"state": "running", "survey": survey_slug, "kind": kind, "district": district,
              "free_text": free_text}
    _write_status(folder, **status)
    config = {"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"]}
    process = multiprocessing.get_context("spawn").Process(
        target=_run, args=(config, str(folder), status), daemon=False)
    process.start()
    threading.Thread(target=process.join, daemon=True).start()  # reap it when done
    return job_id


def _run(config: dict[str, str], folder_name: str, status: dict[str, Any]) -> None:
    """In the job process: make the report, then record where it is (or why not)."""
    from analysis.indicators import AnalysisError
    from analysis.weighting import WeightingError
    from app import create_app
    from reports.build import city_report, district_report, report_pack
    from reports.model import Places

    from .extensions import db
    from .reporting import report_data
    from .survey.service import survey_context

    folder = Path(folder_name)
    try:
        app = create_app(config)
        with app.app_context():
            data = report_data(db.session, survey_context(db.session, status["survey"]))
            if not status.get("free_text", True):
                data.show_answers = False
                data.places = [Places(p.district, [], p.top_terms, p.suppressed)
                               for p in data.places]
            slug = status["survey"]
            if status["kind"] == "pack":
                stats = report_pack(data, folder / "pack", slug)
                name = f"{slug}-berichte.zip"
                with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as bundle:
                    for path in stats.files:
                        bundle.write(path, path.name)
                shutil.rmtree(folder / "pack")
            elif status["kind"] == "district":
                name = f"{slug}-stadtteil-{status['district']}.pdf"
                (folder / name).write_bytes(district_report(data, status["district"])[0])
            else:
                name = f"{slug}-stadt.pdf"
                (folder / name).write_bytes(city_report(data)[0])
        _write_status(folder, **{**status, "state": "done", "file": name})
    except (AnalysisError, WeightingError) as error:
        _write_status(folder, **{**status, "state": "failed", "message": (
            f"Der Bericht konnte nicht erstellt werden: Auswertung nicht möglich ({error}).")})
    except Exception as error:  # noqa: BLE001 - reported to the user, logged here
        traceback.print_exc()
        _write_status(folder, **{**status, "state": "failed", "message": (
            f"Der Bericht konnte nicht erstellt werden ({type(error).__name__}).")})
