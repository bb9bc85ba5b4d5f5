"""``motcua setup``: load the real units and the procedure catalog; optionally demo staff."""

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from motcua.catalog.loader import load_catalog
from motcua.exchange.dvcqg.services import ensure_peer
from motcua.org.models import User
from motcua.org.services import load_units, seed_demo_staff


class Command(BaseCommand):
    help = "Nạp đơn vị hành chính, thủ tục; tạo cán bộ mẫu (--demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="create demo staff")
        parser.add_argument(
            "--reset-password", action="store_true", help="give demo staff a new password"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_units()
        self.stdout.write(
            f"Đơn vị: {summary.provinces} tỉnh, {summary.wards} xã/phường; "
            f"tỉnh cài đặt có {summary.province_wards} xã/phường, {summary.agencies} cơ quan."
        )
        loaded = load_catalog()
        self.stdout.write(f"Thủ tục: {', '.join(p.code for p in loaded)}")
        # The national portal as a peer: the development secret in demo mode only.
        portal = ensure_peer(demo=settings.MOTCUA_DEMO)
        self.stdout.write(
            f"Cổng DVCQG: {portal.base_url}"
            if portal
            else "Cổng DVCQG: chưa có MOTCUA_DVCQG_SECRET"
        )
        if options["demo"]:
            self._demo(reset=options["reset_password"])

    def _demo(self, *, reset: bool) -> None:
        if User.objects.filter(username="admin").exists() and not reset:
            self.stdout.write(
                "Cán bộ mẫu đã có. Đặt lại mật khẩu: motcua setup --demo --reset-password"
            )
            return
        password = secrets.token_urlsafe(9)
        count = seed_demo_staff(password)
        if reset:
            from django.contrib.auth.hashers import make_password

            User.objects.update(password=make_password(password))
        self.stdout.write(self.style.WARNING("=" * 72))
        self.stdout.write(self.style.WARNING(f"CHẾ ĐỘ DEMO — {count} tài khoản cán bộ mẫu"))
        self.stdout.write(self.style.WARNING(f"Mật khẩu chung (chỉ hiện một lần): {password}"))
        self.stdout.write(
            "Ví dụ Phường Pleiku: tn.phuongpleiku (tiếp nhận), cv.phuongpleiku "
            "(chuyên viên), ld.phuongpleiku (lãnh đạo), admin (quản trị)"
        )
        self.stdout.write(self.style.WARNING("=" * 72))
