"""The weighting's method notes (``analysis.notes``) in German sentences.

One sentence per note for the CLI (``note_sentence``), and the report's shorter list
(``report_notes``) in which the mean weights of all districts make one sentence.
"""
from __future__ import annotations

from analysis.notes import Note, NoteKind


def _groups(age_groups: tuple[str, ...]) -> str:
    return "+".join(age_groups)


def _detail(note: Note) -> str:
    """What happened in the district, without the district."""
    if note.kind is NoteKind.EMPTY_AGE_GROUP:
        return (f"Altersgruppe {_groups(note.categories)} ohne Befragte, zusammengelegt "
                f"mit {_groups(note.joined_with)}")
    if note.kind is NoteKind.SPARSE_AGE_GROUP:
        return (f"Altersgruppe {_groups(note.categories)} zu dünn besetzt für die "
                f"Randverteilungen, zusammengelegt mit {_groups(note.joined_with)}")
    if note.kind is NoteKind.GENDER_LEFT_OUT:
        return (f"keine Befragten mit Geschlecht {', '.join(note.categories)}: diese "
                f"{note.count} Einwohner bleiben bei den Randverteilungen außen vor")
    if note.kind is NoteKind.MEAN_WEIGHT:
        return (f"{note.count} Befragte ohne verwendbares Geschlecht oder Alter erhielten "
                "das mittlere Gewicht des Stadtteils")
    if note.kind is NoteKind.EQUAL_WEIGHTS:
        return "keine Befragten mit Geschlecht und Altersgruppe: gleiche Gewichte"
    raise ValueError(f"no wording for the note kind {note.kind!r}")


def note_sentence(note: Note) -> str:
    """The note as one German sentence that names its district."""
    return f"Stadtteil {note.district}: {_detail(note)}"


def report_notes(notes: list[Note]) -> list[str]:
    """The notes as German sentences for a report: one sentence for the mean weights of
    all districts (after the others), every other note as its own sentence."""
    sentences = [note_sentence(note) for note in notes if note.kind is not NoteKind.MEAN_WEIGHT]
    total = sum(note.count for note in notes if note.kind is NoteKind.MEAN_WEIGHT)
    if total:
        sentences.append(f"{total} Befragte ohne verwendbare Angabe zu Geschlecht oder Alter "
                         "erhielten das mittlere Gewicht ihres Stadtteils")
    return sentences
