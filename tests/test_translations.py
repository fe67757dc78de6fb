"""The interface catalogues: complete where offered, up to date with the code and
templates, compiled; and what a resident sees of the locale (lang, dir, numbers, dates)."""
from __future__ import annotations

from datetime import date

import pytest

from app import i18n
from app.translations import catalogue_languages, extract, is_translated, mo_bytes, po_path, read

MAKE = "run `make translations` and commit app/translations"


@pytest.fixture(scope="module")
def extracted() -> set:
    return {message.id for message in extract() if message.id}


def test_every_text_of_code_and_templates_is_in_every_catalogue(extracted):
    assert len(extracted) > 50  # the extraction found the templates and app/i18n.py
    assert "Befragung beginnen" in extracted and "Impressum" in extracted
    for lang in catalogue_languages():
        in_catalogue = {message.id for message in read(lang) if message.id}
        assert not extracted - in_catalogue, f"{lang}: missing texts; {MAKE}"
        assert not in_catalogue - extracted, f"{lang}: texts nobody uses; {MAKE}"


def test_catalogues_are_started_for_the_next_languages():
    assert {"en", "tr", "ar", "ru", "uk"} <= set(catalogue_languages())
    assert i18n.SOURCE_LANGUAGE == i18n.LANGUAGES[0]


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES
                                  if lang != i18n.SOURCE_LANGUAGE])
def test_an_offered_language_is_completely_translated(lang):
    catalog = read(lang)
    untranslated = [message.id for message in catalog
                    if message.id and not is_translated(message)]
    assert not untranslated, f"{lang}: untranslated or fuzzy: {untranslated[:5]}"
    problems = [(message.id, errors) for message, errors in catalog.check()]
    assert not problems  # e.g. a placeholder the German text does not have


@pytest.mark.parametrize("lang", catalogue_languages())
def test_the_committed_mo_file_is_compiled_from_the_po_file(lang):
    mo = po_path(lang).with_suffix(".mo")
    assert mo.exists() and mo.read_bytes() == mo_bytes(read(lang)), \
        f"{mo} is not compiled from the current .po; {MAKE}"


def test_numbers_and_dates_in_the_residents_language(app):
    for lang, expected in (("de", ("12", "1000", "12.345", "1. Februar 2027")),
                           ("en", ("12", "1000", "12,345", "1 February 2027"))):
        with app.test_request_context(f"/?lang={lang}"):
            app.preprocess_request()
            shown = (i18n.number(12), i18n.number(1000), i18n.number(12345),
                     i18n.local_date(date(2027, 2, 1)))
        assert shown == expected


def test_only_offered_languages_are_chosen(client, survey):
    """A catalogue that is only started (Turkish) is never chosen, not even when the
    browser asks for it first."""
    html = client.get("/s/kassel-2026?lang=tr",
                      headers={"Accept-Language": "tr, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Start the survey" in html
    assert "lang=tr" not in html and "Türkçe" not in html
    assert client.get_cookie("lang") is None


def test_a_right_to_left_language_sets_dir_and_falls_back_to_german(
        client, survey, monkeypatch):
    """Offering Arabic needs its catalogue only: <html> gets lang and dir from the
    locale, and a text without translation shows in German meanwhile."""
    monkeypatch.setattr(i18n, "LANGUAGES", ("de", "en", "ar"))
    html = client.get("/s/kassel-2026?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "Befragung beginnen" in html  # the empty Arabic msgstr: German
    # The switch names each language in itself and marks the direction it changes to.
    assert '<a class="language-switch" href="/s/kassel-2026?lang=de" lang="de"' in html
    assert 'hreflang="en" dir="ltr">English</a>' in html
    # The legal texts exist in German and English: the German one, marked as such.
    privacy = client.get("/s/kassel-2026/datenschutz").get_data(as_text=True)
    assert '<p class="hint">Dieser Text liegt nur auf Deutsch vor.</p>' in privacy
    assert '<div class="legal-text" lang="de" dir="ltr">' in privacy
    # Survey pages offer the questionnaire's languages (German and English here); other
    # pages every offered language.
    german = client.get("/s/gibt-es-nicht?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in german and 'hreflang="ar" dir="rtl">العربية</a>' in german


def test_the_wait_after_too_many_attempts_is_counted_in_the_language(app):
    from flask_babel import ngettext

    for lang, one, five in (("de", "eine Minute", "5 Minuten"),
                            ("en", "a minute", "5 minutes")):
        with app.test_request_context(f"/?lang={lang}"):
            app.preprocess_request()
            assert [ngettext("eine Minute", "%(minutes)s Minuten", n, minutes=n)
                    for n in (1, 5)] == [one, five]
