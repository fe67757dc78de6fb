"""Back office: overview, municipalities, districts and population, audit log."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import audit, legal
from ..auth.access import STAFF_ROLES, login_required, municipality_or_404, \
    visible_municipality_ids
from ..extensions import db
from ..models import District, Municipality, PopulationCell, Survey
from ..municipal import SetupError, create_municipality, set_min_n
from ..survey.views import forget_cached_survey
from .districts import import_districts
from .tabular import TableError

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice", template_folder="templates")
# What a municipality's letters will lack (backoffice/_letter_contact.html).
bp.add_app_template_global(
    lambda municipality: legal.letter_warnings(legal.ResidentTexts.of(municipality)),
    "letter_warnings")


def uploaded(name: str) -> tuple[bytes, str] | None:
    """An uploaded file as (content, file name), or None when the field was left empty."""
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload.read(), upload.filename


@bp.get("/")
@login_required()
def home():
    """The municipalities (and their surveys) that the user may see."""
    ids = visible_municipality_ids(current_user)
    query = select(Municipality).order_by(Municipality.name)
    if ids is not None:
        query = query.where(Municipality.id.in_(ids))
    municipalities = db.session.scalars(query).all()
    surveys = db.session.scalars(select(Survey).where(
        Survey.municipality_id.in_([m.id for m in municipalities])).order_by(Survey.slug)).all()
    return render_template("backoffice/home.html", municipalities=municipalities,
                           surveys=surveys)


@bp.route("/municipalities/new", methods=["GET", "POST"])
@login_required("admin")
def new_municipality():
    """Create a municipality (programme office only)."""
    if request.method == "GET":
        return render_template("backoffice/municipality_new.html")
    slug, name = request.form.get("slug", "").strip(), request.form.get("name", "")
    try:
        municipality = create_municipality(db.session, slug, name)
    except SetupError as error:
        return render_template("backoffice/municipality_new.html", error=str(error),
                               slug=slug, name=name), 422
    audit.record(db.session, "municipality_created", slug, user_email=current_user.email,
                 municipality_id=municipality.id)
    db.session.commit()
    return redirect(url_for("backoffice.municipality", slug=slug))


@bp.get("/m/<slug>")
@login_required()
def municipality(slug: str):
    """Districts, population and survey waves of one municipality."""
    return _municipality_page(municipality_or_404(slug))


def _municipality_page(target: Municipality, status: int = 200,
                       typed: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None):
    """The municipality page; after a refused form, with what was typed and why."""
    population = dict(db.session.execute(
        select(PopulationCell.district_id, func.sum(PopulationCell.population))
        .join(District, District.id == PopulationCell.district_id)
        .where(District.municipality_id == target.id)
        .group_by(PopulationCell.district_id)).all())
    surveys = db.session.scalars(select(Survey).where(Survey.municipality_id == target.id)
                                 .order_by(Survey.created_at.desc())).all()
    texts = legal.ResidentTexts.of(target)
    values = {name: getattr(texts, name) or "" for name in legal.LIMITS}
    values["min_n"] = str(target.min_n)
    values.update(typed or {})
    defaults = {"privacy": legal.default_privacy_notice(
                    "de", target.name, target.min_n,
                    legal.code_counter_minutes(current_app.config), texts),
                "accessibility": legal.default_accessibility_statement("de", target.name, texts)}
    return render_template("backoffice/municipality.html", municipality=target,
                           population=population, surveys=surveys, values=values,
                           errors=errors or {}, warnings=legal.warnings(texts),
                           defaults=defaults, limits=legal.LIMITS), status


@bp.post("/m/<slug>/districts")
@login_required(*STAFF_ROLES)
def import_district_files(slug: str):
    """Import districts, population and boundaries from uploaded files (all or nothing)."""
    target = municipality_or_404(slug)
    districts, population, geojson = (uploaded("districts"), uploaded("population"),
                                      uploaded("geojson"))
    if not any((districts, population, geojson)):
        flash("Bitte mindestens eine Datei auswählen.")
        return redirect(url_for("backoffice.municipality", slug=slug))
    try:
        summary = import_districts(db.session, target, districts, population, geojson)
    except TableError as error:
        db.session.rollback()
        return render_template("backoffice/import_errors.html", problems=error.problems,
                               back=url_for("backoffice.municipality", slug=slug)), 422
    audit.record(db.session, "districts_imported", str(summary), user_email=current_user.email,
                 municipality_id=target.id)
    db.session.commit()
    flash(f"Importiert: {summary}.")
    return redirect(url_for("backoffice.municipality", slug=slug))


# The settings forms of the municipality page, by their hidden field "section".
TEXT_SECTIONS = {"contact": legal.CONTACT_FIELDS, "legal": legal.LEGAL_FIELDS}


@bp.post("/m/<slug>/settings")
@login_required(*STAFF_ROLES)
def settings(slug: str):
    """The disclosure threshold (min_n), the contact for residents or the legal texts."""
    target = municipality_or_404(slug)
    section = request.form.get("section", "min_n")
    if section in TEXT_SECTIONS:
        return _save_texts(target, TEXT_SECTIONS[section])
    text = request.form.get("min_n", "").strip()
    try:
        set_min_n(target, int(text) if re.fullmatch(r"[0-9]{1,6}", text) else -1)
    except SetupError as error:
        return _municipality_page(target, 422, {"min_n": text[:20]}, {"min_n": str(error)})
    audit.record(db.session, "min_n_changed", str(target.min_n), user_email=current_user.email,
                 municipality_id=target.id)
    db.session.commit()
    _forget_surveys(target)
    flash(f"Mindestfallzahl ist jetzt {target.min_n}.")
    return redirect(url_for("backoffice.municipality", slug=slug))


def _save_texts(target: Municipality, names: tuple[str, ...]):
    """Store the posted texts, or show the page again with each problem at its field."""
    values, errors = legal.check(request.form, names)
    if errors:
        typed = {name: request.form.get(name, "") for name in names}
        return _municipality_page(target, 422, typed, errors)
    changed = [legal.LABELS[name] for name in names if getattr(target, name) != values[name]]
    for name in names:
        setattr(target, name, values[name])
    audit.record(db.session, "resident_texts_changed", ", ".join(changed) or "keine Änderung",
                 user_email=current_user.email, municipality_id=target.id)
    db.session.commit()
    _forget_surveys(target)
    flash(f"Gespeichert: {', '.join(changed)}." if changed else "Keine Änderung.")
    return redirect(url_for("backoffice.municipality", slug=target.slug))


def _forget_surveys(target: Municipality) -> None:
    """This worker shows the change on resident pages at once (others after
    SURVEY_CACHE_SECONDS)."""
    for slug in db.session.scalars(select(Survey.slug).where(
            Survey.municipality_id == target.id)):
        forget_cached_survey(slug)


@bp.get("/m/<slug>/audit")
@login_required(*STAFF_ROLES)
def audit_log(slug: str):
    """Who did what when in this municipality (latest first), filtered by GET parameters."""
    target = municipality_or_404(slug)
    return _audit_page(target)


@bp.get("/audit")
@login_required("admin")
def audit_log_all():
    """All audit events, including logins (programme office only)."""
    return _audit_page(None)


def _audit_page(target: Municipality | None):
    page = audit.audit_page(db.session, target.id if target else None, request.args)
    return render_template("backoffice/audit.html", municipality=target,
                           page=page), 422 if page.chosen.errors else 200
