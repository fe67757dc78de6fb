"""The texts behind the resident pages' legal links (Impressum, privacy notice,
accessibility statement) and the municipality's contact for residents: what staff typed,
the platform's defaults, their checks, and the warnings the back office shows.

Staff type plain text: no HTML is taken from them. A blank line starts a new paragraph,
a single line break stays a line break (addresses), and a line starting with "# " is a
heading. Everything is escaped when it is shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from limits import parse_many
from markupsafe import Markup, escape

from reports.formatting import number

# Field -> (longest text, one line only). The letter is one page: its contact and paper
# texts are short enough to fit, with the longest name, even together.
LIMITS: dict[str, tuple[int, bool]] = {
    "imprint": (20_000, False),
    "privacy_notice": (50_000, False),
    "privacy_notice_en": (50_000, False),
    "accessibility_statement": (50_000, False),
    "accessibility_statement_en": (50_000, False),
    "contact_name": (80, True),
    "contact_phone": (30, True),
    "contact_email": (80, True),
    "paper_questionnaire": (200, False),
}
# The languages of the legal texts (staff's own and the platform's defaults): data, not
# interface texts, so they stay out of the gettext catalogues.
TEXT_LANGUAGES = ("de", "en")
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "paper_questionnaire")
LEGAL_FIELDS = ("imprint", "privacy_notice", "privacy_notice_en", "accessibility_statement",
                "accessibility_statement_en")
LABELS = {
    "imprint": "Impressum",
    "privacy_notice": "Datenschutzerklärung (deutsch)",
    "privacy_notice_en": "Datenschutzerklärung (englisch)",
    "accessibility_statement": "Erklärung zur Barrierefreiheit (deutsch)",
    "accessibility_statement_en": "Erklärung zur Barrierefreiheit (englisch)",
    "contact_name": "Ansprechperson",
    "contact_phone": "Telefon",
    "contact_email": "E-Mail",
    "paper_questionnaire": "So bekommt man einen Papierfragebogen",
}
# Control characters nobody types on purpose (PostgreSQL refuses NUL): removed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(r"[0-9+][0-9 ()/.\-–]*")
_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+")


@dataclass(frozen=True)
class ResidentTexts:
    """A municipality's texts for residents, as stored (None: not entered)."""

    imprint: str | None = None
    privacy_notice: str | None = None
    privacy_notice_en: str | None = None
    accessibility_statement: str | None = None
    accessibility_statement_en: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    paper_questionnaire: str | None = None

    @classmethod
    def of(cls, municipality: Any) -> ResidentTexts:
        """The texts of a Municipality row (or anything with these attributes)."""
        return cls(**{field.name: getattr(municipality, field.name)
                      for field in fields(cls)})

    @property
    def has_contact(self) -> bool:
        """Someone residents can reach: a phone number or an e-mail address."""
        return bool(self.contact_phone or self.contact_email)

    @property
    def shows_contact(self) -> bool:
        return bool(self.contact_name or self.has_contact or self.paper_questionnaire)


# --- checks -----------------------------------------------------------------------

def clean(text: str) -> str:
    """A typed text as it is stored: line breaks as LF, control characters removed,
    trailing blanks of each line and blank lines at both ends gone."""
    text = _CONTROL.sub("", re.sub(r"\r\n?", "\n", text).replace("\t", " "))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n").strip()


def check(form: Any, names: tuple[str, ...]) -> tuple[dict[str, str | None], dict[str, str]]:
    """The posted fields ``names`` as they would be stored (empty: None), and an error
    message per field that cannot be stored as typed."""
    values: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for name in names:
        longest, one_line = LIMITS[name]
        text = clean(form.get(name, ""))
        values[name] = text or None
        if len(text) > longest:
            errors[name] = (f"{LABELS[name]}: {number(len(text))} Zeichen, erlaubt sind "
                            f"höchstens {number(longest)}.")
        elif one_line and "\n" in text:
            errors[name] = f"{LABELS[name]}: bitte nur eine Zeile."
        elif name == "contact_phone" and text and not _PHONE.fullmatch(text):
            errors[name] = ("Telefon: nur Ziffern, Leerzeichen und + ( ) / - . – zum Beispiel "
                            "0561 787-1234.")
        elif name == "contact_email" and text and not _EMAIL.fullmatch(text):
            errors[name] = ("E-Mail: das ist keine E-Mail-Adresse (Beispiel: "
                            "befragung@stadt.example).")
    return values, errors


