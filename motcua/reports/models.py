"""What the reports context keeps of its own: appointments as they were given, citizens'
ratings of the service and their complaints."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Procedure
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.org.models import Agency


class Appointment(models.Model):
    """The appointment (ngày hẹn trả, ``NgayHenTra``) in force after one dossier event.

    Written beside the history row whenever an event gives or changes the appointment
    (reception, payment completing reception, the one rescheduling, the second land
    appointment), so that a figure can be recomputed as it stood on any past date.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="appointments")
    event = models.OneToOneField(DossierEvent, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    due_at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["dossier", "at"], name="appointment_dossier_at_idx")]
        verbose_name = _("ngày hẹn trả")
        verbose_name_plural = _("ngày hẹn trả")

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.due_at:%Y-%m-%d %H:%M}"


class Rating(models.Model):
    """The applicant's rating of the service once the result is out: once per dossier."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    satisfied = models.BooleanField(_("hài lòng"))
    comment = models.TextField(_("ý kiến"), blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("đánh giá của người dân")
        verbose_name_plural = _("đánh giá của người dân")

    def __str__(self) -> str:
        return f"{self.dossier_id} {'+' if self.satisfied else '-'}"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Mới tiếp nhận")
    HANDLING = "handling", _("Đang xử lý")
    RESOLVED = "resolved", _("Đã xử lý")


class Complaint(models.Model):
    """A complaint or feedback (phản ánh, kiến nghị) of the applicant about one dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="complaints")
    content = models.TextField(_("nội dung phản ánh"))
    created_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_complaints",
    )
    answer = models.TextField(_("kết quả xử lý"), blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["dossier", "created_at"], name="complaint_dossier_idx")]
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.status}"


class DossierFacts(models.Model):
    """A dossier's facts for the indicators, kept up to date from its history (see
    ``motcua.reports.facts``): first times, the appointment in force and the supplements after
    reception, each with when it last changed."""

    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, primary_key=True, related_name="facts"
    )
    received_at = models.DateTimeField(null=True)
    ended_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True)
    approved_at = models.DateTimeField(null=True)
    withdrawn_at = models.DateTimeField(null=True)
    refused_at = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)
    due_since = models.DateTimeField(null=True)
    supplements = models.PositiveSmallIntegerField(default=0)
    open_supplement_at = models.DateTimeField(null=True)
    supplement_time = models.DurationField(null=True)
    supplements_since = models.DateTimeField(null=True)
    fee = models.BooleanField(default=False)
    paid_online_at = models.DateTimeField(null=True)
    attached_at = models.DateTimeField(null=True)
    result_file_at = models.DateTimeField(null=True)
    complained_at = models.DateTimeField(null=True)
    satisfied_at = models.DateTimeField(null=True)
    unsatisfied_at = models.DateTimeField(null=True)
    synced_at = models.DateTimeField(null=True)
    # Set at registration and never changed: kept here so that a dashboard counts from this
    # table alone, without reading the dossiers.
    receiving_agency = models.ForeignKey(
        Agency, null=True, on_delete=models.PROTECT, related_name="+"
    )
    competent_agency = models.ForeignKey(
        Agency, null=True, on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(Procedure, null=True, on_delete=models.PROTECT, related_name="+")
    channel = models.PositiveSmallIntegerField(null=True)
    # For a closed dossier (ended, or refused without reception): its first kept time and its
    # last one. Its figures for any period beginning by ``anchor_at`` and seen as of
    # ``settled_at`` or later no longer change: they are summed in ``FactsTotal``.
    anchor_at = models.DateTimeField(null=True)
    settled_at = models.DateTimeField(null=True)

    class Meta:
        # A period reads the dossiers not ended before it began (ended_at ≥ start, or still
        # open) and those refused within it.
        indexes = [
            models.Index(fields=["ended_at"], name="facts_ended_idx"),
            models.Index(fields=["refused_at"], name="facts_refused_idx"),
            # The few dossiers still open, apart from the many never received or refused.
            models.Index(
                fields=["received_at"],
                condition=models.Q(ended_at__isnull=True),
                name="facts_open_idx",
            ),
            # Closed dossiers of the days whose totals are read (see ``motcua.reports.totals``).
            models.Index(fields=["anchor_at"], name="facts_anchor_idx"),
            # Received, refused and never ended: counted live, so found apart from the rest.
            models.Index(
                fields=["refused_at"],
                condition=models.Q(ended_at__isnull=True, received_at__isnull=False),
                name="facts_refused_open_idx",
            ),
        ]
        verbose_name = _("số liệu hồ sơ")
        verbose_name_plural = _("số liệu hồ sơ")

    def __str__(self) -> str:
        return str(self.dossier_id)


class FactsTotal(models.Model):
    """The figures of the closed dossiers first seen on one day (Vietnam time), summed for one
    group of one grouping, as they stand now (``motcua.reports.totals``); the dimension
    "m:<grouping>" sums a month's days, on the month's first day."""

    dimension = models.CharField(max_length=20)
    day = models.DateField()
    # The group's key as text: "" for none, else "=" and the value.
    key = models.CharField(max_length=40)
    carried_over = models.IntegerField(default=0)
    received = models.IntegerField(default=0)
    received_direct = models.IntegerField(default=0)
    received_online = models.IntegerField(default=0)
    received_postal = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    resolved_late = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    pending_on_time = models.IntegerField(default=0)
    pending_overdue = models.IntegerField(default=0)
    timed = models.IntegerField(default=0)
    timed_on_time = models.IntegerField(default=0)
    timed_late = models.IntegerField(default=0)
    synced = models.IntegerField(default=0)
    fee_bearing = models.IntegerField(default=0)
    paid_online = models.IntegerField(default=0)
    approved = models.IntegerField(default=0)
    digitised = models.IntegerField(default=0)
    complained = models.IntegerField(default=0)
    rated_satisfied = models.IntegerField(default=0)
    rated_unsatisfied = models.IntegerField(default=0)
    # The processing times of the resolved dossiers (microseconds) and how many were timed.
    time_sum = models.BigIntegerField(default=0)
    time_n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "day", "key"], name="facts_total_dimension_day_key"
            )
        ]
        verbose_name = _("tổng số liệu theo ngày")
        verbose_name_plural = _("tổng số liệu theo ngày")

    def __str__(self) -> str:
        return f"{self.dimension} {self.day} {self.key}"
