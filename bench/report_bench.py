"""Benchmark of the conference pack: the demo municipality with 20,000 responses.

Builds a fresh SQLite database with the demo (Kassel, 23 districts), then renders
the city report and the 23 district reports exactly as `flask --app app report
kassel-2026 --all` does (analysis, charts through kaleido/Chromium, WeasyPrint).

Run: .venv/bin/python bench/report_bench.py [--responses N]
The last line is JSON: {"seconds", "pages", "charts", "per_chart_ms"}; seconds is the
wall time of the whole pack including the analysis; per_chart_ms is the wall time per
chart of drawing the city report's charts once more, with Chromium already running.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
        os.environ.setdefault("SECRET_KEY", "bench")
        from app import create_app, migrate
        from app.demo import load_demo
        from app.extensions import db
        from app.reporting import report_data
        from app.survey.service import survey_context
        from reports import build

        migrate.upgrade(os.environ["DATABASE_URL"])
        app = create_app()
        with app.app_context():
            print(f"demo with {args.responses:,} responses ...", file=sys.stderr)
            load_demo(db.session, responses=args.responses, seed=7)
            started = time.perf_counter()
            data = report_data(db.session, survey_context(db.session, "kassel-2026"))
            stats = build.report_pack(data, Path(folder) / "pack", "kassel-2026")
            seconds = time.perf_counter() - started
            # Chart export on its own, after the server has started: the cost of one chart.
            draw = build.ChartMaker()
            build.city_context(data, draw)
            timed = build.ChartMaker()
            chart_start = time.perf_counter()
            build.city_context(data, timed)
            per_chart_ms = (time.perf_counter() - chart_start) / max(timed.count, 1) * 1000
    print(f"{len(stats.files)} PDFs, {stats.pages} pages, {stats.charts} charts in "
          f"{seconds:.1f} s", file=sys.stderr)
    print(json.dumps({"seconds": round(seconds, 2), "pages": stats.pages,
                      "charts": stats.charts, "per_chart_ms": round(per_chart_ms, 1)}))


if __name__ == "__main__":
    main()
