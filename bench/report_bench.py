"""Benchmark of the conference pack: the demo municipality with 20,000 responses.

Builds a fresh SQLite database with the demo (Kassel, 23 districts), then renders
the city report and the 23 district reports exactly as `flask --app app report
kassel-2026 --all` and the back office's pack job do (app.reporting.make_pack: the
REPORT_WORKERS processes and this process's Chromium start while the figures are
computed; then this process draws each report's charts and fills its template, and the
processes lay out and write the PDFs with WeasyPrint). Every pack starts cold: its own
report processes, its own Chromium.

Run: .venv/bin/python bench/report_bench.py [--responses N] [--workers N] [--no-baseline]
                                           [--levers [NAME ...]]
The last line is JSON: {"seconds", "pages", "charts", "per_chart_ms", ...}; seconds is
the wall time of the whole pack including the analysis; per_chart_ms is the wall time
per chart of drawing the city report's charts once more, with Chromium already running
(the chart cache bypassed). More keys: workers, cpu_seconds (this process, the report
processes and Chromium), identical_charts (charts of the pack that another chart of the
pack repeats), baseline_seconds and ratio (the same pack with every speed-up below off,
measured in this run, and seconds / baseline_seconds: how much faster the pack is, on
whatever machine runs it; --no-baseline skips it) and, with --levers, per speed-up
(all, or the named ones) the seconds the same pack takes without it
("without_<lever>_seconds", one pack each, in this run).
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Speed-ups that a module setting switches off: lever -> (module, setting, value).
SETTINGS = {
    "basic_bundle": ("reports.svg", "USE_BASIC_BUNDLE", False),  # the full plotly.js
    "tab_reuse": ("reports.svg", "RELOAD_EVERY", 1),  # kaleido's way: reload per chart
    "parallel_tabs": ("reports.svg", "TABS", 1),
    "fork": ("reports.pool", "FORK", False),  # report processes spawned afresh
    "gc_tuning": ("reports.pool", "TUNE_GC", False),
    "shared_fonts": ("reports.pdf", "SHARED_FONTS", False),
    "svg_text_runs": ("reports.svgtext", "ENABLED", False),  # chart text letter by letter
    "style_cache": ("reports.svgtext", "CACHE_STYLES", False),
    "one_text_layout": ("reports.svgtext", "ONE_LAYOUT", False),
    "svg_parse_cache": ("reports.svgparse", "ENABLED", False),
    "shared_hatch_tiles": ("reports.svgpattern", "ENABLED", False),
    "text_widths": ("reports.textwidths", "ENABLED", False),
    "parsed_css": ("reports.pdf", "PARSED_CSS", False),
}
# Speed-ups switched off otherwise (see pack and _switch_off).
LEVERS = (*SETTINGS, "plain_figures", "early_start", "workers")


def _switch_off(levers: tuple[str, ...]) -> dict:
    """The named speed-ups off in this process; returns what to restore. Runs in this
    process (charts, templates) and first in each report process (layout)."""
    from reports import charts

    before = {}
    for lever in levers:
        if lever in SETTINGS:
            module_name, name, value = SETTINGS[lever]
            module = importlib.import_module(module_name)
            before[(module, name)] = getattr(module, name)
            setattr(module, name, value)
    if "plain_figures" in levers:  # figures through plotly's graph objects, as before
        for name in ("ranked_bars", "paired_bars", "district_map"):
            spec = getattr(charts, f"{name}_spec")
            before[(charts, f"{name}_spec")] = spec
            setattr(charts, f"{name}_spec", functools.partial(_graph_objects, spec))
    return before


@contextlib.contextmanager
def switched_off(levers: tuple[str, ...]):
    """The named speed-ups off in this process while the block runs."""
    before = _switch_off(levers)
    try:
        yield
    finally:
        for (module, name), value in before.items():
            setattr(module, name, value)


def _graph_objects(spec, *args):
    """A chart as plotly's graph objects build and validate it (go.Figure)."""
    import plotly.graph_objects as go

    return go.Figure(spec(*args))


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the report
    processes once the pool is shut down, Chromium once it is stopped)."""
    return sum(usage.ru_utime + usage.ru_stime for usage in (
        resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def pack(session, context, folder: Path, workers: int, off: tuple[str, ...] = ()):
    """One cold pack as the product makes it, with the named speed-ups off;
    (seconds, CPU seconds, stats)."""
    from app.reporting import make_pack, report_data
    from reports import svg
    from reports.build import report_pack

    setup = functools.partial(_switch_off, off) if off else None
    workers = 1 if "workers" in off else workers
    svg._cache.clear()  # noqa: SLF001 - every pack draws its charts
    with switched_off(off):
        started, cpu = time.perf_counter(), cpu_seconds()
        if "early_start" in off:  # processes and Chromium start once the figures are ready
            from reports.pool import ReportPool

            data = report_data(session, context)
            with ReportPool(workers, setup) as pool:
                stats = report_pack(data, folder, context.survey.slug, pool=pool)
        else:
            stats = make_pack(session, context, folder, workers, setup=setup)
        seconds = time.perf_counter() - started
        svg._stop()  # the next pack starts its own Chromium; this one's CPU is counted
    return seconds, cpu_seconds() - cpu, stats


def identical_charts(data) -> int:
    """Charts of the pack that repeat another chart of the pack exactly (same JSON)."""
    from reports import build, svg

    class Collect(build.ChartMaker):
        def finish(self) -> None:
            pass

    draw = Collect()
    build.city_context(data, draw)
    for district in data.districts:
        build.district_context(data, district.code, draw)
    keys = [svg._key(figure, "svg") for _chart, figure in draw._waiting]  # noqa: SLF001
    return len(keys) - len(set(keys))


def per_chart_ms(data) -> float:
    """Wall time per chart of the city report's charts, Chromium running, no cache."""
    from reports import build, svg

    draw = build.ChartMaker()
    build.city_context(data, draw)
    figures = [figure for _chart, figure in draw._waiting]  # noqa: SLF001
    svg.figure_images(figures[:1], cache=False)  # starts Chromium
    started = time.perf_counter()
    svg.figure_images(figures, cache=False)
    return (time.perf_counter() - started) / max(len(figures), 1) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--workers", type=int, help="default: REPORT_WORKERS (2)")
    parser.add_argument("--levers", nargs="*", choices=LEVERS, metavar="LEVER",
                        help="also one pack without each speed-up (default all): "
                        + ", ".join(LEVERS))
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the pack with every speed-up off")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
        os.environ.setdefault("SECRET_KEY", "bench")
        from app import create_app, migrate
        from app.demo import load_demo
        from app.extensions import db
        from app.reporting import report_data
        from app.survey.service import survey_context

        migrate.upgrade(os.environ["DATABASE_URL"])
        app = create_app()
        workers = args.workers or app.config["REPORT_WORKERS"]
        with app.app_context():
            print(f"demo with {args.responses:,} responses ...", file=sys.stderr)
            load_demo(db.session, responses=args.responses, seed=7)
            context = survey_context(db.session, "kassel-2026")
            seconds, cpu, stats = pack(db.session, context, Path(folder) / "pack", workers)
            print(f"{len(stats.files)} PDFs, {stats.pages} pages, {stats.charts} charts in "
                  f"{seconds:.1f} s ({workers} processes, {cpu:.1f} CPU seconds)",
                  file=sys.stderr)
            extra = {"workers": workers, "cpu_seconds": round(cpu, 1)}
            def without(off: tuple[str, ...], name: str, what: str) -> tuple[float, float]:
                """The same pack with ``off`` switched off: (seconds, CPU seconds)."""
                seconds_off, cpu_off, other = pack(db.session, context, Path(folder) / name,
                                                   workers, off)
                assert (other.pages, other.charts) == (stats.pages, stats.charts)
                print(f"{what}: {seconds_off:.1f} s, {cpu_off:.1f} CPU seconds",
                      file=sys.stderr)
                return seconds_off, cpu_off

            if not args.no_baseline:
                baseline, baseline_cpu = without(LEVERS, "baseline", "every speed-up off")
                extra.update(baseline_seconds=round(baseline, 2),
                             baseline_cpu_seconds=round(baseline_cpu, 1),
                             ratio=round(seconds / baseline, 3))
            levers = () if args.levers is None else (args.levers or LEVERS)  # none / all
            for lever in levers:
                lever_seconds, lever_cpu = without((lever,), lever, f"without {lever}")
                extra[f"without_{lever}_seconds"] = round(lever_seconds, 2)
                extra[f"without_{lever}_cpu_seconds"] = round(lever_cpu, 1)
            data = report_data(db.session, context)
            extra["identical_charts"] = identical_charts(data)
            chart_ms = per_chart_ms(data)
    print(json.dumps({"seconds": round(seconds, 2), "pages": stats.pages,
                      "charts": stats.charts, "per_chart_ms": round(chart_ms, 1), **extra}))


if __name__ == "__main__":
    main()
