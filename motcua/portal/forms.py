"""Forms of the citizen portal.

They only carry the shape of the input (which fields, which widgets). Every rule of an e-form
or an attachment is checked by the dossier services, whose errors name the field and the rule
and are put back on these forms with ``attach_errors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from motcua.catalog.eform import choice_label, label_of
from motcua.catalog.models import RequiredDocument
from motcua.core.errors import InvalidInputs, MotcuaError
from motcua.core.web import add_error_to_form
from motcua.dossiers.uploads import Upload

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
ATTACHMENT_PREFIX = "tep_"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentField(forms.FileField):
    """Zero or more files for one dossier component; their content is checked by the service."""

    widget = MultipleFileInput

    def __init__(self, *, document: RequiredDocument, required: bool, **kwargs: Any) -> None:
        self.document = document
        super().__init__(required=required, **kwargs)
        self.widget.attrs.update({"accept": ACCEPT, "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files and self.required:
            raise forms.ValidationError(
                _("Cần đính kèm “%(label)s”."), code="required", params={"label": self.label}
            )
        return files


def _attachment_fields(documents: Iterable[RequiredDocument]) -> dict[str, AttachmentField]:
    limit_mb = settings.MOTCUA_UPLOAD_MAX_BYTES // (1024 * 1024)
    fields = {}
    for document in documents:
        if document.upload == "none":
            continue
        hint = _("PDF, JPEG hoặc PNG, mỗi tệp tối đa %(limit)s MB.") % {"limit": limit_mb}
        fields[ATTACHMENT_PREFIX + document.key] = AttachmentField(
            document=document,
            required=document.upload == "required",
            label=document.name,
            help_text=f"{document.quantity} · {hint}" if document.quantity else hint,
        )
    return fields


def _eform_field(spec: dict[str, Any]) -> forms.Field:
    """A plain text field with the widget that suits the schema type; no rules of its own."""
    kind = spec["type"]
    attrs: dict[str, Any] = {}
    widget: forms.Widget
    if kind == "choice":
        choices = [("", "—")] + [
            (c["value"], choice_label(spec, c["value"])) for c in spec.get("choices", [])
        ]
        widget = forms.Select(choices=choices)
    elif kind == "date":
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    elif kind == "integer":
        widget = forms.NumberInput(attrs={"min": spec.get("min", 0), "max": spec.get("max")})
    elif kind == "email":
        widget = forms.EmailInput(attrs={"autocomplete": "email"})
    elif kind == "phone":
        widget = forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"})
    elif kind == "id_number":
        widget = forms.TextInput(
            attrs={"inputmode": "numeric", "maxlength": 14, "autocomplete": "off"}
        )
    else:
        widget = forms.TextInput(attrs={"maxlength": spec.get("max_length", 255)})
    if spec.get("required"):
        attrs["required"] = True
    widget.attrs.update(attrs)
    field = forms.CharField(label=label_of(spec), required=False, widget=widget)
    field.schema_required = bool(spec.get("required"))  # type: ignore[attr-defined]
    return field


def _valid_token(value: str) -> None:
    if not _TOKEN.match(value or ""):
        raise forms.ValidationError(
            _("Phiên biểu mẫu không hợp lệ; hãy tải lại trang và nộp lại."), code="form_token"
        )


class ApplyForm(forms.Form):
    """The e-form of a procedure (generated from its ``form_schema``) and its attachments."""

    center = forms.CharField(
        widget=forms.HiddenInput,
        max_length=80,
        error_messages={
            "required": _("Chưa chọn nơi nộp hồ sơ (Trung tâm Phục vụ hành chính công).")
        },
    )
    form_token = forms.CharField(
        widget=forms.HiddenInput, required=False, validators=[_valid_token]
    )

    def __init__(
        self,
        *args: Any,
        schema: list[dict[str, Any]],
        documents: Iterable[RequiredDocument],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema
        self.eform_names = [spec["name"] for spec in schema]
        for spec in schema:
            self.fields[spec["name"]] = _eform_field(spec)
        self.documents = list(documents)
        self.attachments = _attachment_fields(self.documents)
        self.fields.update(self.attachments)

    def clean_form_token(self) -> str:
        token: str = self.cleaned_data.get("form_token") or ""
        if not token:
            _valid_token(token)
        return token

    def eform_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.eform_names]

    def attachment_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.attachments]

    def document_rows(self) -> list[tuple[RequiredDocument, forms.BoundField | None]]:
        """Every component of the dossier with its file field (None: filled in on the e-form)."""
        rows = []
        for document in self.documents:
            name = ATTACHMENT_PREFIX + document.key
            rows.append((document, self[name] if name in self.fields else None))
        return rows

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) of every error, for the list at the top of the page."""
        return [
            (self._anchor(name), str(message))
            for name, messages in self.errors.items()
            for message in messages
        ]

    def _anchor(self, name: str) -> str:
        if name == "center":
            return "field-center"
        if name == NON_FIELD_ERRORS or name not in self.fields or self[name].is_hidden:
            return ""
        return f"field-{name}"

    def form_data(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in self.eform_names}

    def uploads(self) -> tuple[list[Upload], dict[str, str]]:
        return collect_uploads(self)


