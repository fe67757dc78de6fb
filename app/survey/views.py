"""Public survey pages for residents: start, one page at a time, thank-you."""
from __future__ import annotations

from typing import Any

from flask import (Blueprint, abort, current_app, make_response, redirect, render_template,
                   request, url_for)
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as HttpResponse

from .. import legal
from ..extensions import csrf, db
from ..i18n import LANGUAGES, current_language
from ..models import AccessMode, SurveyStatus
from ..ratelimits import code_entry_limits
from . import hot_path, service, used_codes, visitor
from .draft_store import drafts
from .hot_path import CSRF_MARK
from .service import SurveyContext

bp = Blueprint("survey", __name__, url_prefix="/s", template_folder="templates")
# Resident forms carry a token derived from the resident's key cookie instead of
# Flask-WTF's session-bound one; check_resident_csrf below checks every POST here.
csrf.exempt(bp)
# Staff's plain texts (legal pages, contact) as escaped paragraphs, for every template.
bp.add_app_template_filter(legal.to_html, "plain_text")

CONTROL_FIELDS = {"csrf_token", "action"}
LANGUAGE_ACTIONS = {f"lang-{code}": code for code in LANGUAGES}  # the page's language switch


@bp.record_once
def _set_up(state) -> None:
    """What the survey adds to the app: its draft store and caches, and the bitmap
    functions of used codes on SQLite."""
    hot_path.init_app(state.app)
    used_codes.init_app(state.app)


def _context(slug: str) -> SurveyContext:
    context = cached_survey(slug)
    if context is None or context.survey.status == SurveyStatus.DRAFT:
        abort(404)
    return context


def cached_survey(slug: str) -> SurveyContext | None:
    """The survey snapshot (see hot_path.cached_survey)."""
    return hot_path.cached_survey(slug, lambda: service.survey_snapshot(db.session, slug))


@bp.before_request
def check_resident_csrf() -> HttpResponse | None:
    if request.method != "POST":
        return None
    slug = (request.view_args or {}).get("slug", "")
    key = visitor.read_key(slug)
    try:
        visitor.check_csrf(key)
    except CSRFError:
        if (request.endpoint == "survey.begin" and visitor.draft_key(key)
                and request.form.get(visitor.CSRF_FIELD)):
            # A start page left open in a second tab, after beginning in the first: its
            # token belongs to the visitor key that beginning replaced. Nothing is
            # changed; the start page offers to continue.
            return redirect(url_for("survey.start", slug=slug), 303)
        raise
    return None


def _render_start(context: SurveyContext, key: str, status: int = 200, **extra: Any):
    """Start page; the common case (a new visitor, no code typed) is kept as HTML."""
    draft = service.find_draft(drafts(), context.survey, visitor.draft_key(key))
    availability = service.availability(context.survey)
    lang = current_language()
    cache_key = ("start", context.survey, availability, lang, request.path)
    return hot_path.shared_html(
        cache_key if draft is None and not any(extra.values()) else None,
        lambda: render_template("survey/start.html", context=context, draft=draft,
                                availability=availability, lang=lang, csrf=CSRF_MARK,
                                resume_nonce=visitor.new_nonce() if draft else None,
                                **extra),
        visitor.csrf_token(key)), status


def _start_page(context: SurveyContext, key: str | None, status: int, **extra: Any):
    """The start page; a browser without a key for this survey gets one here."""
    if key is not None:
        return _render_start(context, key, status, **extra)
    key = visitor.new_visitor_key()
    response = make_response(_render_start(context, key, status, **extra))
    visitor.keep_key(response, context.survey.slug, key)
    return response


@bp.get("/<slug>")
def start(slug: str):
    """Start page with the data-protection notice (and the code form)."""
    context = _context(slug)
    status = {"open": 200, "not_open": 403, "closed": 410}[service.availability(context.survey)]
    return _start_page(context, visitor.read_key(slug), status,
                       code=request.args.get("code", "")[:40])


