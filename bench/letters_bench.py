"""Benchmark of a letter batch: invitation letters as one print-ready PDF.

Renders N letters (default 700) as the job worker does (reports.letters.render_letters:
parts of LETTERS_PER_PART letters, untagged, REPORT_WORKERS processes, the parts
joined), then, as the baseline in the same run, as one tagged WeasyPrint document in one
process (how letters were made before parts). Each runs in a process of its own, so that each
one's peak memory is its own.

Run: .venv/bin/python bench/letters_bench.py [--letters N] [--workers N]
Last line, JSON: {"letters", "seconds", "peak_mb", "baseline_seconds",
"baseline_peak_mb", "ratio"}; peak_mb is the largest resident size of the rendering
process or of any one of its layout processes; ratio = seconds / baseline_seconds.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def letter_set(count: int):
    from reports.letters import Letter, LetterSet

    base = "https://umfrage.kassel.de/s/kassel-2026"
    return LetterSet(
        municipality="Stadt Kassel", survey_title="Sicherheit in Kassel 2026",
        purpose="Ihre Stadt möchte gemeinsam mit der Polizei wissen, wie sicher Sie sich "
                "in Ihrer Wohngegend fühlen.", survey_url=base,
        letters=[Letter("Mitte", f"K7QX-{number:06d}", f"{base}?code=K7QX-{number:06d}")
                 for number in range(count)],
        contact_name="Ordnungsamt", contact_phone="0561 787 0",
        contact_email="befragung@kassel.de")


def render(how: str, count: int, workers: int, results) -> None:
    """Renders the letters (``how``: "parts" or "one_document") in this fresh process;
    puts (seconds, peak kB of this process or any one of its layout processes)."""
    from reports.letters import letters_html, render_letters
    from reports.pdf import render_pdf

    letters = letter_set(count)
    started = time.perf_counter()
    if how == "parts":
        render_letters(letters, date(2026, 12, 3), workers)
    else:
        render_pdf(letters_html(letters, date(2026, 12, 3), letters.letters))
    seconds = time.perf_counter() - started
    peak = max(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    results.put((seconds, peak))


def in_own_process(how: str, count: int, workers: int) -> tuple[float, float]:
    """(seconds, peak MB) of one rendering in a fresh process."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=render, args=(how, count, workers, results))
    process.start()
    seconds, peak_kb = results.get()
    process.join()
    return seconds, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=700)
    parser.add_argument("--workers", type=int, default=2, help="default: 2 (REPORT_WORKERS)")
    args = parser.parse_args()
    seconds, peak = in_own_process("parts", args.letters, args.workers)
    print(f"{args.letters} letters in parts, {args.workers} processes: {seconds:.1f} s, "
          f"{peak:.0f} MB", file=sys.stderr)
    baseline, baseline_peak = in_own_process("one_document", args.letters, 1)
    print(f"as one document: {baseline:.1f} s, {baseline_peak:.0f} MB", file=sys.stderr)
    print(json.dumps({"letters": args.letters, "seconds": round(seconds, 2),
                      "peak_mb": round(peak), "baseline_seconds": round(baseline, 2),
                      "baseline_peak_mb": round(baseline_peak),
                      "ratio": round(seconds / baseline, 3)}))


if __name__ == "__main__":
    main()
