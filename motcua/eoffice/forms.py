"""Forms of the electronic office pages. They parse; the rules live in the services, whose
field errors land back on these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.eoffice import marks as marks_module
from motcua.eoffice import permissions
from motcua.eoffice.models import CONTENT_MAX_LENGTH, RECIPIENTS_NOTE_MAX_LENGTH, Competence
from motcua.eoffice.services import Draft
from motcua.org.models import Agency, AgencyKind, Membership

# Agencies documents are usually exchanged with: People's Committees, the provincial office,
# the departments and the land offices (service centers send forms, not official letters).
RECIPIENT_KINDS = (
    AgencyKind.PROVINCE_PC,
    AgencyKind.PROVINCE_OFFICE,
    AgencyKind.DEPARTMENT,
    AgencyKind.LAND_OFFICE,
    AgencyKind.LAND_BRANCH,
    AgencyKind.COMMUNE_PC,
)


def recipient_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Agencies grouped by kind, the province's own first, then the communes."""
    groups: dict[str, list[tuple[int, str]]] = {kind: [] for kind in RECIPIENT_KINDS}
    for agency in Agency.objects.filter(kind__in=RECIPIENT_KINDS).order_by("name"):
        groups[agency.kind].append((agency.pk, agency.name))
    return [(str(AgencyKind(kind).label), rows) for kind, rows in groups.items() if rows]


def _name_fields(form: forms.BaseForm) -> None:
    """Stock messages do not say which field is wrong; these do."""
    for field in form.fields.values():
        label = str(field.label)
        field.error_messages["required"] = _("“%(label)s” là bắt buộc.") % {"label": label}
        field.error_messages["invalid_choice"] = _(
            "“%(label)s” phải là một trong các lựa chọn của biểu mẫu."
        ) % {"label": label}
        field.error_messages["invalid"] = _("“%(label)s” không hợp lệ.") % {"label": label}


class ComposeForm(forms.Form):
    issuer_id = forms.TypedChoiceField(label=gettext_lazy("Cơ quan ban hành"), coerce=int)
    doc_type = forms.ChoiceField(label=gettext_lazy("Loại văn bản"))
    summary = forms.CharField(label=gettext_lazy("Trích yếu"), max_length=500)
    content = forms.CharField(
        label=gettext_lazy("Nội dung"),
        max_length=CONTENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    drafting_unit = forms.CharField(
        label=gettext_lazy("Đơn vị soạn thảo (ký hiệu công văn)"), max_length=20, required=False,
        help_text=gettext_lazy("Ví dụ VP: công văn số …/UBND-VP."),
    )  # fmt: skip
    signer_competence = forms.ChoiceField(
        label=gettext_lazy("Thẩm quyền ký"), choices=Competence.choices, required=False
    )
    signer_position = forms.CharField(label=gettext_lazy("Chức vụ người ký"), max_length=100)
    signer_name = forms.CharField(
        label=gettext_lazy("Họ tên người ký"), max_length=150, required=False,
        help_text=gettext_lazy("Để trống: tên của lãnh đạo ký."),
    )  # fmt: skip
    recipient_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Nơi nhận trong hệ thống"), coerce=int, required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )  # fmt: skip
    recipients_note = forms.CharField(
        label=gettext_lazy("Nơi nhận khác"), required=False,
        max_length=RECIPIENTS_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Mỗi dòng một nơi nhận (ví dụ: Lưu: VT, VP)."),
    )  # fmt: skip
    urgency = forms.ChoiceField(label=gettext_lazy("Độ khẩn"))
    secrecy = forms.ChoiceField(label=gettext_lazy("Độ mật"))
    due_date = forms.DateField(
        label=gettext_lazy("Hạn xử lý"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip

    replaces_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        registry = marks_module.marks()
        fields: Any = self.fields
        fields["issuer_id"].choices = [(a.pk, a.name) for a in permissions.drafting_agencies(user)]
        fields["doc_type"].choices = [(t.key, t.name) for t in registry.types.values()]
        fields["doc_type"].initial = "cong-van"
        fields["urgency"].choices = [(m.key, m.name) for m in registry.urgency.values()]
        fields["secrecy"].choices = [(m.key, m.name) for m in registry.secrecy.values()]
        fields["recipient_ids"].choices = recipient_choices()
        _name_fields(self)

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(
            issuer_id=data["issuer_id"],
            doc_type=data["doc_type"],
            summary=data["summary"],
            content=data["content"],
            signer_position=data["signer_position"],
            signer_competence=data["signer_competence"] or "",
            signer_name=data["signer_name"],
            drafting_unit=data["drafting_unit"],
            recipient_ids=list(data["recipient_ids"]),
            recipients_note=data["recipients_note"],
            urgency=data["urgency"],
            secrecy=data["secrecy"],
            due_date=data["due_date"],
            replaces_id=data["replaces_id"],
        )


class PeerForm(forms.Form):
    peer_code = forms.CharField(
        label=gettext_lazy("Mã định danh cơ quan nhận"), max_length=35,
        help_text=gettext_lazy("Cơ quan thuộc hệ thống khác, ví dụ H64.02."),
    )  # fmt: skip
    peer_name = forms.CharField(label=gettext_lazy("Tên cơ quan nhận"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_fields(self)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_fields(self)


class UpdateForm(forms.Form):
    due_date = forms.DateField(
        label=gettext_lazy("Hạn xử lý mới"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    note = forms.CharField(label=gettext_lazy("Nội dung cập nhật"), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_fields(self)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Kết quả xử lý"), max_length=2000, required=False)


class AssignForm(forms.Form):
    handler_id = forms.TypedChoiceField(label=gettext_lazy("Người xử lý"), coerce=int)
    days = forms.IntegerField(label=gettext_lazy("Thời hạn (ngày làm việc)"), initial=5)

    def __init__(self, *args: Any, agency_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.filter(agency_id=agency_id)
            .select_related("user")
            .order_by("user__full_name", "user_id")
        )
        seen: dict[int, str] = {}
        for membership in members:
            seen.setdefault(membership.user_id, str(membership.user))
        field: Any = self.fields["handler_id"]
        field.choices = list(seen.items())
        _name_fields(self)