@bp.post("/<slug>/start")
@code_entry_limits  # only when a code is typed: page views and saves are never counted
def begin(slug: str):
    """Begin (or resume with a code) and go to the resident's current page."""
    context = _context(slug)
    key = visitor.read_key(slug)  # checked with the CSRF token: not None
    if service.availability(context.survey) != "open":
        return _render_start(context, key, 403)
    code = None
    if context.survey.access_mode == AccessMode.CODES:
        typed = request.form.get("code", "")[:40]
        code = service.find_code(db.session, context.survey, typed) if typed.strip() else None
        if code is None:
            error = "code_unknown" if typed.strip() else "code_missing"
            return _render_start(context, key, 403 if typed.strip() else 422, code=typed,
                                 code_error=error)
        if service.code_taken(db.session, code):
            return _render_start(context, key, 409, code=typed, code_error="code_used")
    key = visitor.draft_key(key)
    if code is None and key is not None:  # an open-link draft, resumed from the start page
        nonce = request.form.get(visitor.RESUME_FIELD, "")
        if not visitor.is_nonce(nonce):  # not the start page's resume form
            return redirect(url_for("survey.start", slug=slug), 303)
        draft = _resume_open_draft(context, key, nonce)
    else:
        draft = service.find_draft(drafts(), context.survey, key)
    if draft is None or (code is not None and draft.code_id != code.id):
        # A new draft gets a new key: the visitor key of the start page never becomes one.
        district = (next((name for name, district_id in context.district_ids.items()
                          if district_id == code.district_id), None) if code else None)
        draft = service.start_draft(db.draft_engine, context.survey, code,
                                    service.given_answers(context.questionnaire, district),
                                    district)
        if draft is None:
            return _render_start(context, key, 409, code=request.form.get("code", "")[:40],
                                 code_error="code_used")
    first = service.resume_page(context.questionnaire, draft)
    return _with_draft(redirect(hot_path.page_url(slug, first)), slug, draft)


def _resume_open_draft(context: SurveyContext, key: str, nonce: str):
    """The open-link draft of this browser under a new key (session fixation: a key
    planted in the browser no longer reaches the draft once the resident resumes)."""
    new_key = service.resume_key(current_app.secret_key, key, nonce)
    draft = service.find_draft(drafts(), context.survey, key)
    if draft is not None:
        drafts().forget(context.survey.id, key)
        if service.rekey_draft(db.draft_engine, draft, new_key):
            return draft
    # The same form sent twice: its first tap re-keyed the draft a moment ago.
    return service.find_draft(drafts(), context.survey, new_key)


def _with_draft(response, slug: str, draft) -> HttpResponse:
    """``response``, telling the browser its draft's key and current revision."""
    response = make_response(response)
    visitor.keep_key(response, slug, draft.key, draft.revision)
    return response


def _draft_or_refuse(context: SurveyContext, key: str | None, index: int,
                     revision: int | None = None, for_save: bool = False):
    """The resident's draft, or an error page (with status) explaining what to do."""
    if service.availability(context.survey) != "open":
        return None, _start_page(context, key, 403)
    if not 0 <= index < len(context.questionnaire.pages):
        abort(404)
    key = visitor.draft_key(key)
    draft = service.find_draft(drafts(), context.survey, key, revision, for_save)
    if draft is None:
        if key:  # drafts end only with their response: a second click on "Absenden"
            return None, redirect(url_for("survey.thanks", slug=context.survey.slug, already=1))
        return None, _render_message(context, "no_draft", 403)
    if index not in service.allowed_pages(context.questionnaire, draft):
        return None, _render_message(context, "page_not_reached", 403, draft=draft)
    return draft, None


def _render_message(context: SurveyContext, message: str, status: int, draft=None, **params):
    resume_url = (hot_path.page_url(context.survey.slug,
                                    service.resume_page(context.questionnaire, draft))
                  if draft is not None else None)
    return render_template("survey/message.html", context=context, message=message,
                           params=params, resume_url=resume_url,
                           lang=current_language()), status


