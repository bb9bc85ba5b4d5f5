"""Requests that cannot be served get a clear refusal, never a 500; error pages stay friendly.

The cast is the shared one (``motcua/conftest.py``): the citizen Nguyễn Văn An files his birth
extract at Phường Pleiku's center, through the portal or the API. A mistyped link, a
copy-paste that carried a NUL character, an oversized submission, a form left open until its
session expired: each gets an answer that names the field and the rule, as JSON in the API's
shape under /api/ and as a page elsewhere, in Vietnamese or in English after the switch.

PostgreSQL cannot store NUL in text, so on PostgreSQL these NUL requests used to end in 500s;
run this file with ``DATABASE_URL`` set to check it there too.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.utils import translation

from motcua import urls as project_urls
from motcua.conftest import PDF_BYTES, PROCEDURE_CODE, World
from motcua.core.logging import EventFormatter
from motcua.dossiers.models import Dossier

MB = 1024 * 1024
APPLY = f"/nop-ho-so/{PROCEDURE_CODE}/?center=ttpvhcc-23575"
# The rule, looked up through variables so that makemessages does not collect this file.
NUL_FIELD = "“%(name)s” không được chứa ký tự điều khiển (NUL)."
NUL_PATH = "Đường dẫn (URL) không được chứa ký tự điều khiển (NUL)."
NUL_HEADER = "Tiêu đề “%(name)s” không được chứa ký tự điều khiển (NUL)."
NUL_BODY = "Nội dung yêu cầu không được chứa ký tự điều khiển (NUL)."
SESSION_EXPIRED = "Phiên làm việc đã hết hạn, vui lòng tải lại trang và thử lại."


def english(message: str, **params: Any) -> str:
    with translation.override("en"):
        text = translation.gettext(message)
    return text % params if params else text


def page_text(response: HttpResponse) -> str:
    return response.content.decode()


def submission(world: World, **form: Any) -> dict[str, Any]:
    return {
        "procedure": PROCEDURE_CODE,
        "center": world.pleiku.center.pk,
        "form": world.form(**form),
        "attachments": [],
    }


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


# --- NUL characters ----------------------------------------------------------------------------


class TestNulOnPages:
    @pytest.mark.parametrize(
        ("url", "name"),
        [
            ("/tra-cuu/?code=%00", "code"),
            ("/?center=%00", "center"),
            ("/?q=Pleiku%00", "q"),
            ("/thanh-toan/ipn/?vnp_TxnRef=%00&vnp_Amount=1600000", "vnp_TxnRef"),
            ("/tra-cuu/?co%00de=G1", "co␀de"),
        ],
    )
    def test_a_query_field_is_refused_naming_it(
        self, world: World, client: Client, url: str, name: str
    ) -> None:
        response = client.get(url)

        assert response.status_code == 400
        assert response["Content-Type"] == "text/html; charset=utf-8"
        text = page_text(response)
        assert '<html lang="vi">' in text
        assert NUL_FIELD % {"name": name} in text
        assert "Yêu cầu không hợp lệ" in text

    @pytest.mark.parametrize("url", ["/nop-ho-so/%00/", "/ho-so/%00/", "/ho-so/abc%00def/rut/"])
    def test_a_path_is_refused(self, world: World, client: Client, url: str) -> None:
        response = client.get(url)

        assert response.status_code == 400
        assert NUL_PATH in page_text(response)

    def test_a_form_field_is_refused_and_nothing_is_stored(
        self, world: World, client: Client
    ) -> None:
        data = {"center": "ttpvhcc-23575", **world.form(requester_name="Nguyễn\x00 Văn An")}

        response = client.post(APPLY, data)

        assert response.status_code == 400
        assert NUL_FIELD % {"name": "requester_name"} in page_text(response)
        assert Dossier.objects.count() == 0

    def test_a_multipart_field_is_refused_but_not_the_bytes_of_a_file(
        self, world: World, client: Client
    ) -> None:
        scan = SimpleUploadedFile("cccd.pdf", PDF_BYTES + b"\x00\x00\x01", "application/pdf")
        bad = {**world.form(registration_place="UBND\x00"), "tep_identity_document": scan}

        refused = client.post(APPLY, bad)
        scan.seek(0)
        served = client.post(APPLY, {**world.form(), "tep_identity_document": scan})

        assert refused.status_code == 400
        assert NUL_FIELD % {"name": "registration_place"} in page_text(refused)
        # Past the guard, the portal's own form check answers (no form token here: 422).
        assert served.status_code == 422
        assert "NUL" not in page_text(served)

    def test_the_page_follows_the_english_switch_and_keeps_a_working_language_switch(
        self, world: World
    ) -> None:
        client = Client(enforce_csrf_checks=True)
        client.cookies["django_language"] = "en"

        response = client.get("/tra-cuu/?code=%00")
        token = response.cookies["csrftoken"].value
        switched = client.post(
            "/i18n/setlang/", {"language": "vi", "next": "/", "csrfmiddlewaretoken": token}
        )

        text = page_text(response)
        assert response.status_code == 400
        assert '<html lang="en">' in text
        assert english(NUL_FIELD, name="code") in text
        assert 'name="csrfmiddlewaretoken"' in text
        assert (switched.status_code, switched["Location"]) == (302, "/")


class TestNulInTheApi:
    @pytest.mark.parametrize(
        "url", ["/api/dossiers/track/%00", "/api/procedures/%00", "/api/procedures/2.000635%00"]
    )
    def test_a_path_is_refused(self, world: World, client: Client, url: str) -> None:
        response = client.get(url)

        assert response.status_code == 400
        assert response.json() == {"code": "control_chars", "message": NUL_PATH}

    def test_a_query_field_is_refused_naming_it(self, world: World, client: Client) -> None:
        response = client.get("/api/deadlines/due?received=2026-02-13T16:45%00&days=3")

        assert response.status_code == 400
        assert response.json() == {
            "code": "control_chars",
            "field": "received",
            "message": NUL_FIELD % {"name": "received"},
        }

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"requester_name": "Nguyễn Văn An\u0000"}, "form.requester_name"),
            ({"registration_place": "UBND\u0000phường"}, "form.registration_place"),
            ({"note\u0000": "x"}, "form.note␀"),
        ],
    )
    def test_a_json_string_is_refused_naming_its_path_and_nothing_is_stored(
        self, world: World, client: Client, changes: dict[str, str], field: str
    ) -> None:
        body = json.dumps(submission(world, **changes))  # ensure_ascii: NUL travels as \u0000
        assert "\\u0000" in body

        response = client.post("/api/dossiers", body, content_type="application/json")

        assert response.status_code == 400
        assert response.json() == {
            "code": "control_chars",
            "field": field,
            "message": NUL_FIELD % {"name": field},
        }
        assert Dossier.objects.count() == 0

    def test_an_attachment_name_is_refused_naming_its_index(
        self, world: World, client: Client
    ) -> None:
        payload = submission(world)
        payload["attachments"] = [
            {"component": "identity_document", "name": "cccd\u0000.pdf", "content_base64": "JQ=="}
        ]

        response = client.post("/api/dossiers", payload, content_type="application/json")

        assert response.status_code == 400
        assert response.json()["field"] == "attachments[0].name"

    def test_a_raw_nul_byte_in_the_body_is_refused(self, world: World, client: Client) -> None:
        body = json.dumps(submission(world)).encode().replace(b"Nguy", b"Nguy\x00", 1)

        response = client.post("/api/dossiers", body, content_type="application/json")

        assert response.status_code == 400
        assert response.json() == {"code": "control_chars", "message": NUL_BODY}

    def test_an_escaped_backslash_before_u0000_is_plain_text(
        self, world: World, client: Client
    ) -> None:
        # JSON "\\u0000" is a backslash and "u0000": harmless text, accepted like any other.
        payload = submission(world, registration_place="UBND \\u0000 phường Hội Thương")

        response = client.post("/api/dossiers", payload, content_type="application/json")

        assert response.status_code == 201
        dossier = Dossier.objects.get()
        assert dossier.form_data["registration_place"] == "UBND \\u0000 phường Hội Thương"

    @pytest.mark.parametrize(
        ("url", "header", "name"),
        [
            ("/api/dossiers/by-token", "HTTP_X_DOSSIER_TOKEN", "X-Dossier-Token"),
            ("/api/procedures", "HTTP_IDEMPOTENCY_KEY", "Idempotency-Key"),
            ("/api/procedures", "HTTP_COOKIE", "Cookie"),
        ],
    )
    def test_a_header_is_refused_naming_it(
        self, world: World, client: Client, url: str, header: str, name: str
    ) -> None:
        response = client.get(url, **{header: "abc\x00def"})

        assert response.status_code == 400
        assert response.json() == {
            "code": "control_chars",
            "field": name,
            "message": NUL_HEADER % {"name": name},
        }

    def test_the_message_follows_accept_language(self, world: World, client: Client) -> None:
        response = client.get("/api/deadlines/due?days=%00", HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 400
        assert response.json()["message"] == english(NUL_FIELD, name="days")


# --- sizes and counts --------------------------------------------------------------------------


class TestUploadLimits:
    def test_the_knobs_and_their_defaults(self, settings: Any) -> None:
        assert settings.MOTCUA_UPLOAD_MAX_FILES == 20
        assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 20
        assert settings.MOTCUA_REQUEST_MAX_BYTES == 6 * settings.MOTCUA_UPLOAD_MAX_BYTES == 60 * MB

    def test_21_files_in_one_submission_get_a_clear_page(
        self, world: World, client: Client
    ) -> None:
        files = [SimpleUploadedFile(f"trang-{n}.pdf", PDF_BYTES) for n in range(21)]

        response = client.post(APPLY, {**world.form(), "tep_identity_document": files})

        assert response.status_code == 400
        text = page_text(response)
        assert "Gửi quá nhiều tệp trong một lần: tối đa 20 tệp." in text
        assert Dossier.objects.count() == 0

    def test_20_files_pass_the_guard(self, world: World, client: Client) -> None:
        files = [SimpleUploadedFile(f"trang-{n}.pdf", PDF_BYTES) for n in range(20)]

        response = client.post(APPLY, {**world.form(), "tep_identity_document": files})

        # Past the guard, the portal's own form check answers (no form token here: 422).
        assert response.status_code == 422
        assert "quá nhiều tệp" not in page_text(response)

    def test_too_many_files_to_the_api_is_json(self, world: World, client: Client) -> None:
        files = [SimpleUploadedFile(f"trang-{n}.pdf", PDF_BYTES) for n in range(21)]

        response = client.post("/api/dossiers", {"attachments": files})

        assert response.status_code == 400
        assert response.json() == {
            "code": "too_many_files",
            "message": "Gửi quá nhiều tệp trong một lần: tối đa 20 tệp. "
            "Hãy gộp các trang của một giấy tờ vào một tệp PDF.",
        }

    def test_a_body_over_the_request_limit_is_refused_unread(
        self, world: World, client: Client
    ) -> None:
        claimed = str(60 * MB + 1)

        page = client.post(APPLY, {"center": "x"}, CONTENT_LENGTH=claimed)
        api = client.post("/api/dossiers", "{}", "application/json", CONTENT_LENGTH=claimed)

        assert page.status_code == 413
        assert "Yêu cầu quá lớn: tổng dung lượng gửi lên tối đa 60 MB." in page_text(page)
        assert "<h1>Yêu cầu quá lớn</h1>" in page_text(page)
        assert api.status_code == 413
        assert api.json() == {
            "code": "request_too_large",
            "message": "Yêu cầu quá lớn: tổng dung lượng gửi lên tối đa 60 MB.",
        }

    def test_the_request_limit_follows_its_knob(
        self, world: World, client: Client, settings: Any
    ) -> None:
        settings.MOTCUA_REQUEST_MAX_BYTES = int(1.5 * MB)
        files = [SimpleUploadedFile("a.pdf", PDF_BYTES + b" " * MB) for _ in range(2)]

        response = client.post(APPLY, {**world.form(), "tep_identity_document": files})

        assert response.status_code == 413
        assert "tối đa 1.5 MB" in page_text(response)

    def test_a_json_body_over_the_data_limit_is_a_413(
        self, world: World, client: Client, settings: Any
    ) -> None:
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB
        payload = submission(world, registration_place="x" * MB)

        response = client.post("/api/dossiers", payload, content_type="application/json")

        assert response.status_code == 413
        assert response.json()["code"] == "request_too_large"


# --- error pages -------------------------------------------------------------------------------


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _gone(request: HttpRequest) -> HttpResponse:
    raise Http404("Hồ sơ G1.23575-260213-0001 đã được rút.")


# This module is also the URLconf of the tests marked ``urls(__name__)``: the project's routes
# and handlers, plus views that fail on purpose.
urlpatterns = [
    path("thu/loi/", _boom),
    path("thu/cam/", _forbidden),
    path("thu/rut/", _gone),
    path("api/thu/loi", _boom),
    path("api/thu/cam", _forbidden),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


class TestErrorPages:
    def test_an_unknown_page_is_the_friendly_404(self, world: World, client: Client) -> None:
        response = client.get("/khong-co-trang-nay/")

        text = page_text(response)
        assert response.status_code == 404
        assert "<h1>Không tìm thấy trang</h1>" in text
        assert 'href="/tra-cuu/"' in text
        assert "Resolver404" not in text and "tried" not in text

    def test_the_404_page_follows_the_english_switch(self, world: World, client: Client) -> None:
        client.cookies["django_language"] = "en"

        response = client.get("/khong-co-trang-nay/", HTTP_ACCEPT_LANGUAGE="vi")

        text = page_text(response)
        assert '<html lang="en">' in text
        assert f"<h1>{english('Không tìm thấy trang')}</h1>" in text
        assert '<button name="language" value="vi" type="submit">Tiếng Việt</button>' in text

    def test_the_404_page_does_not_vary_with_the_request(self, world: World) -> None:
        # A dossier hidden from an officer must answer byte for byte like a missing one.
        client = Client()

        first = client.get("/ho-so-khong-co/1/")
        second = client.get("/khong-co-trang-nay/?q=1")

        assert first.status_code == second.status_code == 404
        assert first.content == second.content

    def test_the_404_language_switch_takes_its_token_from_the_cookie(self, world: World) -> None:
        client = Client(enforce_csrf_checks=True)
        page = client.get("/khong-co-trang-nay/")
        token = client.cookies["csrftoken"].value

        switched = client.post(
            "/i18n/setlang/",
            {"language": "en", "csrfmiddlewaretoken": token},
            HTTP_REFERER="http://testserver/khong-co-trang-nay/",
        )
        again = client.get("/khong-co-trang-nay/")

        assert 'data-csrf-cookie="csrftoken"' in page_text(page)
        assert (switched.status_code, switched["Location"]) == (
            302,
            "http://testserver/khong-co-trang-nay/",
        )
        assert '<html lang="en">' in page_text(again)

    def test_an_http404_with_a_message_keeps_the_friendly_page(
        self, world: World, client: Client
    ) -> None:
        response = client.get("/nop-ho-so/9.999999/")

        text = page_text(response)
        assert response.status_code == 404
        assert "<h1>Không tìm thấy trang</h1>" in text
        assert "Không có thủ tục mã “9.999999”." in text

    @pytest.mark.urls(__name__)
    def test_a_raised_http404_shows_its_message(self, world: World, client: Client) -> None:
        response = client.get("/thu/rut/")

        assert response.status_code == 404
        assert "Hồ sơ G1.23575-260213-0001 đã được rút." in page_text(response)

    @pytest.mark.urls(__name__)
    def test_permission_denied_is_the_403_page(self, world: World, client: Client) -> None:
        page = client.get("/thu/cam/")
        api = client.get("/api/thu/cam")

        assert page.status_code == 403
        assert "<h1>Không có quyền truy cập</h1>" in page_text(page)
        assert api.status_code == 403
        assert api.json() == {
            "code": "forbidden",
            "message": "Bạn không có quyền thực hiện thao tác này.",
        }

    def test_a_csrf_failure_says_the_session_expired(self, world: World) -> None:
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)

        response = client.post(APPLY, world.form(), HTTP_REFERER="http://testserver/tra-cuu/")

        text = page_text(response)
        assert response.status_code == 403
        assert SESSION_EXPIRED in text
        assert 'href="http://testserver/tra-cuu/"' in text
        assert Dossier.objects.count() == 0

    def test_a_csrf_failure_never_links_to_another_site(self, world: World) -> None:
        client = Client(enforce_csrf_checks=True)

        response = client.post(APPLY, world.form(), HTTP_REFERER="https://lua-dao.example/")

        assert 'href="https://lua-dao.example/"' not in page_text(response)
        assert '<a class="btn" href="/">' in page_text(response)

    @pytest.mark.urls(__name__)
    def test_a_server_error_is_the_self_contained_500_page(
        self, world: World, client: Client
    ) -> None:
        response = client.get("/thu/loi/")

        text = page_text(response)
        assert response.status_code == 500
        assert "<h1>Hệ thống đang gặp sự cố</h1>" in text
        assert "<link" not in text and "<script" not in text and "boom" not in text

    @pytest.mark.urls(__name__)
    def test_the_500_page_renders_when_the_context_processors_fail(
        self, world: World, client: Client, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(request: HttpRequest) -> dict[str, Any]:
            raise RuntimeError("context processor down")

        monkeypatch.setattr("motcua.core.context_processors.site", broken)
        client.cookies["django_language"] = "en"

        response = client.get("/thu/loi/")

        assert response.status_code == 500
        assert '<html lang="en">' in page_text(response)

    @pytest.mark.urls(__name__)
    def test_a_server_error_in_the_api_is_json(self, world: World, client: Client) -> None:
        response = client.get("/api/thu/loi")

        assert response.status_code == 500
        assert response.json()["code"] == "server_error"


class TestUnknownApiAddresses:
    @pytest.mark.parametrize(
        ("method", "url"),
        [
            ("get", "/api/nonexistent"),
            ("post", "/api/nonexistent"),
            ("get", "/api/procedures/2.000635/steps"),
            ("put", "/api/v2/dossiers"),
        ],
    )
    def test_they_answer_json_404(self, world: World, method: str, url: str) -> None:
        client = Client(enforce_csrf_checks=True)

        response = getattr(client, method)(url)

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "code": "not_found",
            "message": "Không có địa chỉ API này; danh sách các địa chỉ có ở /api/docs.",
        }

    def test_the_api_root_answers_json_404_too(self, world: World, client: Client) -> None:
        response = client.get("/api/")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_a_wrong_method_answers_json_405_with_allow(self, world: World, client: Client) -> None:
        response = client.delete("/api/procedures")

        assert response.status_code == 405
        assert response["Allow"] == "GET"
        assert response.json() == {
            "code": "method_not_allowed",
            "message": "Phương thức DELETE không dùng được ở địa chỉ này (được phép: GET).",
        }

    def test_the_documented_addresses_still_answer(self, world: World, client: Client) -> None:
        assert client.get("/api/procedures").status_code == 200
        assert client.get("/api/openapi.json").status_code == 200
        assert client.get("/api/docs").status_code == 200


# --- logs ------------------------------------------------------------------------------------


class TestLogLines:
    def record(self, message: str, *args: Any, exc_info: Any = None) -> logging.LogRecord:
        record = logging.LogRecord(
            "motcua.dossiers.services", logging.INFO, __file__, 1, message, args, exc_info
        )
        record.created = 1770975000.123  # 2026-02-13 09:30:00.123 UTC
        return record

    def test_times_are_vietnam_time_with_the_offset(self) -> None:
        line = EventFormatter().format(self.record("dossier.accepted id=%s", 42))

        assert line == (
            "2026-02-13T16:30:00.123+07:00 INFO motcua.dossiers.services dossier.accepted id=42"
        )

    def test_the_installation_zone_is_used(self, settings: Any) -> None:
        settings.TIME_ZONE = "Asia/Tokyo"

        line = EventFormatter().format(self.record("x"))

        assert line.startswith("2026-02-13T18:30:00.123+09:00 ")

    def test_one_event_stays_one_line(self) -> None:
        try:
            raise ValueError("hai\ndòng")
        except ValueError:
            line = EventFormatter().format(self.record("a\nb\r\nc", exc_info=sys.exc_info()))

        assert "\n" not in line and "\r" not in line
        assert " a\\nb\\r\\nc exc='Traceback" in line
