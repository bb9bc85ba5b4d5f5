"""Forms of the officers' pages: one per desk action, and the counter e-form.

Forms only parse. The rules (a reason is required, the assignee must be a specialist of the unit,
the e-form's field rules) live in the services, whose errors land on these forms' fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.backoffice import selectors
from motcua.catalog.eform import choice_label, label_of
from motcua.catalog.models import Procedure
from motcua.dossiers.models import Dossier
from motcua.dossiers.uploads import Upload

REASON_MAX = 2000


def _name_the_field(form: forms.BaseForm) -> None:
    """Django's stock messages do not say which field is wrong; ours do."""
    for field in form.fields.values():
        label = str(field.label)
        field.error_messages["required"] = _("“%(label)s” là bắt buộc.") % {"label": label}
        if getattr(field, "max_length", None):
            field.error_messages["max_length"] = _("“%(label)s” dài quá %(limit)s ký tự.") % {
                "label": label,
                "limit": field.max_length,  # type: ignore[attr-defined]
            }
        field.error_messages["invalid_choice"] = _(
            "“%(label)s” phải là một trong các lựa chọn của biểu mẫu."
        ) % {"label": label}


def _textarea(label: Any, *, rows: int = 3, required: bool = True, help_text: Any = "") -> Any:
    attrs: dict[str, Any] = {"rows": rows}
    if required:
        # The browser hint; the service gives the message when it is bypassed.
        attrs["required"] = True
    return forms.CharField(
        label=label,
        required=False,
        max_length=REASON_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs=attrs),
    )


class ActionForm(forms.Form):
    """A desk action. ``arguments()`` gives the keyword arguments of the service call."""

    def __init__(self, *args: Any, dossier: Dossier, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.action = action
        _name_the_field(self)

    def arguments(self) -> dict[str, Any]:
        return {}


class ReasonForm(ActionForm):
    reason = _textarea(gettext_lazy("Lý do"))

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"]}


class RefuseForm(ReasonForm):
    reason = _textarea(gettext_lazy("Lý do từ chối tiếp nhận"))


class StopForm(ReasonForm):
    reason = _textarea(gettext_lazy("Lý do dừng xử lý"))


class SendBackForm(ReasonForm):
    reason = _textarea(gettext_lazy("Lý do trả lại, nội dung cần xử lý lại"))


class SupplementRequestForm(ActionForm):
    """Mẫu 02: every missing item at once (Decree 61/2018 Art. 15(3))."""

    items = _textarea(
        gettext_lazy("Giấy tờ cần bổ sung"),
        rows=4,
        help_text=gettext_lazy("Mỗi dòng một giấy tờ; liệt kê đầy đủ trong một lần."),
    )
    reason = _textarea(gettext_lazy("Lý do, hướng dẫn bổ sung"))

    def arguments(self) -> dict[str, Any]:
        lines = self.cleaned_data["items"].splitlines()
        return {
            "items": [line.strip() for line in lines if line.strip()],
            "reason": self.cleaned_data["reason"],
        }


class ProcessingNoteForm(ActionForm):
    note = _textarea(gettext_lazy("Ý kiến xử lý, đề xuất"), rows=4)

    def arguments(self) -> dict[str, Any]:
        return {"note": self.cleaned_data["note"]}


class ApprovalForm(ActionForm):
    note = _textarea(gettext_lazy("Ý kiến phê duyệt (không bắt buộc)"), rows=2, required=False)

    def arguments(self) -> dict[str, Any]:
        return {"note": self.cleaned_data["note"]}


class AssignForm(ActionForm):
    assignee = forms.TypedChoiceField(
        label=gettext_lazy("Chuyên viên xử lý"), coerce=int, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 (declared above)
        specialists = selectors.specialists_of(self.dossier.competent_agency)
        field.choices = [("", "—")] + [(user.pk, str(user)) for user in specialists]
        field.initial = self.dossier.assignee_id
        field.widget.attrs["required"] = True

    def arguments(self) -> dict[str, Any]:
        return {"assignee_id": self.cleaned_data["assignee"] or 0}


# --- counter registration ----------------------------------------------------------------------

_INPUT_TYPES = {"date": "date", "phone": "tel", "email": "email", "integer": "number"}
FILE_PREFIX = "tep_"


def _eform_field(spec: dict[str, Any]) -> forms.Field:
    attrs: dict[str, Any] = {"autocomplete": "off"}
    if spec.get("required"):
        attrs["required"] = True
    if "max_length" in spec:
        attrs["maxlength"] = spec["max_length"]
    if spec["type"] == "id_number":
        attrs.update(inputmode="numeric", maxlength=12)
    if spec["type"] == "integer":
        attrs.update(min=spec.get("min", 0), max=spec.get("max", 10**9))
    widget: forms.Widget
    if spec["type"] == "choice":
        options = [(c["value"], choice_label(spec, c["value"])) for c in spec.get("choices", [])]
        widget = forms.Select(attrs=attrs, choices=[("", "—"), *options])
    else:
        widget = forms.TextInput(attrs={"type": _INPUT_TYPES.get(spec["type"], "text"), **attrs})
    return forms.CharField(label=label_of(spec), required=False, widget=widget)


class CounterRegistrationForm(forms.Form):
    """The procedure's e-form, built from its schema, plus one file per uploadable component."""

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.schema_names = [spec["name"] for spec in procedure.form_schema]
        self.required_names = {s["name"] for s in procedure.form_schema if s.get("required")}
        for spec in procedure.form_schema:
            self.fields[spec["name"]] = _eform_field(spec)
        self.file_fields: dict[str, str] = {}
        for document in procedure.documents.all():
            if document.upload == "none":
                continue
            name = FILE_PREFIX + document.key
            self.fields[name] = forms.FileField(
                label=document.name,
                required=False,
                allow_empty_file=True,
                help_text=document.quantity,
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
            )
            self.file_fields[name] = document.key

    def eform_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.schema_names]

    def upload_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.file_fields]

    def form_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in self.schema_names}

    def uploads(self) -> tuple[list[Upload], list[str]]:
        """The files to store and, for each, the form field it came from (for its errors)."""
        uploads: list[Upload] = []
        origins: list[str] = []
        for name, key in self.file_fields.items():
            file: UploadedFile | None = self.cleaned_data.get(name)
            if not file:
                continue
            uploads.append(Upload(name=file.name or "", content=file.read(), component_key=key))
            origins.append(name)
        return uploads, origins