def _render_page(context: SurveyContext, draft, index: int, values: dict[str, list[str]],
                 errors: dict | None = None, status: int = 200,
                 given: dict[str, str] | None = None):
    questionnaire = context.questionnaire
    visible = questionnaire.visible_page_indexes(draft.answers)
    position, total = service.progress(questionnaire, draft.answers, index)
    page = questionnaire.pages[index]
    questions = page.visible_questions(draft.answers)
    is_last = not visible or index >= visible[-1]  # no visible page after this one
    lang = current_language()
    given = _given(context, draft) if given is None else given
    # A page not yet answered looks the same for everyone but its CSRF token, so its
    # HTML is kept per survey, districts, page, language, questions and progress.
    unanswered = not errors and not any(name in values for name in page.field_names()
                                        if name not in given)
    key = (context.survey, tuple(context.districts), index, lang,
           tuple(question.code for question in questions), position, total, is_last,
           tuple(given.items()))
    return hot_path.shared_html(key if unanswered else None, lambda: render_template(
        "survey/page.html", context=context, page=page, number=index + 1,
        questions=questions, values=values, errors=errors or {}, position=position,
        total=total, is_last=is_last, lang=lang, csrf=CSRF_MARK,
        given={name: dict(context.districts).get(code, code) for name, code in given.items()}
    ), visitor.csrf_token(draft.key)), status


def _given(context: SurveyContext, draft) -> dict[str, str]:
    """Answers this resident is not asked for (the district of their invitation code)."""
    return service.given_answers(context.questionnaire, draft.district)


def _values_from_answers(answers: dict[str, Any]) -> dict[str, list[str]]:
    return {name: [str(value)] for name, value in answers.items()}


@bp.get("/<slug>/page/<int:number>")
def page(slug: str, number: int):
    """One questionnaire page, filled with the answers given so far."""
    context = _context(slug)
    key, revision = visitor.read_cookie(slug)
    draft, refusal = _draft_or_refuse(context, key, number - 1, revision)
    if refusal:
        return refusal
    shown = _render_page(context, draft, number - 1, _values_from_answers(draft.answers))
    # Changed at another device since this browser last saw it: name the new revision.
    return shown if draft.revision == revision else _with_draft(shown, slug, draft)


# What a page post returns when the draft changed under it: read it again, try again.
_STALE = object()
ATTEMPTS = 3


@bp.post("/<slug>/page/<int:number>")
def save_page(slug: str, number: int) -> Any:
    """Validate and keep this page's answers, then go back, forward or finish."""
    context = _context(slug)
    key, revision = visitor.read_cookie(slug)
    for attempt in range(ATTEMPTS):
        # First the draft as this browser last saw it (perhaps still in memory), then
        # as the database has it now.
        draft, refusal = _draft_or_refuse(context, key, number - 1,
                                          revision if attempt == 0 else None, for_save=True)
        if refusal:
            return refusal
        outcome = _take_page(context, draft, number - 1)
        if outcome is not _STALE:
            return outcome
    return _render_message(context, "changed_elsewhere", 409, draft=draft)


