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
from motcua.dossiers.models import Dossier, SubStepKind, TransferMeans
from motcua.dossiers.uploads import Upload
from motcua.org.models import Agency

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
        if isinstance(field, forms.IntegerField):
            field.error_messages["invalid"] = _("“%(label)s” phải là một số nguyên.") % {
                "label": label
            }
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = _(
                "“%(label)s” phải là một ngày (ngày/tháng/năm)."
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
    """A desk action. ``arguments()`` gives the keyword arguments of the service call;
    ``user`` is the officer at the desk (some forms offer only what is theirs)."""

    def __init__(
        self, *args: Any, dossier: Dossier, action: str, user: Any = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.action = action
        self.user = user
        self.setup()
        _name_the_field(self)

    def setup(self) -> None:
        """Fill in choices that depend on the dossier or the user."""

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

    def setup(self) -> None:
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 (declared above)
        specialists = selectors.specialists_of(self.dossier.competent_agency)
        field.choices = [("", "—")] + [(user.pk, str(user)) for user in specialists]
        field.initial = self.dossier.assignee_id
        field.widget.attrs["required"] = True

    def arguments(self) -> dict[str, Any]:
        return {"assignee_id": self.cleaned_data["assignee"] or 0}


# --- the land flow: custody, the tax step, consultations, one new appointment -------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _choice(field: forms.Field) -> forms.TypedChoiceField:
    assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 (declared so)
    return field


def _one_or_choose(field: forms.TypedChoiceField, choices: list[tuple[int, str]]) -> None:
    """A select when there is a choice to make; a hidden field when there is only one."""
    field.choices = choices if len(choices) == 1 else [("", "—"), *choices]
    if len(choices) == 1:
        field.initial = choices[0][0]
        field.widget = forms.HiddenInput()
    else:
        field.widget.attrs["required"] = True


# The order officers meet them in: hand-carried and postal first, electronic last.
MEANS_ORDER = (
    TransferMeans.IN_PERSON,
    TransferMeans.POSTAL,
    TransferMeans.COURIER,
    TransferMeans.ELECTRONIC,
)


class SendFileForm(ActionForm):
    """The hand-over of the paper file (or of the result) with its transfer slip."""

    means = forms.ChoiceField(
        label=gettext_lazy("Hình thức chuyển"),
        choices=[(m.value, m.label) for m in MEANS_ORDER],
        initial=TransferMeans.IN_PERSON,
        required=False,
    )
    items = _textarea(
        gettext_lazy("Giấy tờ chuyển kèm"),
        rows=4,
        required=False,
        help_text=gettext_lazy(
            "Mỗi dòng một giấy tờ; để trống thì phiếu chuyển liệt kê thành phần hồ sơ của thủ tục."
        ),
    )
    note = _textarea(gettext_lazy("Ghi chú"), rows=2, required=False)

    def setup(self) -> None:
        self.fields["means"].widget.attrs["required"] = True

    def arguments(self) -> dict[str, Any]:
        return {
            "means": self.cleaned_data["means"],
            "items": _lines(self.cleaned_data["items"]),
            "note": self.cleaned_data["note"],
        }


class ReceiveFileForm(ActionForm):
    """Confirm that the file (or the result) has arrived."""

    transfer = forms.TypedChoiceField(
        label=gettext_lazy("Phiếu chuyển"), coerce=int, required=False
    )

    def setup(self) -> None:
        transfers = selectors.receivable_transfers(
            self.user, list(self.dossier.transfers.filter(received_at__isnull=True))
        )
        choices = [(t.pk, f"{t.slip_number} · {t.from_agency}") for t in transfers]
        _one_or_choose(_choice(self.fields["transfer"]), choices)

    def arguments(self) -> dict[str, Any]:
        return {"transfer_id": self.cleaned_data["transfer"] or 0}


class SendToTaxForm(ActionForm):
    note = _textarea(
        gettext_lazy("Nội dung Phiếu chuyển thông tin (Mẫu số 19)"),
        rows=3,
        help_text=gettext_lazy("Thông tin để cơ quan thuế xác định nghĩa vụ tài chính."),
    )

    def arguments(self) -> dict[str, Any]:
        return {"note": self.cleaned_data["note"]}


class ObligationsMetForm(ActionForm):
    note = _textarea(
        gettext_lazy("Chứng từ hoàn thành nghĩa vụ tài chính"),
        rows=3,
        help_text=gettext_lazy(
            "Số, ngày chứng từ nộp tiền hoặc thông tin liên thông từ cơ "
            "quan thuế; hẹn lần 2 tính từ bây giờ."
        ),
    )

    def arguments(self) -> dict[str, Any]:
        return {"note": self.cleaned_data["note"]}


class ConsultationForm(ActionForm):
    """Decree 61/2018 Art. 19: the request states its content and its deadline."""

    agency = forms.TypedChoiceField(
        label=gettext_lazy("Cơ quan được lấy ý kiến"), coerce=int, required=False
    )
    question = _textarea(gettext_lazy("Nội dung xin ý kiến"), rows=3)
    days = forms.IntegerField(
        label=gettext_lazy("Thời hạn trả lời (ngày làm việc)"),
        required=False,
        initial=5,
        widget=forms.NumberInput(attrs={"min": 1, "max": 30, "required": True}),
    )

    def setup(self) -> None:
        field = _choice(self.fields["agency"])
        groups: dict[str, list[tuple[int, str]]] = {}
        for agency in selectors.consultable_agencies(self.dossier):
            groups.setdefault(str(agency.get_kind_display()), []).append((agency.pk, agency.name))
        field.choices = [("", "—"), *groups.items()]
        field.widget.attrs["required"] = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "days" in cleaned and cleaned["days"] is None and not self.has_error("days"):
            self.add_error("days", self.fields["days"].error_messages["required"])
        return cleaned

    def arguments(self) -> dict[str, Any]:
        return {
            "agency_id": self.cleaned_data["agency"] or 0,
            "question": self.cleaned_data["question"],
            "days": self.cleaned_data["days"],
        }


class AnswerConsultationForm(ActionForm):
    substep = forms.TypedChoiceField(
        label=gettext_lazy("Yêu cầu xin ý kiến"), coerce=int, required=False
    )
    answer = _textarea(gettext_lazy("Ý kiến trả lời"), rows=4)

    def setup(self) -> None:
        open_steps = self.dossier.substeps.filter(
            kind=SubStepKind.CONSULTATION, answered_at__isnull=True
        ).select_related("agency")
        steps = selectors.answerable_consultations(self.user, list(open_steps))
        choices = [(s.pk, f"{s.agency.name}: {s.question[:80]}") for s in steps]
        _one_or_choose(_choice(self.fields["substep"]), choices)
        if len(steps) == 1:
            self.fields["answer"].help_text = _("Câu hỏi: %(question)s") % {
                "question": steps[0].question[:300]
            }

    def arguments(self) -> dict[str, Any]:
        return {
            "substep_id": self.cleaned_data["substep"] or 0,
            "answer": self.cleaned_data["answer"],
        }


class RescheduleForm(ActionForm):
    """Mẫu 04: once, at least one working day before the due date (Decree 61/2018 Art. 19)."""

    new_date = forms.DateField(
        label=gettext_lazy("Ngày hẹn trả mới"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "required": True}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    reason = _textarea(gettext_lazy("Lý do chậm, lời xin lỗi"), rows=3)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_date") is None and not self.has_error("new_date"):
            self.add_error("new_date", self.fields["new_date"].error_messages["required"])
        return cleaned

    def arguments(self) -> dict[str, Any]:
        return {"new_date": self.cleaned_data["new_date"], "reason": self.cleaned_data["reason"]}


# --- the dossier register (Mẫu 06) ------------------------------------------------------------

REGISTER_MAX_DAYS = 366


class RegisterBookForm(forms.Form):
    """Which unit and which period the dossier register (Mẫu 06) covers."""

    unit = forms.TypedChoiceField(label=gettext_lazy("Đơn vị"), coerce=int, required=False)
    start = forms.DateField(
        label=gettext_lazy("Từ ngày"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "required": True}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    end = forms.DateField(
        label=gettext_lazy("Đến ngày"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "required": True}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    full_names = forms.BooleanField(
        label=gettext_lazy("In đầy đủ họ tên người nộp"),
        required=False,
        help_text=gettext_lazy("Mặc định sổ chỉ in chữ cái đầu của họ tên."),
    )
    purpose = forms.CharField(
        label=gettext_lazy("Mục đích in đầy đủ họ tên"),
        required=False,
        max_length=300,
    )

    def __init__(self, *args: Any, units: list[Agency], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_register_%s")
        super().__init__(*args, **kwargs)
        self.units = {agency.pk: agency for agency in units}
        _one_or_choose(_choice(self.fields["unit"]), [(a.pk, a.name) for a in units])
        _name_the_field(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("unit", "start", "end"):
            if cleaned.get(name) in (None, "") and not self.has_error(name):
                self.add_error(name, self.fields[name].error_messages["required"])
        if cleaned.get("full_names") and not (cleaned.get("purpose") or "").strip():
            self.add_error(
                "purpose",
                _(
                    "Cần nêu mục đích khi in đầy đủ họ tên người nộp "
                    "(Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân)."
                ),
            )
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("“Đến ngày” phải cùng hoặc sau “Từ ngày”."))
            elif (end - start).days + 1 > REGISTER_MAX_DAYS:
                self.add_error(
                    "end",
                    _("Mỗi lần in sổ tối đa %(days)s ngày; hãy chọn khoảng ngắn hơn.")
                    % {"days": REGISTER_MAX_DAYS},
                )
        return cleaned

    def agency(self) -> Agency:
        return self.units[self.cleaned_data["unit"]]


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
