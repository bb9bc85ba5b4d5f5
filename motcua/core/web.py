"""Rendering business errors on pages: field errors onto forms, the rest as messages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from motcua.core.errors import InvalidInputs, MotcuaError


def add_error_to_form(form: forms.BaseForm, error: MotcuaError) -> None:
    """Attach each field error to its form field (or to the form when the field is unknown)."""
    errors = error.errors if isinstance(error, InvalidInputs) else [error]
    for item in errors:
        field = item.field if item.field in form.fields else None
        form.add_error(field, item.message)


def flash_error(request: HttpRequest, error: MotcuaError) -> None:
    errors = error.errors if isinstance(error, InvalidInputs) else [error]
    for item in errors:
        messages.error(request, item.message)