def warnings(texts: ResidentTexts) -> list[str]:
    """What is missing, as the back office says it; the resident pages work anyway."""
    found = []
    if not texts.imprint:
        found.append("Kein Impressum eingetragen. Ein Impressum ist Pflicht; bis es "
                     "eingetragen ist, sagt die Seite „Impressum“ der Befragung, dass die "
                     "Kommune noch keines eingetragen hat.")
    return found + letter_warnings(texts)


def letter_warnings(texts: ResidentTexts) -> list[str]:
    """What the invitation letters will lack (they are made anyway)."""
    found = []
    if not texts.has_contact:
        found.append("Keine Ansprechperson mit Telefon oder E-Mail eingetragen. Die "
                     "Einladungsschreiben nennen dann niemanden für Fragen, und die Erklärung "
                     "zur Barrierefreiheit verweist nur auf das Impressum.")
    if not texts.paper_questionnaire:
        found.append("Nicht eingetragen, wie man einen Papierfragebogen bekommt. Die "
                     "Einladungsschreiben sagen dann nichts dazu.")
    return found


# --- showing a text ---------------------------------------------------------------

def to_html(text: str) -> Markup:
    """Plain text as escaped HTML: blocks between blank lines become paragraphs, a line
    starting with '# ' a heading, other line breaks stay line breaks."""
    parts = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.strip().split("\n")]
        while lines and lines[0].startswith("# "):
            parts.append(Markup("<h2>{}</h2>").format(lines.pop(0)[2:].strip()))
        if lines:
            parts.append(Markup("<p>{}</p>").format(
                Markup("<br>\n").join(escape(line) for line in lines)))
    return Markup("\n").join(parts)


@dataclass(frozen=True)
class Shown:
    """A text as a resident page shows it: the text (None: nothing entered), its
    language, and whether it is the platform's default."""

    text: str | None
    lang: str
    is_default: bool = False


def imprint(texts: ResidentTexts) -> Shown:
    return Shown(texts.imprint, "de")


def _text_language(lang: str) -> str:
    """The language a legal text is shown in: these long texts (staff's and the
    defaults) exist in German and English only, not in every interface language."""
    return lang if lang in TEXT_LANGUAGES else "de"


def privacy_notice(texts: ResidentTexts, lang: str, municipality: str, min_n: int,
                   counter_minutes: int | None) -> Shown:
    """The municipality's privacy notice in ``lang`` (else its German one), else the
    default. ``counter_minutes``: how long a code entry's counter per address lives
    (None: code entries are not counted)."""
    lang = _text_language(lang)
    own = texts.privacy_notice_en if lang == "en" else texts.privacy_notice
    if own:
        return Shown(own, lang)
    if texts.privacy_notice:
        return Shown(texts.privacy_notice, "de")
    return Shown(default_privacy_notice(lang, municipality, min_n, counter_minutes,
                                        texts), lang, is_default=True)


def accessibility_statement(texts: ResidentTexts, lang: str, municipality: str) -> Shown:
    lang = _text_language(lang)
    own = texts.accessibility_statement_en if lang == "en" else texts.accessibility_statement
    if own:
        return Shown(own, lang)
    if texts.accessibility_statement:
        return Shown(texts.accessibility_statement, "de")
    return Shown(default_accessibility_statement(lang, municipality, texts), lang,
                 is_default=True)


def contact_lines(texts: ResidentTexts, lang: str = "de") -> list[str]:
    phone, email = ("Telefon", "E-Mail") if lang == "de" else ("Phone", "E-mail")
    return [line for line in (texts.contact_name,
                              texts.contact_phone and f"{phone}: {texts.contact_phone}",
                              texts.contact_email and f"{email}: {texts.contact_email}")
            if line]


# --- defaults ---------------------------------------------------------------------

