"""The system's notion of "now", in one place so that drills can run on a virtual clock."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def localtime(moment: datetime) -> datetime:
    """``moment`` in Asia/Ho_Chi_Minh (the settings' TIME_ZONE)."""
    return timezone.localtime(moment)
