"""What every staff form shares: an uploaded file, an action's refusal put beside its
field, and the helpers that backoffice/_form.html renders errors, summary and aria
attributes with."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import Field

from .actions import ActionError


def init_app(app: Flask) -> None:
    for helper in (field_errors, summary_of, control_attrs):
        app.add_template_global(helper)


def field_errors(field: Field) -> dict[str, str | list[str]]:
    """A field's errors as backoffice/_form.html shows them: one message, or a list."""
    errors = list(field.errors)
    if not errors:
        return {}
    return {field.name: errors[0] if len(errors) == 1 else errors}


def summary_of(form: FlaskForm) -> tuple[dict[str, str | list[str]], dict[str, str]]:
    """(errors, labels) of a form for the error summary, in the fields' order; a
    problem of no single field (form_errors) is listed under 'form'."""
    errors: dict[str, str | list[str]] = {}
    labels: dict[str, str] = {}
    for field in form:
        if field.errors and field.name != "csrf_token":
            errors.update(field_errors(field))
            labels[field.name] = field.label.text
    if form.form_errors:
        errors["form"] = " · ".join(form.form_errors)
    return errors, labels


def control_attrs(name: str, errors: dict, hint: str | None = None, **extra: Any
                  ) -> dict[str, Any]:
    """The attributes of a field's control: its hint and error (aria), and ``extra``."""
    described = ([f"h-{name}"] if hint else []) + ([f"e-{name}"] if name in errors else [])
    attrs = {key: value for key, value in extra.items() if value is not None}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if name in errors:
        attrs["aria-invalid"] = "true"
    return attrs


def refused(form: FlaskForm, error: ActionError) -> None:
    """Put an action's refusal beside the field it concerns (or on top of the form)."""
    for name, message in error.by_field().items():
        lines = [message] if isinstance(message, str) else message
        if name in form:
            form[name].errors = [*form[name].errors, *lines]
        else:
            form.form_errors.extend(lines)


def uploaded(field: Field) -> tuple[bytes, str] | None:
    """An uploaded file as (content, file name), or None when the field was left empty."""
    upload = field.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        return None
    return upload.read(), upload.filename