def _take_page(context: SurveyContext, draft, index: int) -> Any:
    questionnaire = context.questionnaire
    unknown = sorted(set(request.form) - questionnaire.pages[index].field_names() - CONTROL_FIELDS)
    if unknown:
        return _render_message(context, "unknown_field", 400, draft=draft, field=unknown[0])
    given = _given(context, draft)
    answers, errors = {}, {}
    for question in questionnaire.pages[index].visible_questions(draft.answers):
        if question.code in given:  # not asked: whatever was posted, the code's stands
            continue
        question_answers, question_errors = question.parse(request.form, context.districts)
        answers.update(question_answers)
        errors.update(question_errors)
    answers.update(given)
    action = request.form.get("action")
    if action == "back" or action in LANGUAGE_ACTIONS:
        # Back (and a switch of language) keeps what is valid on this page (and the old
        # answer where the new one is not), without complaining about the rest.
        answers.update({name: draft.answers[name] for name in errors if name in draft.answers})
        merged = service.merge_page_answers(questionnaire, draft, index, answers)
        if action in LANGUAGE_ACTIONS:
            target = (f"{hot_path.page_url(context.survey.slug, index)}"
                      f"?lang={LANGUAGE_ACTIONS[action]}")
            return _saved(context, draft, merged, target)
        previous = service.previous_page(questionnaire, merged, index)
        target = (url_for("survey.start", slug=context.survey.slug) if previous is None
                  else hot_path.page_url(context.survey.slug, previous))
        return _saved(context, draft, merged, target)
    merged = service.merge_page_answers(questionnaire, draft, index, answers)
    if errors:
        values = {name: request.form.getlist(name) for name in request.form}
        return _render_page(context, draft, index, values, errors, status=422, given=given)
    following = service.next_page(questionnaire, merged, index)
    if following is not None:
        return _saved(context, draft, merged, hot_path.page_url(context.survey.slug, following),
                      reached_page=following)
    incomplete = questionnaire.missing_required(merged)
    if incomplete is not None:  # an earlier answer changed what is asked: ask it first
        return _saved(context, draft, merged, hot_path.page_url(context.survey.slug, incomplete))
    return _finish(context, draft, merged)


def _saved(context: SurveyContext, draft, answers: dict, target: str,
           reached_page: int | None = None) -> Any:
    """Save and go on to ``target``; _STALE if the draft changed in the meantime."""
    if not service.save_answers(drafts(), context.survey, draft, answers, reached_page):
        return _STALE
    return _with_draft(redirect(target), context.survey.slug, draft)


def _finish(context: SurveyContext, draft, answers: dict) -> Any:
    """Store the response (no separate save of the last page first)."""
    draft.answers = answers
    slug = context.survey.slug
    stored = service.complete(db.engine, context, draft)
    drafts().forget(context.survey.id, draft.key)
    if not stored and service.find_draft(drafts(), context.survey, draft.key) is not None:
        return _STALE  # still open: it had changed at another device
    # Gone: completed by a first click, in another tab or with the same code elsewhere.
    response = redirect(url_for("survey.thanks", slug=slug, already=None if stored else 1))
    visitor.drop_key(response, slug)
    return response


@bp.get("/<slug>/thanks")
def thanks(slug: str):
    """Thank-you page after the last page."""
    context = _context(slug)
    already = request.args.get("already") == "1"
    lang = current_language()
    return hot_path.shared_html(("thanks", context.survey, already, lang), lambda: (
        render_template("survey/thanks.html", context=context, already=already, lang=lang)),
        None)


# --- legal pages: the same for every resident, no draft and no cookie ------------------

@bp.get("/<slug>/impressum")
def imprint(slug: str):
    """The municipality's Impressum (or a plain note that it has entered none yet)."""
    context = _context(slug)
    return _render_legal(context, "imprint_title", legal.imprint(
        context.survey.municipality.texts))


@bp.get("/<slug>/datenschutz")
def privacy(slug: str):
    """The full data-protection notice: the municipality's, else the platform's default."""
    context = _context(slug)
    municipality = context.survey.municipality
    return _render_legal(context, "privacy_title", legal.privacy_notice(
        municipality.texts, current_language(), municipality.name, municipality.min_n,
        legal.code_counter_minutes(current_app.config)))


@bp.get("/<slug>/barrierefreiheit")
def accessibility(slug: str):
    """The accessibility statement: the municipality's, else the platform's template."""
    context = _context(slug)
    municipality = context.survey.municipality
    return _render_legal(context, "accessibility_title", legal.accessibility_statement(
        municipality.texts, current_language(), municipality.name))


def _render_legal(context: SurveyContext, title: str, shown: legal.Shown) -> str:
    # Rendered on every view (rarely asked for): a text changed in the back office shows
    # as soon as the survey snapshot is read again, after SURVEY_CACHE_SECONDS at most.
    return render_template("survey/legal.html", context=context, title=title, shown=shown,
                           lang=current_language())
