"""The service-center search of the API, and the bearer keys officers' clients call it with.

The cast: a citizen of Phường Pleiku looks for her ward's center however she types its name;
the provincial operator issues a key for Trần Văn Bình (tn.phuongpleiku), receiving officer
at that center, whose drill agent then calls the API.
"""

import hashlib
import io
from typing import Any
from unittest import mock

from django.core.management import CommandError, call_command
from django.test import TestCase

from motcua import cli
from motcua.core.errors import InvalidInput
from motcua.core.models import AuditEntry
from motcua.org.models import Agency, ApiToken, Role, User
from motcua.org.services import add_staff, authenticate_api_token, issue_api_token, load_units

PLEIKU_CENTER = {
    "slug": "ttpvhcc-23575",
    "code": "H52.23575.01",
    "code_is_placeholder": True,
    "name": "Trung tâm Phục vụ hành chính công Phường Pleiku",
    "kind": "commune_center",
    "provincial": False,
    "ward_code": 23575,
    "ward_name": "Phường Pleiku",
    "former_province": "gia_lai",
    "former_province_label": "Gia Lai (cũ)",
    "address": "",
}


class CenterSearchTest(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        if not Agency.objects.filter(slug="ttpvhcc-23575").exists():  # else the conftest did
            load_units()

    def search(self, **query: Any) -> Any:
        response = self.client.get("/api/centers", query)
        assert response.status_code == 200, response.content
        return response.json()

    def test_with_or_without_diacritics_and_spaces(self) -> None:
        for typed in ("pleiku", "Plei Ku", "Phường Pleiku", "PHUONG PLEIKU", "23575"):
            found = self.search(q=typed)
            assert found["count"] == 1, typed
            center = found["items"][0]
            assert {key: center[key] for key in PLEIKU_CENTER} == PLEIKU_CENTER, typed

    def test_a_name_shared_by_several_wards_of_former_binh_dinh(self) -> None:
        found = self.search(q="quy nhơn")
        assert [c["ward_name"] for c in found["items"]] == [
            "Phường Quy Nhơn",
            "Phường Quy Nhơn Bắc",
            "Phường Quy Nhơn Nam",
            "Phường Quy Nhơn Tây",
            "Phường Quy Nhơn Đông",  # the database's order: "Đ" after "T"
        ]
        assert {c["former_province"] for c in found["items"]} == {"binh_dinh"}

    def test_only_the_provinces_own_centers(self) -> None:
        assert self.search(q="ba dinh")["count"] == 0  # a ward of Hà Nội
        assert self.search(q="4")["count"] == 0  # a commune code outside Gia Lai

    def test_every_center_paginated_the_provincial_one_first(self) -> None:
        first = self.search()
        assert first["count"] == 136  # 135 communes and wards, and the province's own center
        assert len(first["items"]) == 50
        assert first["items"][0]["slug"] == "ttpvhcc-tinh-gia-lai"
        assert first["items"][0]["provincial"] is True
        assert first["items"][0]["ward_code"] is None
        last = self.search(page=3)
        assert len(last["items"]) == 36

    def test_a_search_takes_two_queries(self) -> None:
        with self.assertNumQueries(2):
            self.search(q="pleiku")

    def test_a_page_number_beyond_any_list_is_refused_by_name(self) -> None:
        from motcua.core.pagination import MAX_PAGE

        rules = {
            10**20: f"“page” không được lớn hơn {MAX_PAGE}.",
            0: "“page” phải từ 1 trở lên.",
        }
        for page, rule in rules.items():
            response = self.client.get("/api/centers", {"page": page})
            assert response.status_code == 422, response.content
            errors = response.json()["errors"]
            assert [(e["field"], e["code"], e["message"]) for e in errors] == [
                ("page", "range", rule)
            ], page
        past_the_end = self.search(page=MAX_PAGE)
        assert past_the_end["items"] == [] and past_the_end["count"] == 136

    def test_a_query_too_long(self) -> None:
        response = self.client.get("/api/centers", {"q": "p" * 101})
        assert response.status_code == 422
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("q", "max_length")]