class SupplementForm(forms.Form):
    """The applicant answers a supplement request with files and/or a note."""

    note = forms.CharField(
        label=_("Ghi chú gửi cán bộ"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, documents: Iterable[RequiredDocument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attachments = _attachment_fields(documents)
        for field in self.attachments.values():
            field.required = False
        self.fields.update(self.attachments)

    def attachment_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.attachments]

    def uploads(self) -> tuple[list[Upload], dict[str, str]]:
        return collect_uploads(self)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do rút hồ sơ"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TrackDownloadForm(forms.Form):
    """Code and the requester's ID number, to reach the dossier page from the status page."""

    code = forms.CharField(
        label=_("Mã hồ sơ"),
        max_length=50,
        error_messages={"required": _("“Mã hồ sơ” là bắt buộc.")},
    )
    id_number = forms.CharField(
        label=_("Số định danh cá nhân của người nộp"),
        max_length=20,
        error_messages={"required": _("“Số định danh cá nhân” là bắt buộc.")},
        validators=[
            RegexValidator(
                r"^[0-9]{12}$",
                _("Số định danh cá nhân phải gồm đúng 12 chữ số."),
                code="id_format",
            )
        ],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_id_number(self) -> str:
        return str(self.cleaned_data["id_number"]).replace(" ", "")

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()


def collect_uploads(form: ApplyForm | SupplementForm) -> tuple[list[Upload], dict[str, str]]:
    """The files of the form as ``Upload`` objects, in order, and where each one came from:
    the service names a bad file ``files[<index>]``, the form needs its own field name.

    At most one byte over the size limit is read: the service refuses the file by its size
    without the whole of an oversized file being held in memory."""
    limit = settings.MOTCUA_UPLOAD_MAX_BYTES
    uploads: list[Upload] = []
    origin: dict[str, str] = {}
    for name, field in form.attachments.items():
        for uploaded in form.cleaned_data.get(name) or []:
            origin[f"files[{len(uploads)}]"] = name
            uploaded.seek(0)
            content = uploaded.read(limit + 1)
            uploads.append(
                Upload(
                    name=uploaded.name or "",
                    content=content,
                    component_key=field.document.key,
                )
            )
    return uploads, origin


def attach_errors(form: forms.BaseForm, error: MotcuaError, origin: dict[str, str]) -> None:
    """Put a service error on the form, a bad file on the field it was attached to."""
    items = error.errors if isinstance(error, InvalidInputs) else [error]
    for item in items:
        if item.field in origin:
            item.field = origin[item.field]
    add_error_to_form(form, error)
