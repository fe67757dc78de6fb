"""Synthetic responses for the demo, with realistic differences.

Residents of some districts, women and the oldest feel less safe at night; the
young and the old answer less often than the middle-aged in reality, so the sample
is skewed on purpose (that is what weighting is for). Deterministic for a seed.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from .kassel import AGE_GROUPS, DISTRICT_EFFECT, DISTRICTS, GENERIC_PLACES, PLACES

AGE_EFFECT = {"14-17": 0.1, "18-29": -0.15, "30-44": -0.1, "45-59": 0.0, "60-74": 0.15,
              "75+": 0.45}
# Response propensity by age: surveys reach the middle-aged and the young-old best.
AGE_RESPONSE_WEIGHT = (0.03, 0.12, 0.21, 0.26, 0.26, 0.12)
CRIMES = ("burglary", "assault", "robbery", "harassment", "online_fraud")
VICTIM_RATE = {"burglary": 0.02, "assault": 0.025, "robbery": 0.01, "harassment": 0.06,
               "online_fraud": 0.09}
REPORT_RATE = {"burglary": 0.85, "assault": 0.45, "robbery": 0.6, "harassment": 0.15,
               "online_fraud": 0.35}
FIELDWORK_START = date(2026, 9, 1)
FIELDWORK_DAYS = 45


def _scale(rng: random.Random, latent: float, missing_rate: float = 0.03) -> int:
    """A 4-point answer from a latent score (higher = worse), 9 now and then."""
    if rng.random() < missing_rate:
        return 9
    score = latent + rng.gauss(0, 0.8)
    return 1 if score < -0.6 else 2 if score < 0.5 else 3 if score < 1.3 else 4


def synthetic_response(rng: random.Random) -> tuple[dict[str, Any], date, int]:
    """(answers, completion date, minutes taken) of one invented resident."""
    weights = [residents for _code, _name, residents, _profile in DISTRICTS]
    code = rng.choices([d[0] for d in DISTRICTS], weights=weights)[0]
    age_group = rng.choices(AGE_GROUPS, weights=AGE_RESPONSE_WEIGHT)[0]
    gender = rng.choices(("f", "m", "d", None), weights=(0.54, 0.44, 0.01, 0.01))[0]
    latent = (DISTRICT_EFFECT.get(code, 0.0) + AGE_EFFECT[age_group]
              + (0.35 if gender == "f" else 0.0) + rng.gauss(0, 0.5))
    answers: dict[str, Any] = {
        "district": code,
        "years_in_district": min(100, int(rng.expovariate(1 / 12))),
        "safety_day": _scale(rng, latent - 1.1),
        "safety_night": _scale(rng, latent),
    }
    for crime, shift in zip(CRIMES, (0.0, -0.3, -0.5, -0.2 + (0.6 if gender == "f" else 0), 0.3)):
        answers[f"worry_{crime}"] = _scale(rng, latent + shift - 0.3)
    for problem, shift in (("litter", 0.4), ("graffiti", 0.0), ("drugs", -0.2),
                           ("loitering", -0.1), ("lighting", -0.2), ("traffic", 0.5)):
        answers[f"problem_{problem}"] = _scale(rng, latent + shift - 0.4)
    for behaviour, shift in (("avoid_places", 0.0), ("avoid_going_out_night", -0.3),
                             ("avoid_public_transport_night", -0.5),
                             ("protect_carry_item", -1.0), ("protect_accompanied", -0.9)):
        answers[behaviour] = _scale(rng, latent + shift - 0.3)
    for crime in CRIMES:
        victim = rng.random() < VICTIM_RATE[crime] * (1.5 if latent > 0.8 else 1.0)
        answers[f"victim_{crime}"] = 9 if rng.random() < 0.02 else 1 if victim else 2
        if answers[f"victim_{crime}"] == 1:
            answers[f"reported_{crime}"] = 1 if rng.random() < REPORT_RATE[crime] else 2
    if rng.random() < 0.18:
        answers["unsafe_places"] = rng.choice(PLACES.get(code, []) + GENERIC_PLACES)
    for item, shift in (("trust_police", -0.9), ("trust_ordnungsamt", -0.5),
                        ("visible_police", 0.4), ("visible_ordnungsamt", 0.6)):
        answers[item] = _scale(rng, latent * 0.4 + shift, missing_rate=0.05)
    if gender:
        answers["gender"] = gender
    if rng.random() > 0.01:
        answers["age_group"] = age_group
    completed_on = FIELDWORK_START + timedelta(days=int(rng.triangular(0, FIELDWORK_DAYS, 5)))
    return answers, completed_on, max(4, int(rng.gauss(11, 3)))


def synthetic_responses(count: int, seed: int) -> list[tuple[dict[str, Any], date, int]]:
    rng = random.Random(seed)
    return [synthetic_response(rng) for _ in range(count)]
