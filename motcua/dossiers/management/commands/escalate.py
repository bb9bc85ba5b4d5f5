"""``motcua escalate``: announce due-soon and overdue dossiers and overdue consultations once."""

from typing import Any

from django.core.management.base import BaseCommand

from motcua.dossiers.services.escalation import escalate


class Command(BaseCommand):
    help = "Thông báo hồ sơ sắp đến hạn, quá hạn và yêu cầu xin ý kiến quá hạn (chạy định kỳ)."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = escalate()
        self.stdout.write(
            f"Sắp đến hạn: {summary.due_soon} hồ sơ; quá hạn: {summary.overdue} hồ sơ; "
            f"xin ý kiến quá hạn: {summary.consultations}; "
            f"thông báo: {summary.notices}; thư điện tử: {summary.emails}."
        )
