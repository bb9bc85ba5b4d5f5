"""Failed sign-ins counted per username and client address (login throttling)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginThrottle(models.Model):
    """Consecutive failed sign-ins for one (username, IP) pair, and the lock they caused.

    Stored in the database rather than a per-process cache so that every web process behind
    the proxy counts the same attempts. ``key`` is a hash: the table holds no usernames.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lần đăng nhập sai")
        verbose_name_plural = _("lần đăng nhập sai")

    def __str__(self) -> str:
        return f"{self.key[:12]}… × {self.failures}"


class RateCounter(models.Model):
    """Requests counted for one (endpoint group, client address, time window) on public pages.

    One row per window, incremented by a single upsert (see ``motcua.accounts.ratelimit``), so
    every web process counts the same requests. ``key`` is a hash: the table holds no
    addresses. Rows whose window has ended are deleted when a new window starts.
    """

    key = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("bộ đếm yêu cầu công khai")
        verbose_name_plural = _("bộ đếm yêu cầu công khai")

    def __str__(self) -> str:
        return f"{self.key[:12]}… × {self.count}"
