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
""".split())
WORD = re.compile(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß-]{2,}")


@dataclass(frozen=True)
class PlaceSummary:
    district: str
    respondents: int  # respondents of the district (for the min_n rule)
    answers: list[str]  # cleaned, in stored order
    top_terms: list[tuple[str, int]]  # recurring words and word pairs with counts
    suppressed: bool


def clean(text: str) -> str:
    """The answer with personal data patterns replaced by [entfernt]."""
    for pattern in PATTERNS:
        text = pattern.sub(REMOVED, text)
    return " ".join(text.split())


def terms(text: str) -> list[str]:
    words = [word.lower() for word in WORD.findall(text.replace(REMOVED, " "))]
    words = [word for word in words if word not in STOPWORDS and word != "entfernt"]
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:])]
    return list(dict.fromkeys(words + pairs))  # count each term once per answer


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
        counts = Counter(term for answer in answers for term in terms(answer))
        recurring = [(term, count) for term, count in counts.most_common() if count > 1][:top]
        hidden = respondents < min_n
        summaries.append(PlaceSummary(str(district), respondents, [] if hidden else answers,
                                      [] if hidden else recurring, hidden))
    return summaries
