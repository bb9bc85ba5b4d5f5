"""The citizen's private dossier page: status, fee, timeline, supplements, withdrawal, files."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier, DossierFile, FileKind
from motcua.dossiers.states import State
from motcua.dossiers.uploads import Upload
from motcua.portal.tests.conftest import EM_FORM, PDF_BYTES, PNG_BYTES, World


def _page(dossier: Dossier, client: Client | None = None) -> Any:
    return (client or Client()).get(reverse("portal:dossier", args=[dossier.access_token]))


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


class TestStatus:
    def test_a_new_dossier_shows_its_code_state_fee_and_pay_button(self, world: World) -> None:
        dossier = world.submit()

        response = _page(dossier)
        html = response.content.decode()

        assert response.status_code == 200
        assert f'<p class="dossier-code">{dossier.code}</p>' in html
        assert "Mới đăng ký" in html
        assert "Mã trạng thái quốc gia: 1" in html
        assert "Có sau khi hồ sơ được tiếp nhận." in html
        assert "16.000 đ" in html
        assert "Chưa nộp" in html
        pay = reverse("payments:start", args=[dossier.access_token])
        assert f'action="{pay}"' in html
        assert "Thanh toán trực tuyến" in html
        assert response["Cache-Control"].startswith("max-age=0")
        assert '<meta name="robots" content="noindex, nofollow">' in html

    def test_timeline_speaks_plain_vietnamese_in_vietnam_time(self, world: World) -> None:
        dossier = dossiers.accept(world.submit().pk, actor=world.binh)

        html = _page(dossier).content.decode()

        assert "Hồ sơ đã được nộp" in html
        assert "Hồ sơ hợp lệ, đang chờ nộp phí, lệ phí" in html
        submitted = dossier.events.get(action="submit").at
        assert _local(submitted) in html
        assert "Chờ nộp phí" in html

    def test_accepted_dossier_shows_appointment_and_receipt_slip(self, world: World) -> None:
        dossier = world.accepted()
        client = Client()

        html = _page(dossier, client).content.decode()

        assert dossier.state == State.ACCEPTED
        assert f'<span class="appointment">{_local(dossier.due_at)}</span>' in html
        assert "Đã nộp" in html
        assert "Thanh toán trực tuyến" not in html
        slip = DossierFile.objects.get(dossier=dossier, kind=FileKind.RECEIPT_SLIP)
        url = reverse("portal:dossier_file", args=[dossier.access_token, slip.pk])
        assert f'href="{url}"' in html

        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'attachment; filename="{dossier.code}-phieu-tiep-nhan.pdf"'
        )
        assert b"".join(response.streaming_content).startswith(b"%PDF")

    def test_approved_dossier_offers_the_result_files(self, world: World) -> None:
        dossier = world.approved()

        html = _page(dossier).content.decode()

        results = DossierFile.objects.filter(dossier=dossier, kind=FileKind.RESULT)
        assert results.count() == 2
        for result in results:
            assert reverse("portal:dossier_file", args=[dossier.access_token, result.pk]) in html
        assert "Đã có kết quả" in html

    def test_unknown_token_is_not_found(self, world: World) -> None:
        world.submit()

        assert Client().get(reverse("portal:dossier", args=["x" * 32])).status_code == 404


class TestFiles:
    def test_vietnamese_file_name_is_sent_in_utf8(self, world: World) -> None:
        dossier = world.submit(uploads=[Upload("Căn cước.png", PNG_BYTES, "identity_document")])
        stored = DossierFile.objects.get(dossier=dossier, kind=FileKind.ATTACHMENT)

        response = Client().get(
            reverse("portal:dossier_file", args=[dossier.access_token, stored.pk])
        )

        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == (
            "attachment; filename*=utf-8''C%C4%83n%20c%C6%B0%E1%BB%9Bc.png"
        )

    def test_another_dossiers_file_is_not_found(self, world: World) -> None:
        an = world.submit(uploads=[Upload("an.pdf", PDF_BYTES, "identity_document")])
        em = world.submit(EM_FORM, uploads=[Upload("em.pdf", PDF_BYTES, "identity_document")])
        em_file = DossierFile.objects.get(dossier=em, kind=FileKind.ATTACHMENT)

        response = Client().get(reverse("portal:dossier_file", args=[an.access_token, em_file.pk]))

        assert response.status_code == 404


class TestSupplement:
    def _requested(self, world: World) -> Dossier:
        return dossiers.request_supplement(
            world.submit().pk,
            actor=world.binh,
            items=["Bản chụp thẻ căn cước (hai mặt)"],
            reason="Thiếu giấy tờ tùy thân của người yêu cầu.",
        )

    def test_the_request_and_its_form_are_shown(self, world: World) -> None:
        dossier = self._requested(world)

        html = _page(dossier).content.decode()

        assert "Yêu cầu bổ sung hồ sơ" in html
        assert "Bản chụp thẻ căn cước (hai mặt)" in html
        assert "Thiếu giấy tờ tùy thân của người yêu cầu." in html
        assert reverse("portal:supplement", args=[dossier.access_token]) in html

    def test_supplementing_with_a_file_sends_the_dossier_back_to_reception(
        self, world: World
    ) -> None:
        dossier = self._requested(world)
        scan = SimpleUploadedFile("cccd.png", PNG_BYTES, "image/png")

        response = Client().post(
            reverse("portal:supplement", args=[dossier.access_token]),
            {"tep_identity_document": scan, "note": "Gửi bản chụp hai mặt."},
        )

        assert response.status_code == 302
        dossier.refresh_from_db()
        assert dossier.state == State.SUBMITTED
        attachment = DossierFile.objects.get(dossier=dossier, kind=FileKind.ATTACHMENT)
        assert attachment.component_key == "identity_document"
        assert dossier.supplements.get().completed_at is not None

    def test_supplementing_with_nothing_is_refused(self, world: World) -> None:
        dossier = self._requested(world)

        response = Client().post(reverse("portal:supplement", args=[dossier.access_token]), {})

        assert response.status_code == 422
        assert response.context["supplement_form"].errors == {
            "__all__": ["Cần gửi giấy tờ bổ sung hoặc ghi chú."]
        }
        dossier.refresh_from_db()
        assert dossier.state == State.SUPPLEMENT_REQUESTED


class TestWithdraw:
    def test_withdrawal_needs_a_reason(self, world: World) -> None:
        dossier = world.submit()

        response = Client().post(
            reverse("portal:withdraw", args=[dossier.access_token]), {"reason": "  "}
        )

        assert response.status_code == 422
        assert response.context["withdraw_form"].errors == {"reason": ["Cần ghi rõ lý do."]}
        dossier.refresh_from_db()
        assert dossier.state == State.SUBMITTED

    def test_withdrawal_closes_the_dossier(self, world: World) -> None:
        dossier = world.submit()
        client = Client()

        response = client.post(
            reverse("portal:withdraw", args=[dossier.access_token]),
            {"reason": "Đã có bản sao khác."},
        )
        html = client.get(response.url).content.decode()

        dossier.refresh_from_db()
        assert dossier.state == State.WITHDRAWN
        assert "Đã rút hồ sơ" in html
        assert reverse("portal:withdraw", args=[dossier.access_token]) not in html
        assert "Thanh toán trực tuyến" not in html

    def test_an_approved_dossier_can_no_longer_be_withdrawn(self, world: World) -> None:
        dossier = world.approved()

        response = Client().post(
            reverse("portal:withdraw", args=[dossier.access_token]),
            {"reason": "Đổi ý."},
            follow=True,
        )

        assert response.redirect_chain == [
            (reverse("portal:dossier", args=[dossier.access_token]), 302)
        ]
        assert "Không thể “Rút hồ sơ” khi hồ sơ đang ở trạng thái “Đã có kết quả”." in (
            response.content.decode()
        )
        dossier.refresh_from_db()
        assert dossier.state == State.APPROVED
