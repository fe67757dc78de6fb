"""Places felt unsafe: free-text answers cleaned of personal data, and what recurs.

Cleaning removes patterns that identify or reach a person: e-mail addresses, phone
numbers, web addresses, IBANs, car number plates, house numbers after a street name
and long digit runs. It cannot recognise every name; lists are published only for
districts with at least ``min_n`` respondents.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

REMOVED = "[entfernt]"
PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),                             # e-mail
    re.compile(r"(https?://|www\.)\S+", re.IGNORECASE),                    # web address
    re.compile(r"\bDE\d{2}(?:\s?\d{4}){4}\s?\d{2}\b", re.IGNORECASE),      # IBAN
    re.compile(r"(?<!\w)(\+|00)?\d[\d\s/().-]{6,}\d"),                      # phone number
    re.compile(r"\b[A-ZÄÖÜ]{1,3}-[A-Z]{1,2}\s?\d{1,4}[EH]?\b"),            # number plate
    re.compile(r"\b([A-ZÄÖÜ][\wäöüß-]*(straße|str\.|weg|gasse|allee|platz|ring|damm))"
               r"\s+\d+(?:\s?[a-z]\b)?", re.IGNORECASE),                       # street + number
]
STOPWORDS = set("""
aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei
beim bin bis bist da dann das dass dem den der des die dies diese diesem diesen dieser
dort du durch ein eine einem einen einer es etwas für gegen hat hier ich ihr im in ist
ja jede jeder jedes kein keine man mich mir mit nach nachts nicht nichts noch nur ob oder
ohne sehr sich sie sind so über um und uns unter vom von vor war was weil wenn wie wir
wird wo zu zum zur abends tagsüber immer oft besonders bereich gegend ecke
spät später früh morgens mittags nachmittags wochenende wochenenden dunkel allein
""".split())
WORD = re.compile(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß-]{1,}")
# Short words that may stand inside a place's name or description ("Unterführung am
# Stern", "Park an der Aue", "Bushaltestelle ohne Licht"), never at its start or end.
CONNECTING = {"am", "an", "auf", "bei", "beim", "der", "die", "das", "dem", "den", "des",
              "hinter", "im", "in", "mit", "nach", "ohne", "unter", "vor", "zum", "zur"}
LONGEST_PLACE = 6  # words
COVERED = 0.7  # a shorter phrase mostly named inside a longer one is not listed again


@dataclass(frozen=True)
class PlaceSummary:
    district: str
    respondents: int  # respondents of the district (for the min_n rule)
    answers: list[str]  # cleaned, in stored order
    top_terms: list[tuple[str, int]]  # recurring places as written, with counts
    suppressed: bool


def clean(text: str) -> str:
    """The answer with personal data patterns replaced by [entfernt]."""
    for pattern in PATTERNS:
        text = pattern.sub(REMOVED, text)
    return " ".join(text.split())


def phrases(text: str) -> list[tuple[str, ...]]:
    """Every run of words in the answer that could name a place: it starts and ends with
    a word that is not a stop word, may hold connecting words inside ("am", "an der"),
    and contains a capitalised word. Each counted once per answer."""
    words = [word for word in WORD.findall(text.replace(REMOVED, " "))
             if word.lower() != "entfernt"]
    found = []
    for start, first in enumerate(words):
        if first.lower() in STOPWORDS:
            continue
        for end in range(start, min(start + LONGEST_PLACE, len(words))):
            word = words[end].lower()
            if word in STOPWORDS and word not in CONNECTING:
                break
            run = words[start:end + 1]
            if word not in STOPWORDS and any(w[0].isupper() for w in run):
                found.append(tuple(run))
    return list(dict.fromkeys(found))


def _inside(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return any(long[i:i + len(short)] == short for i in range(len(long) - len(short) + 1))


def recurring_places(answers: list[str], top: int = 10) -> list[tuple[str, int]]:
    """The places named in more than one answer, as residents wrote them ("Holländischer
    Platz", not "holländischer" and "platz"), most named first. A shorter phrase that
    is mostly named as part of a longer one is left out."""
    counts: Counter[tuple[str, ...]] = Counter()
    spellings: dict[tuple[str, ...], Counter[str]] = {}
    for answer in answers:
        for run in phrases(answer):
            key = tuple(word.lower() for word in run)
            counts[key] += 1
            spellings.setdefault(key, Counter())[" ".join(run)] += 1
    kept: list[tuple[str, ...]] = []
    for key in sorted((k for k, n in counts.items() if n > 1),
                      key=lambda k: (-len(k), -counts[k], k)):
        if not any(_inside(key, longer) and counts[longer] >= COVERED * counts[key]
                   for longer in kept):
            kept.append(key)
    kept.sort(key=lambda k: (-counts[k], -len(k), k))
    return [(spellings[key].most_common(1)[0][0], counts[key]) for key in kept[:top]]


def places_by_district(frame: pd.DataFrame, column: str = "unsafe_places", min_n: int = 30,
                       top: int = 10) -> list[PlaceSummary]:
    """Per district the cleaned answers and the recurring places or keywords."""
    summaries = []
    districts = frame["district"].astype("string")
    texts = frame[column].astype("string") if column in frame.columns else None
    for district in sorted(districts.dropna().unique()):
        members = districts == district
        respondents = int(members.sum())
        answers = [] if texts is None else [
            clean(text) for text in texts[members].dropna() if text.strip()]
        recurring = recurring_places(answers, top)
        hidden = respondents < min_n
        summaries.append(PlaceSummary(str(district), respondents, [] if hidden else answers,
                                      [] if hidden else recurring, hidden))
    return summaries
