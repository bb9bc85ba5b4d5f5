"""Citizens rate the service once after the result and record complaints; officers handle
complaints; both feed the satisfaction indicator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from django.test import Client

from motcua.conftest import World
from motcua.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from motcua.core.models import AuditEntry
from motcua.dossiers.models import Dossier
from motcua.reports import selectors, services
from motcua.reports.models import Complaint, ComplaintStatus, Rating
from motcua.reports.tests.scenario import at

pytestmark = pytest.mark.usefixtures("stub_pdfs")


@pytest.fixture
def returned(world: World, set_now: Callable[[datetime], None]) -> Dossier:
    set_now(at(2, 9))
    dossier: Dossier = world.dossier_in("returned")
    return dossier


def test_the_citizen_rates_once_on_the_page(world: World, returned: Dossier) -> None:
    client = Client()
    url = f"/danh-gia/{returned.access_token}/"
    page = client.get(url)
    assert page.status_code == 200 and "Gửi đánh giá" in page.content.decode()

    response = client.post(url, {"form": "rating", "satisfied": "0", "comment": "Chờ lâu."})
    assert response.status_code == 302
    rating = Rating.objects.get(dossier=returned)
    assert (rating.satisfied, rating.comment) == (False, "Chờ lâu.")
    assert AuditEntry.objects.filter(action="reports.rate", object_id=str(rating.pk)).count() == 1
    assert "Bạn đã đánh giá: Không hài lòng." in client.get(url).content.decode()

    with pytest.raises(Conflict) as error:
        services.rate_service(access_token=returned.access_token, satisfied=True)
    assert error.value.code == "already_rated"
    assert Rating.objects.filter(dossier=returned).count() == 1


def test_the_dossier_page_links_to_the_rating(world: World, returned: Dossier) -> None:
    html = Client().get(f"/ho-so/{returned.access_token}/").content.decode()
    assert f"/danh-gia/{returned.access_token}/" in html


def test_no_rating_before_the_result(world: World, set_now: Callable[[datetime], None]) -> None:
    set_now(at(2, 9))
    dossier = world.dossier_in("processing")
    with pytest.raises(InvalidTransition) as error:
        services.rate_service(access_token=dossier.access_token, satisfied=True)
    assert error.value.code == "not_rateable"
    response = Client().post(
        f"/danh-gia/{dossier.access_token}/", {"form": "rating", "satisfied": "1"}
    )
    assert response.status_code == 200
    assert not Rating.objects.exists()


def test_rating_needs_a_choice_and_a_real_token(world: World, returned: Dossier) -> None:
    response = Client().post(f"/danh-gia/{returned.access_token}/", {"form": "rating"})
    assert response.context["rating_form"].errors["satisfied"]
    assert Client().get("/danh-gia/khong-co/").status_code == 404
    with pytest.raises(NotFound):
        services.rate_service(access_token="khong-co", satisfied=True)


def test_a_complaint_is_recorded_and_handled(world: World, returned: Dossier) -> None:
    client = Client()
    url = f"/danh-gia/{returned.access_token}/"
    assert (
        client.post(url, {"form": "complaint", "content": "  "})
        .context["complaint_form"]
        .errors["content"]
    )
    client.post(url, {"form": "complaint", "content": "Cán bộ hẹn sai giờ."})
    complaint = Complaint.objects.get(dossier=returned)
    assert complaint.status == ComplaintStatus.RECEIVED

    # An officer of another commune does not find it; the commune's leader handles it.
    with pytest.raises(NotFound):
        services.handle_complaint(
            complaint.pk, actor=world.quynhon.leader, answer="", resolve=False
        )
    with pytest.raises(InvalidInput) as error:
        services.handle_complaint(complaint.pk, actor=world.pleiku.leader, answer=" ", resolve=True)
    assert error.value.field == "answer"

    leader = Client()
    leader.force_login(world.pleiku.leader)
    listed = leader.get("/mot-cua/bao-cao/phan-anh/")
    assert [c.pk for c in listed.context["page"].object_list] == [complaint.pk]
    leader.post(
        f"/mot-cua/bao-cao/phan-anh/{complaint.pk}/", {"answer": "Đã xin lỗi.", "resolve": "1"}
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.handler, complaint.answer) == (
        ComplaintStatus.RESOLVED,
        world.pleiku.leader,
        "Đã xin lỗi.",
    )
    with pytest.raises(InvalidTransition):
        services.handle_complaint(complaint.pk, actor=world.pleiku.leader, answer="x", resolve=True)


def test_ratings_and_complaints_feed_satisfaction(
    world: World, set_now: Callable[[datetime], None]
) -> None:
    # Four dossiers returned on time on 2/3; one "not satisfied", one with a complaint.
    set_now(at(2, 9))
    dossiers = [world.dossier_in("returned") for _ in range(4)]
    set_now(at(2, 16))
    services.rate_service(access_token=dossiers[0].access_token, satisfied=False)
    services.rate_service(access_token=dossiers[1].access_token, satisfied=True)
    services.file_complaint(access_token=dossiers[2].access_token, content="Phí cao.")
    set_now(at(15, 12, month=4))

    period = selectors.parse_period("2026-03-01", "2026-03-31", None)
    total = selectors.total_row(Dossier.objects.all(), period)
    assert total.count("resolved") == 4
    assert total.count("resolved_late") == 0
    assert total.count("complained") == 2
    assert total.satisfaction == Decimal("50.0")  # 100 − (0% + 2/4)
