"""Official documents (văn bản), their registers, dispatch to recipients and history.

Decree 30/2020/NĐ-CP: an outgoing document gets its number and symbol when it is issued
(Art. 15), is registered (Art. 16) and tracked until every recipient has dealt with it
(Art. 4); an incoming one is registered by the recipient's clerk and assigned to a handler.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.org.models import Agency

# Limits of what a drafter types (the compose form and the API share them): a document body
# of about twenty pages, and a short list of other recipients.
CONTENT_MAX_LENGTH = 50_000
RECIPIENTS_NOTE_MAX_LENGTH = 2_000


class DocumentState(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    IN_REVIEW = "in_review", _("Chờ duyệt")
    APPROVED = "approved", _("Chờ ký")
    SIGNED = "signed", _("Đã ký, chờ phát hành")
    ISSUED = "issued", _("Đã phát hành")
    RECEIVED = "received", _("Văn bản đến")
    REVOKED = "revoked", _("Đã thu hồi")
    REPLACED = "replaced", _("Đã bị thay thế")


class Competence(models.TextChoices):
    """How the signer signs (Decree 30/2020/NĐ-CP Art. 13): on behalf of the collective, as
    deputy, acting, by order or by authorisation; empty when the head signs in his own name."""

    OWN = "", _("Ký trực tiếp")
    TM = "TM.", _("TM. (thay mặt)")
    KT = "KT.", _("KT. (ký thay)")
    Q = "Q.", _("Q. (quyền)")
    TL = "TL.", _("TL. (thừa lệnh)")
    TUQ = "TUQ.", _("TUQ. (thừa ủy quyền)")


class DispatchStatus(models.TextChoices):
    SENT = "sent", _("Đã gửi")
    RECEIVED = "received", _("Đã nhận")
    ACCEPTED = "accepted", _("Đã vào sổ")
    REJECTED = "rejected", _("Đã từ chối")
    PROCESSING = "processing", _("Đang xử lý")
    DONE = "done", _("Hoàn thành")


class Origin(models.TextChoices):
    COMPOSED = "composed", _("Soạn thảo")
    DOSSIER = "dossier", _("Hồ sơ thủ tục hành chính")
    EXTERNAL = "external", _("Hệ thống khác")


class OfficialDocument(models.Model):
    """One official document with the components of Decree 30/2020/NĐ-CP Art. 8(2)."""

    document_id = models.CharField(max_length=64, unique=True)  # edXML DocumentId
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.COMPOSED)
    issuer = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    issuer_code = models.CharField(max_length=35)
    issuer_name = models.CharField(max_length=200)
    drafting_unit = models.CharField(_("đơn vị soạn thảo"), max_length=20, blank=True, default="")
    doc_type = models.CharField(_("loại văn bản"), max_length=30)
    number = models.PositiveIntegerField(null=True, blank=True)
    symbol = models.CharField(max_length=60, blank=True, default="")
    series = models.CharField(max_length=10, blank=True, default="")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    place = models.CharField(_("địa danh"), max_length=60)
    issued_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(_("trích yếu"), max_length=500)
    search_key = models.CharField(max_length=500, db_index=True)
    content = models.TextField(_("nội dung"), blank=True, default="")
    signer_competence = models.CharField(
        _("thẩm quyền ký"), max_length=5, choices=Competence.choices, blank=True, default=""
    )
    signer_position = models.CharField(_("chức vụ người ký"), max_length=100)
    signer_name = models.CharField(_("họ tên người ký"), max_length=150)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    addressees = models.ManyToManyField(Agency, blank=True, related_name="+")
    recipients_note = models.TextField(_("nơi nhận"), blank=True, default="")
    urgency = models.CharField(_("độ khẩn"), max_length=20, default="thuong")
    secrecy = models.CharField(_("độ mật"), max_length=20, default="thuong")
    due_date = models.DateField(_("hạn xử lý"), null=True, blank=True)
    state = models.CharField(max_length=10, choices=DocumentState.choices)
    pdf = models.FileField(upload_to="eoffice/%Y/", max_length=255, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, default="")
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True, default="")
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="official_documents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "series", "number"],
                condition=models.Q(number__isnull=False),
                name="eoffice_number_unique_per_agency_year",
            )
        ]
        indexes = [models.Index(fields=["issuer", "state"], name="eoffice_doc_issuer_state")]
        verbose_name = _("văn bản")
        verbose_name_plural = _("văn bản")

    def __str__(self) -> str:
        return self.number_text or self.summary[:60]

    @property
    def number_text(self) -> str:
        """ "15/QĐ-UBND"; numbers below 10 keep a leading zero (Art. 15: from 01)."""
        if self.number is None:
            return ""
        return f"{self.number:02d}/{self.symbol}"


class OutgoingEntry(models.Model):
    """Sổ đăng ký văn bản đi: one line per issued document, per agency and year."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    series = models.CharField(max_length=10, blank=True, default="")
    number = models.PositiveIntegerField()
    document = models.OneToOneField(
        OfficialDocument, on_delete=models.PROTECT, related_name="outgoing_entry"
    )
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["agency", "year", "series", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "series", "number"], name="eoffice_outgoing_unique"
            )
        ]
        verbose_name = _("sổ văn bản đi")
        verbose_name_plural = _("sổ văn bản đi")

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}/{self.number}"


