"""``motcua issue-token <username> [--label L]``: give an officer a bearer key for the API."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import MotcuaError
from motcua.org.models import User
from motcua.org.services import issue_api_token


class Command(BaseCommand):
    help = "Cấp khóa truy cập API (Bearer) cho một cán bộ; khóa chỉ hiện một lần."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="tên đăng nhập của cán bộ")
        parser.add_argument("--label", default="cli", help="khóa dùng cho hệ thống nào")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"Không có cán bộ “{options['username']}” đang hoạt động.")
        try:
            key = issue_api_token(user, options["label"], actor="cli")
        except MotcuaError as error:
            raise CommandError(error.message) from error
        self.stdout.write(key)
        self.stderr.write("Khóa chỉ hiện một lần; gửi kèm tiêu đề: Authorization: Bearer <khóa>")
