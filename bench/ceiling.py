"""The bare-Django ceiling: one view doing one insert plus one audit insert (motcua's own
hash-chained ``audit.record``) in one transaction, served by the same gunicorn, middleware and
database as motcua. ``python -m bench.ceiling create-table`` makes its table.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.ceiling_settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from motcua.core import audit  # noqa: E402
from motcua.org.models import Province  # noqa: E402

PROVINCE = Province(pk=52)  # the object the audit entry names; never saved from here


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_ceiling (payload, created_at) VALUES (%s, %s)",
                [request.body[:200].decode(errors="replace"), timezone.now()],
            )
        audit.record("bench.ceiling", PROVINCE, actor="bench")
    return JsonResponse({"ok": True}, status=201)


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("insert", insert), path("ping", ping)]


def create_table() -> None:
    key = (
        "BIGSERIAL PRIMARY KEY"
        if connection.vendor == "postgresql"
        else ("INTEGER PRIMARY KEY AUTOINCREMENT")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS bench_ceiling (id {key}, payload TEXT NOT NULL, "  # noqa: S608
            "created_at TIMESTAMP WITH TIME ZONE NOT NULL)"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS bench_audit (id {key}, at TIMESTAMP WITH TIME ZONE, "  # noqa: S608
            "action VARCHAR(64), object_id VARCHAR(64), seq BIGINT, data TEXT)"
        )
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_head (id INTEGER PRIMARY KEY, seq BIGINT)")
        cursor.execute("DELETE FROM bench_head")
        cursor.execute("INSERT INTO bench_head (id, seq) VALUES (1, 0)")


if __name__ == "__main__" and sys.argv[1:] == ["create-table"]:
    create_table()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