class Dispatch(models.Model):
    """A document sent to one recipient, with the recipient's latest status (Art. 4: the
    sending, receiving and processing status is tracked)."""

    document = models.ForeignKey(
        OfficialDocument, on_delete=models.CASCADE, related_name="dispatches"
    )
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="incoming"
    )
    peer_code = models.CharField(max_length=35)
    peer_name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=DispatchStatus.choices)
    status_at = models.DateTimeField()
    status_note = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["document", "peer_code"], name="eoffice_dispatch_once")
        ]
        verbose_name = _("nơi nhận văn bản")
        verbose_name_plural = _("nơi nhận văn bản")

    def __str__(self) -> str:
        return f"{self.document_id} → {self.peer_code}: {self.status}"


class IncomingEntry(models.Model):
    """Sổ đăng ký văn bản đến of the receiving agency: registered by its clerk, then assigned
    to a handler with a deadline."""

    dispatch = models.OneToOneField(Dispatch, on_delete=models.CASCADE, related_name="incoming")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    arrived_at = models.DateTimeField()
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="eoffice_assignments",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-arrived_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "number"],
                condition=models.Q(number__isnull=False),
                name="eoffice_incoming_unique",
            )
        ]
        verbose_name = _("sổ văn bản đến")
        verbose_name_plural = _("sổ văn bản đến")

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}/{self.number}"


class DocumentHistory(models.Model):
    """What happened to a document, and to each of its dispatches, in order."""

    document = models.ForeignKey(OfficialDocument, on_delete=models.CASCADE, related_name="history")
    dispatch = models.ForeignKey(
        Dispatch, null=True, blank=True, on_delete=models.CASCADE, related_name="history"
    )
    action = models.CharField(max_length=30)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("lịch sử văn bản")
        verbose_name_plural = _("lịch sử văn bản")

    def __str__(self) -> str:
        return f"{self.document_id} {self.action}"


class ReceivedEnvelope(models.Model):
    """An envelope that came from another system, kept by its DocumentId so that a re-sent
    one registers nothing new and gets the same acknowledgement back."""

    envelope_id = models.CharField(max_length=64, unique=True)  # the edXML DocumentId
    sender_code = models.CharField(max_length=35)
    document = models.ForeignKey(
        OfficialDocument, on_delete=models.PROTECT, related_name="envelopes"
    )
    acknowledgement = models.BinaryField()
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("gói tin đã nhận")
        verbose_name_plural = _("gói tin đã nhận")

    def __str__(self) -> str:
        return self.envelope_id