def code_counter_minutes(config: Any) -> int | None:
    """How long the longest counter of code entries lives, from the app's rate-limit
    settings (None: nothing is counted), for the privacy notice."""
    if not config.get("RATELIMIT_ENABLED", True):
        return None
    seconds = [item.GRANULARITY.seconds * item.multiples
               for name in ("RATELIMIT_CODE_PER_IP", "RATELIMIT_CODE_PER_CODE")
               for item in parse_many(config.get(name) or "")]
    return max(1, -(-max(seconds) // 60)) if seconds else None


def _duration(minutes: int, lang: str) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        if lang == "de":
            return "einer Stunde" if hours == 1 else f"{hours} Stunden"
        return "one hour" if hours == 1 else f"{hours} hours"
    if lang == "de":
        return "einer Minute" if minutes == 1 else f"{minutes} Minuten"
    return "one minute" if minutes == 1 else f"{minutes} minutes"


def default_privacy_notice(lang: str, municipality: str, min_n: int,
                           counter_minutes: int | None, texts: ResidentTexts) -> str:
    """The platform's privacy notice: what it stores and what it does not, exactly as
    README ("For residents") and docs/anonymity.md describe it."""
    contact = "\n".join(contact_lines(texts, lang))
    if lang == "en":
        return _PRIVACY_EN.format(
            municipality=municipality, min_n=min_n,
            contact=(f"For questions about the survey, please contact:\n{contact}\n\n"
                     if contact else ""),
            counter=(_COUNTER_EN.format(duration=_duration(counter_minutes, "en"))
                     if counter_minutes else "")).strip()
    return _PRIVACY_DE.format(
        municipality=municipality, min_n=min_n,
        contact=f"Fragen zur Befragung beantwortet:\n{contact}\n\n" if contact else "",
        counter=(_COUNTER_DE.format(duration=_duration(counter_minutes, "de"))
                 if counter_minutes else "")).strip()


def default_accessibility_statement(lang: str, municipality: str,
                                    texts: ResidentTexts) -> str:
    contact = "\n".join(contact_lines(texts, lang))
    if lang == "en":
        feedback = (f"please contact:\n{contact}" if contact else
                    "please contact the office named in the legal notice (Impressum).")
        return _ACCESSIBILITY_EN.format(municipality=municipality, feedback=feedback).strip()
    feedback = (f"wenden Sie sich bitte an:\n{contact}" if contact else
                "wenden Sie sich bitte an die im Impressum genannte Stelle.")
    if texts.paper_questionnaire:
        feedback += f"\n\n{texts.paper_questionnaire}"
    return _ACCESSIBILITY_DE.format(municipality=municipality, feedback=feedback).strip()


_COUNTER_DE = """
# Schutz der Zugangscodes
Wenn Sie einen Zugangscode eingeben, zählt der Server die Eingaben je IP-Adresse und je Code, damit niemand Codes durch Ausprobieren erraten kann. Dafür steht Ihre IP-Adresse kurz in einem Zähler; der Code steht dort nur als nicht umkehrbare Prüfsumme. Die Zähler werden nach spätestens {duration} gelöscht und nie mit Ihren Antworten gespeichert. Das Aufrufen und Beantworten der Fragebogenseiten wird nicht gezählt.
"""

_COUNTER_EN = """
# Protecting the access codes
When you enter an access code, the server counts entries per IP address and per code so that nobody can guess codes by trying them out. For this your IP address is briefly held in a counter; the code is held there only as a checksum that cannot be reversed. The counters are deleted after {duration} at the latest and are never stored with your answers. Opening and answering the questionnaire pages is not counted.
"""

_PRIVACY_DE = """
Diese Erklärung gilt für die Online-Befragungen zum Sicherheitsempfinden auf diesen Seiten. Sie sagt genau, welche Daten dabei gespeichert werden und welche nicht.

# Verantwortliche Stelle
Verantwortlich ist: {municipality}. Anschrift und Vertretung stehen im Impressum. Die oder den behördlichen Datenschutzbeauftragten erreichen Sie unter derselben Anschrift.

{contact}# Freiwillige Teilnahme
Die Teilnahme ist freiwillig. Sie können jede Frage auslassen, die nicht als Pflichtfrage markiert ist, und jederzeit aufhören. Wenn Sie nicht teilnehmen, entsteht Ihnen kein Nachteil.

# Was mit Ihren Antworten gespeichert wird
Wenn Sie den Fragebogen absenden, wird gespeichert:
– Ihre Antworten, darunter Ihr Stadtteil (mit einem Zugangscode: der Stadtteil, an den Ihr Einladungsschreiben ging),
– das Datum des Absendens, ohne Uhrzeit,
– wie viele ganze Minuten das Ausfüllen gedauert hat,
– ob die Antworten online oder auf Papier eingegangen sind.

Nicht gespeichert werden: Ihr Name, Ihre Anschrift, Ihre IP-Adresse, Angaben zu Ihrem Gerät oder Browser, die Uhrzeit und Ihr Zugangscode. Es wird nirgends festgehalten, welche Antworten zu welchem Zugangscode gehören; gespeichert wird nur, dass ein Code genutzt wurde. Die Befragungsseiten protokollieren keine Aufrufe und laden nichts von anderen Servern (keine Schriften, Skripte, Karten oder Zählpixel Dritter).

# Solange Sie noch antworten
Bis zum Absenden wird Ihr Zwischenstand Seite für Seite gespeichert (die bisherigen Antworten und der Zeitpunkt, zu dem Sie begonnen haben, damit die Dauer in Minuten berechnet werden kann). So können Sie zurückblättern und später weitermachen, mit einem Zugangscode auch an einem anderen Gerät. Beim Absenden wird der Zwischenstand gelöscht. Ein nie abgesendeter Zwischenstand fließt nicht in die Auswertung ein; er bleibt gespeichert, solange die Befragung auf der Plattform besteht.
{counter}
# Cookies
Es werden nur Cookies gesetzt, die für die Befragung technisch nötig sind (§ 25 Abs. 2 Nr. 2 TDDDG), keine zur Analyse, zur Werbung oder von Dritten:
– „survey-…“ enthält eine Zufallszahl, an der der Server Ihren Zwischenstand erkennt und mit der er Ihre Formulare gegen Fälschung schützt;
– „lang“ merkt sich die Sprache, wenn Sie sie umschalten.
Beide Cookies enden, wenn Sie den Browser schließen.

# Auswertung und Veröffentlichung
Ausgewertet wird nur zusammengefasst, für die ganze Stadt und je Stadtteil. Die Ergebnisse werden mit der Polizei besprochen, zum Beispiel in den Sicherheitskonferenzen. Zahlen, die auf weniger als {min_n} Antworten beruhen, werden nicht veröffentlicht, ebenso Zahlen, aus denen sich solche Zahlen zurückrechnen ließen. Genannte Orte werden vor der Auswertung von E-Mail-Adressen, Telefonnummern und ähnlichen Angaben bereinigt. Einzelne Antwortbögen (ohne Namen) sehen nur die zuständigen Beschäftigten der Kommune; die Polizei sieht nur zusammengefasste Ergebnisse und keine einzelnen Freitextantworten.

# Rechtsgrundlage und Speicherdauer
Die Befragung dient einer Aufgabe im öffentlichen Interesse, der kommunalen Kriminalprävention (Art. 6 Abs. 1 Buchst. e DSGVO in Verbindung mit dem Datenschutzrecht des Landes). Abgesendete Antworten werden aufbewahrt, solange sie für die Auswertung und für den Vergleich mit späteren Befragungen gebraucht werden.

# Ihre Rechte
Sie haben das Recht auf Auskunft, Berichtigung, Löschung und Einschränkung der Verarbeitung sowie auf Widerspruch (Art. 15 bis 18 und 21 DSGVO). Abgesendete Antworten lassen sich keiner Person zuordnen; deshalb können sie nach dem Absenden nicht mehr gefunden, geändert oder gelöscht werden (Art. 11 DSGVO). Sie können sich bei einer Datenschutz-Aufsichtsbehörde beschweren, zum Beispiel bei der oder dem Landesbeauftragten für den Datenschutz Ihres Bundeslandes.
"""

_PRIVACY_EN = """
This notice applies to the online surveys on feeling safe on these pages. It states exactly which data are stored and which are not.

# Controller
The controller is: {municipality}. The address and the representative are given in the legal notice (Impressum). The data protection officer can be reached at the same address.

{contact}# Taking part is voluntary
Taking part is voluntary. You may skip any question that is not marked as required and stop at any time. Not taking part has no disadvantage for you.

# What is stored with your answers
When you submit the questionnaire, the following is stored:
– your answers, including your district (with an access code: the district your invitation letter was sent to),
– the date of submission, without the time,
– how many whole minutes filling it in took,
– whether the answers came online or on paper.

Not stored are: your name, your address, your IP address, information on your device or browser, the time of day and your access code. Nowhere is it recorded which answers belong to which access code; only the fact that a code was used is stored. The survey pages log no visits and load nothing from other servers (no third-party fonts, scripts, maps or tracking pixels).

# While you are answering
Until you submit, your progress is saved page by page (the answers so far and the moment you started, so that the duration in minutes can be calculated). This lets you go back and continue later, with an access code also on another device. Submitting deletes this progress. Progress that is never submitted is not analysed; it stays stored as long as the survey exists on the platform.
{counter}
# Cookies
Only cookies that the survey technically needs are set (§ 25 (2) no. 2 TDDDG), none for analytics, advertising or third parties:
– "survey-…" holds a random number by which the server recognises your progress and protects your forms against forgery;
– "lang" remembers the language if you switch it.
Both cookies end when you close your browser.

# Analysis and publication
Answers are only analysed in aggregate, for the whole town and per district. The results are discussed with the police, for example in the security conferences. Figures based on fewer than {min_n} answers are not published, nor are figures from which such figures could be worked out. Places that people name are cleaned of e-mail addresses, phone numbers and similar details before they are analysed. Single questionnaires (without names) are seen only by the responsible staff of the municipality; the police see only aggregated results and no single free-text answers.

# Legal basis and how long data are kept
The survey serves a task in the public interest, local crime prevention (Art. 6 (1) (e) GDPR together with the data protection law of the federal state). Submitted answers are kept as long as they are needed for the analysis and for comparison with later surveys.

# Your rights
You have the right of access, rectification, erasure and restriction of processing, and the right to object (Art. 15 to 18 and 21 GDPR). Submitted answers cannot be linked to any person; therefore they can no longer be found, changed or deleted once submitted (Art. 11 GDPR). You may lodge a complaint with a data protection supervisory authority, for example the data protection commissioner of your federal state.
"""

_ACCESSIBILITY_DE = """
Die Seiten der Online-Befragungen zum Sicherheitsempfinden sollen für alle barrierefrei zugänglich sein, nach den Vorschriften des Landes zur Umsetzung der Richtlinie (EU) 2016/2102. Verantwortlich dafür ist: {municipality}.

# Stand der Vereinbarkeit mit den Anforderungen
Die Befragungsseiten sind nach den Anforderungen der WCAG 2.1 in der Konformitätsstufe AA gestaltet (EN 301 549, BITV 2.0). Diese Erklärung beruht auf einer Selbstbewertung: Jede Änderung der Plattform wird automatisch mit axe-core geprüft, dazu die Bedienung mit der Tastatur und die Darstellung auf kleinen Bildschirmen. Eine Prüfung durch eine unabhängige Stelle liegt nicht vor.

Die Seiten funktionieren ohne JavaScript, mit Tastatur und mit Bildschirmlesern: Jede Frage hat eine Beschriftung, zusammengehörige Antworten sind gruppiert, Fehler stehen beim Feld und in einer Übersicht oben auf der Seite. Jede Antwortmöglichkeit ist mindestens 44 Pixel hoch und über die ganze Zeile anklickbar. Die Farben erfüllen die Kontrastanforderungen, der Text lässt sich vergrößern, und die Seiten lassen sich auf Deutsch und auf Englisch anzeigen.

# Nicht barrierefreie Inhalte
Erläuterungen in Leichter Sprache und in Deutscher Gebärdensprache werden bisher nicht angeboten. Das Einladungsschreiben ist ein gedruckter Brief; wer es nicht lesen kann, erhält Auskunft über die unten genannte Kontaktmöglichkeit.

# Feedback und Kontakt
Wenn Ihnen Barrieren auffallen oder Sie den Fragebogen in einer anderen Form brauchen, zum Beispiel auf Papier, {feedback}

# Durchsetzungsverfahren
Wenn Sie auf Ihre Rückmeldung keine zufriedenstellende Antwort erhalten, können Sie sich an die Durchsetzungs- oder Schlichtungsstelle für barrierefreie Informationstechnik Ihres Bundeslandes wenden.
"""

_ACCESSIBILITY_EN = """
The pages of the online surveys on feeling safe are meant to be accessible to everyone, in accordance with the state regulations implementing Directive (EU) 2016/2102. Responsible for this is: {municipality}.

# Compliance status
The survey pages are designed to meet WCAG 2.1 at conformance level AA (EN 301 549, BITV 2.0). This statement is based on a self-assessment: every change to the platform is checked automatically with axe-core, along with use by keyboard and display on small screens. No audit by an independent body has been carried out.

The pages work without JavaScript, with a keyboard and with screen readers: every question is labelled, answers that belong together are grouped, errors are shown next to the field and in a summary at the top of the page. Every answer option is at least 44 pixels high and clickable over its whole row. The colours meet the contrast requirements, text can be enlarged, and the pages can be shown in German and in English.

# Content that is not accessible
Explanations in Easy Language (Leichte Sprache) and in German Sign Language are not offered yet. The invitation letter is a printed letter; anyone who cannot read it can get information from the contact below.

# Feedback and contact
If you notice barriers or need the questionnaire in another form, for example on paper, {feedback}

# Enforcement procedure
If you do not receive a satisfactory answer to your feedback, you can turn to the enforcement or conciliation body for accessible information technology of your federal state.
"""
