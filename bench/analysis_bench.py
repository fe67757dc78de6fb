"""Benchmark of the whole indicator table on 1,000,000 synthetic responses.

23 districts (the demo's Kassel population), every scale item of the standard
questionnaire; the table is weighted (raked), with Wilson intervals, district flags
and primary and secondary suppression. The baseline, measured in the same run on the
same data, is a plain unweighted pandas groupby-mean of the same items by district.

Run: .venv/bin/python bench/analysis_bench.py [--responses N]
The last line is JSON: {"responses", "seconds", "peak_mb", "baseline_seconds", "ratio"}
(peak_mb: peak memory allocated during the indicator computation, by tracemalloc).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.indicators import indicator_specs, indicator_table  # noqa: E402
from app.demo.kassel import DISTRICTS, population_table  # noqa: E402
from questionnaires import load_questionnaire_file  # noqa: E402
from questionnaires.codebook import AGE_GROUPS  # noqa: E402

QUESTIONNAIRE = Path(__file__).resolve().parent.parent / "questionnaires" / \
    "sicherheit-standard.yaml"


def synthetic_frame(responses: int, items: list[str], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = np.array([code for code, *_ in DISTRICTS])
    sizes = np.array([residents for _c, _n, residents, _p in DISTRICTS], dtype=float)
    district = rng.choice(codes, responses, p=sizes / sizes.sum())
    latent = rng.normal(0, 1, responses)
    frame = pd.DataFrame({
        "district": pd.Categorical(district, categories=codes),
        "gender": pd.Categorical(rng.choice(["f", "m", "d", None], responses,
                                            p=[0.53, 0.45, 0.01, 0.01])),
        "age_group": pd.Categorical(rng.choice(AGE_GROUPS, responses,
                                               p=[0.03, 0.12, 0.21, 0.26, 0.26, 0.12])),
    })
    for item in items:
        score = latent + rng.normal(0, 1, responses)
        values = np.digitize(score, [-0.8, 0.3, 1.2]).astype(float) + 1
        values[rng.random(responses) < 0.03] = 9
        values[rng.random(responses) < 0.02] = np.nan
        frame[item] = values
    return frame


def population() -> pd.DataFrame:
    rows = [(code, gender, age, count) for code, _name, residents, profile in DISTRICTS
            for (gender, age), count in population_table(residents, profile).items()]
    return pd.DataFrame(rows, columns=["district", "gender", "age_group", "population"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    args = parser.parse_args()
    questionnaire = load_questionnaire_file(QUESTIONNAIRE)
    items = sorted({spec.item for spec in indicator_specs(questionnaire)})
    print(f"generating {args.responses:,} responses with {len(items)} items ...", file=sys.stderr)
    frame, residents = synthetic_frame(args.responses, items), population()

    start = time.perf_counter()
    baseline = frame.groupby("district", observed=True)[items].mean()
    baseline_seconds = time.perf_counter() - start

    start = time.perf_counter()
    result = indicator_table(frame, residents, questionnaire, min_n=30)
    seconds = time.perf_counter() - start

    tracemalloc.start()
    indicator_table(frame, residents, questionnaire, min_n=30)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    table = result.table
    print(f"baseline groupby-mean: {baseline.shape} in {baseline_seconds:.3f} s; indicator "
          f"table: {len(table):,} rows ({int(table.suppressed.sum()):,} suppressed) in "
          f"{seconds:.3f} s", file=sys.stderr)
    print(json.dumps({"responses": args.responses, "seconds": round(seconds, 3),
                      "peak_mb": round(peak_mb, 1), "baseline_seconds": round(baseline_seconds, 3),
                      "ratio": round(seconds / baseline_seconds, 2)}))


if __name__ == "__main__":
    main()
