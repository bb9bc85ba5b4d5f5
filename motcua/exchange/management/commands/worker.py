"""``motcua worker``: run queued tasks, deliver the outbox and run the periodic jobs."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from motcua.exchange.worker import Worker


class Command(BaseCommand):
    # Operators run ``motcua check --deploy``; this command starts without the whole check run.
    requires_system_checks: list[str] = []
    help = (
        "Tiến trình nền: chạy tác vụ trong hàng đợi, gửi tin trong hộp thư đi và các tác vụ "
        "định kỳ. Dừng gọn khi nhận SIGTERM/SIGINT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.MOTCUA_WORKER_INTERVAL_SECONDS,
            help="số giây nghỉ khi không có việc (mặc định MOTCUA_WORKER_INTERVAL_SECONDS)",
        )
        parser.add_argument("--worker-id", default=None, help="tên riêng của tiến trình này")
        parser.add_argument(
            "--once", action="store_true", help="làm hết việc đang đến hạn rồi thoát"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(
            worker_id=options["worker_id"],
            interval=max(options["interval"], 0.05),
            once=options["once"],
        )
        worker.install_signals()
        worker.run()
