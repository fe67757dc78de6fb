"""The interface catalogues in this folder: ``<lang>/LC_MESSAGES/messages.po`` (German
msgids) and the compiled ``messages.mo`` the app reads (both committed).

``python -m app.translations`` (``make translations``) extracts the texts named in
babel.cfg, updates every language's catalogue (a changed text turns fuzzy, a new one is
added untranslated, a text no longer used is dropped) and compiles them. A file is only
rewritten when its messages changed, so a run without changes leaves git clean.
A new language: ``python -m app.translations <lang>`` starts its catalogue.
"""
from __future__ import annotations

import io
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

FOLDER = Path(__file__).resolve().parent
ROOT = FOLDER.parents[1]
PROJECT = "Sicherheitsempfinden"
COMMENT_TAGS = ("TRANSLATORS:",)  # comments for translators, kept in the catalogues


def po_path(lang: str) -> Path:
    return FOLDER / lang / "LC_MESSAGES" / "messages.po"


def catalogue_languages() -> list[str]:
    """Every language with a catalogue (offered to residents or not yet)."""
    return sorted(path.parent.parent.name for path in FOLDER.glob("*/LC_MESSAGES/messages.po"))


def extract() -> Catalog:
    """The texts the code and templates named in babel.cfg ask for (German msgids)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping, "babel.cfg")
    template = Catalog(project=PROJECT, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=DEFAULT_KEYWORDS,
            comment_tags=COMMENT_TAGS, strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def read(lang: str) -> Catalog:
    with open(po_path(lang), "rb") as po:
        return read_po(po, locale=lang)


def po_bytes(catalog: Catalog) -> bytes:
    """A catalogue as its .po file is written (file names, no line numbers: moving a
    text within a file changes nothing)."""
    out = io.BytesIO()
    write_po(out, catalog, ignore_obsolete=True, include_lineno=False)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    """The compiled catalogue; untranslated and fuzzy messages are left out, so they
    show in German."""
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _write_if_changed(path: Path, content: bytes) -> bool:
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def is_translated(message: Message) -> bool:
    """Translated and checked by a translator (every plural form, not fuzzy)."""
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and all(strings)


def update(template: Catalog, lang: str) -> list[Path]:
    """Bring one catalogue up to ``template`` and compile it; the files rewritten."""
    if po_path(lang).exists():
        catalog = read(lang)
    else:
        catalog = Catalog(locale=lang, project=PROJECT, fuzzy=False, header_comment=(
            f"# {Locale.parse(lang).english_name} interface texts of {PROJECT}; the "
            "msgids are the German texts.\n#"))
    creation_date = catalog.creation_date
    catalog.update(template)
    for message in catalog:  # new texts: an empty msgstr per plural form of the language
        if message.pluralizable and not any(message.string or ()):
            message.string = ("",) * catalog.num_plurals
        elif not message.pluralizable and not message.string:
            message.string = ""
    content = po_bytes(catalog)  # dated now
    old = po_path(lang).read_bytes() if po_path(lang).exists() else None
    catalog.creation_date = creation_date
    if po_bytes(catalog) == old:
        content = old  # the same messages: the file keeps its date
    errors = [f"{message.id!r}: {error}" for message, found in catalog.check()
              for error in found]
    if errors:
        raise SystemExit(f"{lang}: " + "; ".join(errors))
    written = []
    if _write_if_changed(po_path(lang), content):
        written.append(po_path(lang))
    if _write_if_changed(po_path(lang).with_suffix(".mo"), mo_bytes(read(lang))):
        written.append(po_path(lang).with_suffix(".mo"))
    return written


def main(new_languages: list[str]) -> None:
    template = extract()
    for lang in sorted(set(catalogue_languages()) | set(new_languages)):
        for path in update(template, lang):
            print(f"written: {path.relative_to(ROOT)}")
        done = sum(1 for message in read(lang) if message.id and is_translated(message))
        print(f"{lang}: {done} of {len(template)} messages translated")
