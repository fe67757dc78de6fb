"""The weighting's method notes in the German sentences the CLI and the reports show."""
from __future__ import annotations

import pytest

from analysis.notes import Note, NoteKind
from reports.notes import note_sentence, report_notes


@pytest.mark.parametrize("note, sentence", [
    (Note(NoteKind.EMPTY_AGE_GROUP, "B", categories=("14-17",), joined_with=("18-29",)),
     "Stadtteil B: Altersgruppe 14-17 ohne Befragte, zusammengelegt mit 18-29"),
    (Note(NoteKind.SPARSE_AGE_GROUP, "07", categories=("65-74", "75+"),
          joined_with=("45-64",)),
     "Stadtteil 07: Altersgruppe 65-74+75+ zu dünn besetzt für die Randverteilungen, "
     "zusammengelegt mit 45-64"),
    (Note(NoteKind.GENDER_LEFT_OUT, "A", count=4, categories=("d",)),
     "Stadtteil A: keine Befragten mit Geschlecht d: diese 4 Einwohner bleiben bei den "
     "Randverteilungen außen vor"),
    (Note(NoteKind.MEAN_WEIGHT, "A", count=2),
     "Stadtteil A: 2 Befragte ohne verwendbares Geschlecht oder Alter erhielten das "
     "mittlere Gewicht des Stadtteils"),
    (Note(NoteKind.EQUAL_WEIGHTS, "A", count=3),
     "Stadtteil A: keine Befragten mit Geschlecht und Altersgruppe: gleiche Gewichte"),
])
def test_each_note_kind_has_its_sentence(note, sentence):
    assert note_sentence(note) == sentence


def test_report_joins_the_mean_weights_of_all_districts_in_one_sentence():
    notes = [Note(NoteKind.MEAN_WEIGHT, "A", count=2),
             Note(NoteKind.EMPTY_AGE_GROUP, "B", categories=("14-17",), joined_with=("18-29",)),
             Note(NoteKind.MEAN_WEIGHT, "C", count=5)]
    assert report_notes(notes) == [
        "Stadtteil B: Altersgruppe 14-17 ohne Befragte, zusammengelegt mit 18-29",
        "7 Befragte ohne verwendbare Angabe zu Geschlecht oder Alter erhielten das mittlere "
        "Gewicht ihres Stadtteils"]
    assert report_notes([]) == []
