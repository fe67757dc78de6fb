"""Interface texts through Flask-Babel, and the resident's language choice.

The texts are gettext messages with German msgids (the interface is German first), in
``app/translations/<lang>/LC_MESSAGES/messages.po``; a message without a translation
shows in German. Questionnaire labels come from the questionnaire file, not from here.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, Response, current_app, g, request
from flask_babel import Babel, gettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

SOURCE_LANGUAGE = "de"
# The languages residents are offered, in the order of the language switch: German and
# every language whose catalogue is completely translated (tests/test_translations.py
# checks that). Catalogues for tr, ar, ru and uk exist but are not offered yet.
LANGUAGES: tuple[str, ...] = ("de", "en")
# A preference, not a secret: a plain cookie (until the browser is closed) keeps resident
# pages free of a signed session.
LANGUAGE_COOKIE = "lang"
# Dates and numbers for English readers in Germany: "1 February 2027", not "February 1".
FORMAT_LOCALES = {"en": "en_GB"}

babel = Babel()


def N_(text: str) -> str:  # noqa: N802 (the gettext convention, found by extraction)
    """Marks a message for the catalogue where it is translated later (by its key)."""
    return text


# Messages that views and error handlers name by a key: a template cannot show which
# text a key stands for, so the catalogue learns it here.
KEYED: dict[str, str] = {
    # legal pages
    "imprint_title": N_("Impressum"),
    "privacy_title": N_("Datenschutzerklärung"),
    "accessibility_title": N_("Erklärung zur Barrierefreiheit"),
    # code entry
    "code_unknown": N_("Dieser Zugangscode ist nicht gültig. Bitte prüfen Sie die Eingabe."),
    "code_used": N_("Mit diesem Zugangscode wurde die Befragung bereits abgeschlossen. "
                    "Vielen Dank!"),
    "code_missing": N_("Bitte geben Sie Ihren Zugangscode ein."),
    # field errors (questionnaires.model.FieldError kinds, with "error_" before them)
    "error_required": N_("Bitte beantworten Sie diese Frage."),
    "error_required_one": N_("Bitte wählen Sie mindestens eine Antwort."),
    "error_not_a_choice": N_("Diese Antwort ist keine der angebotenen Möglichkeiten."),
    "error_not_an_integer": N_("Bitte geben Sie eine ganze Zahl ein, z. B. 12."),
    "error_out_of_range": N_("Bitte geben Sie eine Zahl von %(min)s bis %(max)s ein."),
    "error_too_long": N_("Ihr Text ist %(length)s Zeichen lang; erlaubt sind höchstens "
                         "%(max)s."),
    # messages instead of a page
    "page_not_reached": N_("Diese Seite ist noch nicht an der Reihe. Bitte beantworten Sie "
                           "zuerst die vorherigen Seiten."),
    "no_draft": N_("Ihre Sitzung ist abgelaufen oder wurde nicht begonnen. Bitte beginnen "
                   "Sie auf der Startseite."),
    "changed_elsewhere": N_("Ihre Angaben wurden gerade an einem anderen Gerät geändert. Es "
                            "wurde nichts gespeichert; bitte prüfen Sie die Seite noch "
                            "einmal."),
    "unknown_field": N_("Das Formular enthielt ein unbekanntes Feld „%(field)s“. Es wurde "
                        "nichts gespeichert."),
    # error pages
    "not_found": N_("Diese Seite gibt es nicht."),
    "csrf_failed": N_("Das Formular ist abgelaufen oder unvollständig. Bitte laden Sie die "
                      "Seite neu und versuchen Sie es noch einmal. Es wurde nichts "
                      "gespeichert."),
    "forbidden": N_("Dafür fehlt Ihnen die Berechtigung."),
    "too_large": N_("Die gesendeten Daten sind zu groß."),
    "bad_request": N_("Die Anfrage war fehlerhaft."),
    "server_error": N_("Ein interner Fehler ist aufgetreten. Ihre bisherigen Antworten sind "
                       "gespeichert."),
}


def current_language() -> str:
    """The choice kept in the language cookie, else the browser's preference, else German
    (once per request)."""
    lang = g.get("lang")
    if lang is None:
        lang = request.cookies.get(LANGUAGE_COOKIE)
        if lang not in LANGUAGES:
            lang = _preferred(request.headers.get("Accept-Language", ""), LANGUAGES)
        g.lang = lang
    return lang


@lru_cache(maxsize=512)
def _preferred(accept_language: str, offered: tuple[str, ...]) -> str:
    """German unless the browser prefers an offered language (browsers send few distinct
    headers)."""
    return (parse_accept_header(accept_language, LanguageAccept).best_match(offered)
            or SOURCE_LANGUAGE)


@lru_cache(maxsize=None)
def locale(lang: str) -> Locale:
    """The babel locale of a language code (parsing one is slow: kept)."""
    return Locale.parse(lang)


def current_locale() -> Locale:
    """Flask-Babel's locale selector: the resident's choice, as a parsed locale."""
    return locale(current_language())


def text_for(key: str, **params: object) -> str:
    """The message ``key`` names (see KEYED) in the current language; numbers among
    ``params`` are written the language's way."""
    return gettext(KEYED[key], **{name: number(value) if isinstance(value, int) else value
                                  for name, value in params.items()})


def text_direction(lang: str) -> str:
    """'rtl' for a language written right to left (Arabic), else 'ltr'."""
    return "rtl" if locale(lang).character_order == "right-to-left" else "ltr"


@lru_cache(maxsize=64)
def language_name(lang: str) -> str:
    """The language's name in itself, as the language switch offers it ("Deutsch")."""
    name = locale(lang).get_display_name(lang)
    return name[:1].upper() + name[1:]


def other_languages(available: tuple[str, ...] | None = None) -> list[str]:
    """The offered languages (of ``available``, where given) the page is not in."""
    lang = current_language()
    return [code for code in LANGUAGES
            if code != lang and (available is None or code in available)]


def number(value: int | float) -> str:
    """A number in the resident's language (12, 1000, 12.345 in German)."""
    return _number(value, current_language())


@lru_cache(maxsize=1024)
def _number(value: int | float, lang: str) -> str:
    # Four digits stay together ("1000 Zeichen"), as German and English texts write them.
    return format_decimal(value, locale=locale(FORMAT_LOCALES.get(lang, lang)),
                          group_separator=abs(value) >= 10_000)


def local_date(day: date) -> str:
    """'1. Februar 2027' or '1 February 2027', in the resident's language."""
    return _local_date(day, current_language())


@lru_cache(maxsize=256)
def _local_date(day: date, lang: str) -> str:
    return format_date(day, format="long", locale=locale(FORMAT_LOCALES.get(lang, lang)))


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
    """Flask-Babel with the resident's choice as locale (its Jinja ``_`` and ``ngettext``
    read the compiled catalogues), and the helpers the templates use."""
    babel.init_app(app, default_locale=SOURCE_LANGUAGE, locale_selector=current_locale)
    app.before_request(take_language_choice)
    app.after_request(remember_language_choice)
    app.jinja_env.globals.update(
        current_language=current_language, text_for=text_for, text_direction=text_direction,
        language_name=language_name, other_languages=other_languages)
    app.jinja_env.filters.update(local_date=local_date, number=number)
