"""Interface texts in German (first) and English, and the resident's language choice.

Questionnaire labels come from the questionnaire file; these are the texts of the
application around them.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from flask import Flask, Response, current_app, g, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANGUAGES = ("de", "en")
# A preference, not a secret: a plain cookie (until the browser is closed) keeps resident
# pages free of a signed session.
LANGUAGE_COOKIE = "lang"

TEXTS: dict[str, tuple[str, str]] = {
    # layout
    "skip_to_content": ("Zum Inhalt springen", "Skip to content"),
    "language": ("Sprache", "Language"),
    "other_language": ("English", "Deutsch"),
    "other_language_code": ("en", "de"),
    # start page
    "start_button": ("Befragung beginnen", "Start the survey"),
    "resume_button": ("Befragung fortsetzen", "Continue the survey"),
    "privacy_heading": ("Datenschutz", "Data protection"),
    "privacy_text": (
        "Die Teilnahme ist freiwillig. Wir speichern Ihre Antworten ohne Namen, ohne "
        "IP-Adresse und ohne Angaben zu Ihrem Gerät, mit dem Datum, aber ohne Uhrzeit. "
        "Ausgewertet wird nur zusammengefasst: Zahlen, die auf weniger als {min_n} Antworten "
        "beruhen, werden nicht veröffentlicht. Sie können Fragen auslassen, die nicht als "
        "Pflichtfrage markiert sind. Ein Cookie hält nur fest, wie weit Sie gekommen sind; "
        "er wird gelöscht, wenn Sie den Browser schließen.",
        "Taking part is voluntary. We store your answers without a name, without an IP "
        "address and without information on your device, with the date but not the time. "
        "Results are only published in aggregate: figures based on fewer than {min_n} "
        "answers are not published. You may skip questions that are not marked as required. "
        "A cookie only keeps track of how far you got; it is deleted when you close your "
        "browser."),
    "privacy_code": (
        "Ihr Zugangscode stellt nur sicher, dass jede Einladung einmal genutzt wird. Wir "
        "speichern nicht, welche Antworten zu welchem Code gehören. Mit dem Code können Sie "
        "unterbrechen und später, auch auf einem anderen Gerät, weitermachen.",
        "Your access code only ensures that each invitation is used once. We do not store "
        "which answers belong to which code. With the code you can stop and continue "
        "later, also on another device."),
    "code_label": ("Zugangscode aus Ihrem Einladungsschreiben",
                   "Access code from your invitation letter"),
    "code_hint": ("Groß- und Kleinschreibung spielt keine Rolle.",
                  "Upper or lower case does not matter."),
    "code_unknown": ("Dieser Zugangscode ist nicht gültig. Bitte prüfen Sie die Eingabe.",
                     "This access code is not valid. Please check what you typed."),
    "code_used": ("Mit diesem Zugangscode wurde die Befragung bereits abgeschlossen. "
                  "Vielen Dank!",
                  "The survey has already been completed with this access code. Thank you!"),
    "code_missing": ("Bitte geben Sie Ihren Zugangscode ein.",
                     "Please enter your access code."),
    "given_by_code": ("aus Ihrer Einladung", "from your invitation"),
    "survey_opens_on": ("Diese Befragung beginnt am {date}. Bitte kommen Sie dann wieder.",
                        "This survey opens on {date}. Please come back then."),
    "survey_not_open": ("Diese Befragung ist derzeit nicht geöffnet.",
                        "This survey is not open at the moment."),
    "survey_closed": ("Diese Befragung ist beendet. Vielen Dank für Ihr Interesse.",
                      "This survey has ended. Thank you for your interest."),
    "privacy_more": ("Ausführliche Datenschutzerklärung", "Full data-protection notice"),
    "contact_heading": ("Fragen zur Befragung", "Questions about the survey"),
    "contact_phone": ("Telefon", "Phone"),
    "contact_email": ("E-Mail", "E-mail"),
    "paper_heading": ("Fragebogen auf Papier", "Questionnaire on paper"),
    # legal pages (footer of every resident page)
    "legal_nav": ("Rechtliches", "Legal"),
    "imprint_title": ("Impressum", "Legal notice (Impressum)"),
    "privacy_title": ("Datenschutzerklärung", "Data-protection notice"),
    "accessibility_title": ("Erklärung zur Barrierefreiheit", "Accessibility statement"),
    "imprint_missing": ("{municipality} hat für diese Befragung noch kein Impressum "
                        "eingetragen.",
                        "{municipality} has not entered a legal notice (Impressum) for this "
                        "survey yet."),
    "text_in_german": ("", "This text is available in German only."),
    "to_survey": ("Zur Befragung", "To the survey"),
    # page
    "progress": ("Seite {current} von {total}", "Page {current} of {total}"),
    "back": ("Zurück", "Back"),
    "next": ("Weiter", "Next"),
    "submit": ("Antworten absenden", "Submit answers"),
    "required_marker": ("Pflichtfrage", "required"),
    "optional_hint": ("Alle Fragen ohne Kennzeichnung „Pflichtfrage“ können Sie auslassen.",
                      "You may skip every question not marked “required”."),
    "error_prefix": ("Fehler:", "Error:"),
    "error_summary": ("Bitte prüfen Sie Ihre Angaben", "Please check your answers"),
    "missing_choice_group": ("Weitere Antwort", "Other answer"),
    "please_choose": ("Bitte wählen", "Please choose"),
    "characters_max": ("höchstens {max} Zeichen", "at most {max} characters"),
    "range_hint": ("Zahl von {min} bis {max}", "Number from {min} to {max}"),
    # field errors
    "error_required": ("Bitte beantworten Sie diese Frage.", "Please answer this question."),
    "error_required_one": ("Bitte wählen Sie mindestens eine Antwort.",
                           "Please choose at least one answer."),
    "error_not_a_choice": ("Diese Antwort ist keine der angebotenen Möglichkeiten.",
                           "This answer is not one of the options offered."),
    "error_not_an_integer": ("Bitte geben Sie eine ganze Zahl ein, z. B. 12.",
                             "Please enter a whole number, e.g. 12."),
    "error_out_of_range": ("Bitte geben Sie eine Zahl von {min} bis {max} ein.",
                           "Please enter a number from {min} to {max}."),
    "error_too_long": ("Ihr Text ist {length} Zeichen lang; erlaubt sind höchstens {max}.",
                       "Your text is {length} characters long; at most {max} are allowed."),
    # outcomes
    "thanks_title": ("Vielen Dank!", "Thank you!"),
    "thanks_text": ("Ihre Antworten sind gespeichert. Sie helfen Ihrer Stadt und der Polizei, "
                    "dort etwas zu tun, wo Menschen sich unsicher fühlen.",
                    "Your answers have been saved. They help your town and the police to act "
                    "where people feel unsafe."),
    "thanks_already": ("Ihre Antworten wurden bereits gespeichert.",
                       "Your answers had already been saved."),
    "page_not_reached": ("Diese Seite ist noch nicht an der Reihe. Bitte beantworten Sie "
                         "zuerst die vorherigen Seiten.",
                         "This page is not your turn yet. Please answer the previous pages "
                         "first."),
    "continue_where_left": ("Weiter, wo Sie aufgehört haben", "Continue where you left off"),
    "no_draft": ("Ihre Sitzung ist abgelaufen oder wurde nicht begonnen. Bitte beginnen Sie "
                 "auf der Startseite.",
                 "Your session has expired or was not started. Please begin on the start "
                 "page."),
    "to_start": ("Zur Startseite der Befragung", "To the start page of the survey"),
    "changed_elsewhere": ("Ihre Angaben wurden gerade an einem anderen Gerät geändert. Es "
                          "wurde nichts gespeichert; bitte prüfen Sie die Seite noch einmal.",
                          "Your answers were just changed on another device. Nothing was "
                          "saved; please check the page again."),
    "unknown_field": ("Das Formular enthielt ein unbekanntes Feld „{field}“. Es wurde nichts "
                      "gespeichert.",
                      "The form contained an unknown field “{field}”. Nothing was saved."),
    "error_title": ("Das hat nicht geklappt", "That did not work"),
    "not_found": ("Diese Seite gibt es nicht.", "This page does not exist."),
    "csrf_failed": ("Das Formular ist abgelaufen oder unvollständig. Bitte laden Sie die Seite "
                    "neu und versuchen Sie es noch einmal. Es wurde nichts gespeichert.",
                    "The form has expired or is incomplete. Please reload the page and try "
                    "again. Nothing was saved."),
    "forbidden": ("Dafür fehlt Ihnen die Berechtigung.",
                  "You are not allowed to do this."),
    "too_large": ("Die gesendeten Daten sind zu groß.", "The data sent is too large."),
    "bad_request": ("Die Anfrage war fehlerhaft.", "The request was malformed."),
    "server_error": ("Ein interner Fehler ist aufgetreten. Ihre bisherigen Antworten sind "
                     "gespeichert.",
                     "An internal error occurred. Your previous answers are saved."),
}


def current_language() -> str:
    """The choice kept in the language cookie, else the browser's preference, else German
    (once per request)."""
    lang = g.get("lang")
    if lang is None:
        lang = request.cookies.get(LANGUAGE_COOKIE)
        if lang not in LANGUAGES:
            lang = _preferred(request.headers.get("Accept-Language", ""))
        g.lang = lang
    return lang


@lru_cache(maxsize=512)
def _preferred(accept_language: str) -> str:
    """German unless the browser prefers English (browsers send few distinct headers)."""
    return parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES) or "de"


def translate(key: str, **params: object) -> str:
    german, english = TEXTS[key]
    text = english if current_language() == "en" else german
    return text.format(**params) if params else text


MONTHS = {"de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                  "September", "Oktober", "November", "Dezember"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December")}


def local_date(day: date) -> str:
    """'1. Februar 2027' or '1 February 2027', in the resident's language."""
    lang = current_language()
    month = MONTHS[lang][day.month - 1]
    return f"{day.day}. {month} {day.year}" if lang == "de" else f"{day.day} {month} {day.year}"


def take_language_choice() -> None:
    """``?lang=en`` on any page switches the language (a plain link, no JavaScript)."""
    if b"lang=" not in request.query_string:  # most requests: no need to parse the query
        return
    lang = request.args.get("lang")
    if lang in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != lang:
        g.lang = g.new_language_cookie = lang


def remember_language_choice(response: Response) -> Response:
    lang = g.get("new_language_cookie")
    if lang is not None:
        response.set_cookie(LANGUAGE_COOKIE, lang, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def init_app(app: Flask) -> None:
    app.before_request(take_language_choice)
    app.after_request(remember_language_choice)
    app.jinja_env.globals.update(_=translate, current_language=current_language)
    app.jinja_env.filters["local_date"] = local_date
