"""The catalog API: procedures with what a client needs to file them, and the legal clock
(``/api/deadlines/due``) giving the same answer as ``motcua due --json``.

The cast: an integrator of the national portal reads the catalog in Vietnamese and in
English; a virtual officer of the drill asks when a dossier received on the Friday before
Tết 2026 is due.
"""

import argparse
import io
import json
from contextlib import redirect_stdout
from typing import Any

from django.test import TestCase

from motcua.catalog.loader import PROCEDURES_DIR, load_catalog
from motcua.catalog.models import Procedure
from motcua.deadlines import cli as deadlines_cli

# The shipped procedure files, read from disk independently of the loader.
SHIPPED_CODES = sorted(path.stem for path in PROCEDURES_DIR.glob("*.yaml"))
PROCEDURE = {
    "code": "2.000635",
    "version": 1,
    "name": "Cấp bản sao trích lục hộ tịch",
    "field": "Hộ tịch",
    "level": "commune",
    "competent_kind": "commune_pc",
    "boundaryless": True,
    "deadline_kind": "same_day",
    "statutory_days": 1.0,
    "online_level": "full",
}


class CatalogApiTest(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        if not Procedure.objects.filter(code="2.000635").exists():  # else the conftest did
            load_catalog()

    def get(self, path: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, data, headers=headers)

    def assert_error(self, response: Any, status: int, code: str, field: str | None) -> None:
        assert response.status_code == status, response.content
        body = response.json()
        assert (body["code"], body.get("field")) == (code, field), body
        assert body["message"]

    def test_the_procedures_in_force(self) -> None:
        with self.assertNumQueries(1):
            response = self.get("/api/procedures")
        assert response.status_code == 200
        body = response.json()
        assert [p["code"] for p in body] == SHIPPED_CODES
        assert next(p for p in body if p["code"] == "2.000635") == PROCEDURE

    def test_english_with_accept_language(self) -> None:
        response = self.get("/api/procedures", **{"Accept-Language": "en"})
        assert response["Content-Language"] == "en"
        procedure = next(p for p in response.json() if p["code"] == "2.000635")
        assert (procedure["name"], procedure["field"]) == (
            "Issuing copies of civil-status extracts",
            "Civil status",
        )
        detail = self.get("/api/procedures/2.000635", **{"Accept-Language": "en"}).json()
        assert detail["steps"][0]["name"] == "Receive and check the dossier"
        assert detail["fees"][0]["name"] == "Fee for using information in the civil-status database"

    def test_one_procedure_with_steps_documents_form_and_fees(self) -> None:
        # The reference stamp, then the procedure with its steps, documents and fees; once
        # kept by the process, the stamp alone.
        with self.assertNumQueries(5):
            response = self.get("/api/procedures/2.000635")
        with self.assertNumQueries(1):
            assert self.get("/api/procedures/2.000635").json() == response.json()
        detail = response.json()
        assert {key: detail[key] for key in PROCEDURE} == PROCEDURE
        assert detail["legal_basis"].startswith("Luật Hộ tịch số 60/2014/QH13")
        assert [(s["key"], s["role"], s["unit"], s["budget_days"]) for s in detail["steps"]] == [
            ("receive", "receiver", "receiving", 0.25),
            ("process", "specialist", "competent", 0.5),
            ("approve", "leader", "competent", 0.125),
            ("return", "receiver", "receiving", 0.125),
        ]
        assert [(d["key"], d["required"], d["upload"]) for d in detail["documents"]] == [
            ("request_form", True, "none"),
            ("identity_document", True, "optional"),
            ("authorisation", False, "optional"),
        ]
        assert [spec["name"] for spec in detail["form_schema"]][:3] == [
            "requester_name",
            "requester_id_number",
            "requester_birth_date",
        ]
        assert len(detail["form_schema"]) == 14
        assert detail["fees"] == [
            {
                "key": "phi_khai_thac_ho_tich",
                "name": "Phí khai thác, sử dụng thông tin trong cơ sở dữ liệu hộ tịch",
                "kind": "phi",
                "amount": 8000,
                "per": "copies",
                "valid_from": "2017-01-01",
                "valid_to": None,
                "is_example": False,
                "legal_basis": (
                    "Thông tư 281/2016/TT-BTC, Điều 4 mục 4 (8.000 đồng/bản sao trích lục/sự kiện)"
                ),
            }
        ]

    def test_an_unknown_procedure(self) -> None:
        response = self.get("/api/procedures/9.999999")
        self.assert_error(response, 404, "unknown_procedure", "procedure")


class DeadlineApiTest(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        if not Procedure.objects.filter(code="2.000635").exists():  # else the conftest did
            load_catalog()

    def due(self, query: str) -> Any:
        return self.client.get(f"/api/deadlines/due?{query}")

    def cli(self, **options: str | None) -> dict[str, Any]:
        """What ``motcua due --json`` prints for the same question."""
        args = argparse.Namespace(
            received=options.get("received"),
            days=options.get("days"),
            procedure=options.get("procedure"),
            json=True,
        )
        out = io.StringIO()
        with redirect_stdout(out):
            assert deadlines_cli.run(args) == 0
        result: dict[str, Any] = json.loads(out.getvalue())
        return result

    def test_working_days_across_tet_as_the_cli_says(self) -> None:
        # Friday 13 February 2026, after office hours, three working days: Tết intervenes.
        response = self.due("received=2026-02-13T17:45&days=3")
        assert response.status_code == 200
        assert response.json() == self.cli(received="2026-02-13T17:45", days="3")
        assert response.json()["received_at"] == "2026-02-13T17:45:00+07:00"

    def test_the_procedures_own_rule_as_the_cli_says(self) -> None:
        response = self.due("received=2026-02-12T15:30&procedure=2.000635")
        assert response.json() == self.cli(received="2026-02-12T15:30", procedure="2.000635")
        assert response.json()["due_at"] == "2026-02-13T17:00:00+07:00"

    def test_half_days_with_a_comma_and_an_unencoded_offset(self) -> None:
        # "+07:00" unencoded in a query string arrives as " 07:00"; Vietnamese writes 2.5 as "2,5".
        response = self.due("received=2026-12-02T09:00:00+07:00&days=2,5")
        assert response.json() == self.cli(received="2026-12-02T09:00:00+07:00", days="2.5")
        assert response.json()["due_at"] == "2026-12-07T11:30:00+07:00"

    def test_bad_questions(self) -> None:
        cases = [
            ("received=2026-12-02T09:00", 422, "days_or_procedure", "days"),
            ("days=3&procedure=2.000635", 422, "days_or_procedure", "days"),
            ("days=2.3", 422, "days_format", "days"),
            ("days=-1", 422, "days_format", "days"),
            ("days=ba", 422, "days_format", "days"),
            ("received=13/02/2026&days=3", 422, "datetime_format", "received"),
            ("procedure=9.999999", 404, "unknown_procedure", "procedure"),
        ]
        for query, status, code, field in cases:
            response = self.due(query)
            assert response.status_code == status, query
            assert (response.json()["code"], response.json()["field"]) == (code, field), query