class ApiTokenTest(TestCase):
    binh: User

    @classmethod
    def setUpTestData(cls) -> None:
        if not Agency.objects.filter(slug="ttpvhcc-23575").exists():  # else the conftest did
            load_units()
        cls.binh = add_staff(
            username="tn.phuongpleiku",
            full_name="Trần Văn Bình",
            agency=Agency.objects.get(slug="ttpvhcc-23575"),
            role=Role.RECEIVER,
            password_hash="!",
        )

    def test_the_key_is_shown_once_and_only_its_hash_is_kept(self) -> None:
        key = issue_api_token(self.binh, "dien-tap", actor="cli")

        token = ApiToken.objects.get()
        assert key.startswith("mct_") and len(key) > 40
        assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert (token.user, token.label, token.last_used_at) == (self.binh, "dien-tap", None)
        entry = AuditEntry.objects.get(action="org.api_token_issued")
        assert (entry.actor_label, entry.data) == ("cli", {"user": self.binh.pk})

    def test_the_key_authenticates_its_officer_while_active(self) -> None:
        key = issue_api_token(self.binh, "dien-tap")

        assert authenticate_api_token(key) == self.binh
        assert ApiToken.objects.get().last_used_at is not None
        assert authenticate_api_token(key + "x") is None
        assert authenticate_api_token("Bearer " + key) is None
        self.binh.is_active = False
        self.binh.save()
        assert authenticate_api_token(key) is None

    def test_a_public_endpoint_refuses_a_bad_key_and_serves_a_good_one_or_none(self) -> None:
        key = issue_api_token(self.binh, "tich-hop")
        revoked = issue_api_token(self.binh, "cu")
        ApiToken.objects.filter(label="cu").delete()

        def centers(**headers: str) -> Any:
            return self.client.get("/api/centers", {"q": "pleiku"}, headers=headers)

        assert centers().status_code == 200
        assert centers(Authorization=f"Bearer {key}").status_code == 200
        assert centers(Authorization="Basic dGVzdDp0ZXN0").status_code == 200  # not a key
        assert centers(Authorization="Bearer ").status_code == 200  # no key given
        for bad in ("mct_not-a-key", revoked, key + "x"):
            refused = centers(Authorization=f"Bearer {bad}")
            assert refused.status_code == 401
            assert refused.json() == {
                "code": "invalid_token",
                "message": "Khóa truy cập API không hợp lệ hoặc đã bị thu hồi.",
            }
        english = centers(Authorization="Bearer mct_x", **{"Accept-Language": "en"})
        assert english.json()["message"] == "The API access key is invalid or has been revoked."
        # Outside /api/ the header is not ours to judge.
        assert self.client.get("/", headers={"Authorization": "Bearer x"}).status_code == 200

    def test_a_label_is_required(self) -> None:
        with self.assertRaises(InvalidInput) as raised:
            issue_api_token(self.binh, "  ")
        assert (raised.exception.field, raised.exception.code) == ("label", "label_length")
        assert ApiToken.objects.count() == 0

    def test_the_command_prints_a_working_key(self) -> None:
        out = io.StringIO()
        call_command(
            "issue_token", "tn.phuongpleiku", "--label", "drill", stdout=out, stderr=io.StringIO()
        )

        key = out.getvalue().strip()
        assert authenticate_api_token(key) == self.binh
        assert ApiToken.objects.get().label == "drill"
        response = self.client.get("/api/worklist", headers={"Authorization": f"Bearer {key}"})
        assert response.json() == {"items": [], "count": 0}

    def test_the_console_script_takes_the_dashed_name(self) -> None:
        # Run in-process, a management command closes the database connections at its end,
        # which a test transaction cannot survive: check what the script hands to Django.
        target = "django.core.management.execute_from_command_line"
        with mock.patch(target) as execute:
            assert cli.main(["issue-token", "tn.phuongpleiku", "--label", "drill"]) == 0
        execute.assert_called_once_with(
            ["motcua", "issue_token", "tn.phuongpleiku", "--label", "drill"]
        )

    def test_the_command_refuses_an_unknown_officer(self) -> None:
        with self.assertRaises(CommandError):
            call_command("issue_token", "tn.khongco", stdout=io.StringIO())
        assert ApiToken.objects.count() == 0
