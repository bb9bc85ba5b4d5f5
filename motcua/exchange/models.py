"""What crosses the system's boundary: peers, the outbox, the inbox and the periodic jobs."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeerKind(models.TextChoices):
    PORTAL = "portal", _("Cổng dịch vụ công")
    PROVINCE = "province", _("Hệ thống tỉnh bạn")
    PAYMENT = "payment", _("Nền tảng thanh toán")


class Peer(models.Model):
    """A system we exchange messages with (the national portal, another province, a payment
    platform). ``secret`` is shared with it: both sides sign request bodies with HMAC-SHA256."""

    code = models.SlugField(_("mã hệ thống"), max_length=64, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại"), max_length=20, choices=PeerKind.choices)
    base_url = models.URLField(_("địa chỉ gốc"), max_length=300)
    secret = models.CharField(_("khóa bí mật dùng chung"), max_length=200)
    agency_codes = models.JSONField(_("mã định danh cơ quan đại diện"), default=list, blank=True)
    active = models.BooleanField(_("đang kết nối"), default=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("hệ thống liên thông")
        verbose_name_plural = _("hệ thống liên thông")

    def __str__(self) -> str:
        return self.code


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    DELIVERED = "delivered", _("Đã gửi")
    FAILED = "failed", _("Lỗi, sẽ gửi lại")
    DEAD = "dead", _("Ngừng gửi")


class OutboxMessage(models.Model):
    """One outbound message, written in the transaction of the change that caused it and
    delivered by the worker, in creation order within its ``stream``."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="outbox")
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=64)
    stream = models.CharField(max_length=120, db_index=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=20, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="exchange_outbox_due_idx"),
            models.Index(fields=["stream", "id"], name="exchange_outbox_stream_idx"),
            # The "earlier message of the same peer and stream still open" test of every due
            # message: without it SQLite walks all earlier messages of the peer for each one.
            models.Index(fields=["peer", "stream", "id"], name="exchange_outbox_peer_idx"),
        ]
        verbose_name = _("tin gửi đi")
        verbose_name_plural = _("tin gửi đi")

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"


class InboxState(models.TextChoices):
    RECEIVED = "received", _("Đã nhận, chưa xử lý")
    PROCESSED = "processed", _("Đã xử lý")
    REJECTED = "rejected", _("Đã từ chối")
    FAILED = "failed", _("Lỗi khi xử lý")


class InboxMessage(models.Model):
    """One inbound message, stored before it is acknowledged; ``result`` is the reply we gave,
    repeated as is to any duplicate of the same ``message_id`` from the same peer."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="inbox")
    message_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=20, choices=InboxState.choices, default=InboxState.RECEIVED)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    duplicates = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "message_id"], name="exchange_inbox_unique")
        ]
        verbose_name = _("tin nhận về")
        verbose_name_plural = _("tin nhận về")

    def __str__(self) -> str:
        return f"{self.kind}:{self.message_id}"


class JobOutcome(models.TextChoices):
    NEVER = "never", _("Chưa chạy")
    RUNNING = "running", _("Đang chạy")
    OK = "ok", _("Thành công")
    ERROR = "error", _("Lỗi")


class PeriodicJobRun(models.Model):
    """The bookkeeping of one periodic job (see ``motcua.exchange.schedule``): when it runs
    next, who holds it now, and how its last run went."""

    name = models.CharField(max_length=64, unique=True)
    next_run_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(
        max_length=20, choices=JobOutcome.choices, default=JobOutcome.NEVER
    )
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_summary = models.JSONField(default=dict, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tác vụ định kỳ")
        verbose_name_plural = _("tác vụ định kỳ")

    def __str__(self) -> str:
        return self.name
