"""Signing in and out of the back office."""

from django.test import Client
from django.urls import reverse

from motcua.backoffice.tests.conftest import PASSWORD, Office

LOGIN = "/mot-cua/dang-nhap/"
WORKLIST = "/mot-cua/"


def test_the_urls_are_where_the_settings_say() -> None:
    assert reverse("backoffice:login") == LOGIN
    assert reverse("backoffice:worklist") == WORKLIST
    assert reverse("backoffice:logout") == "/mot-cua/dang-xuat/"


def test_an_anonymous_visitor_is_sent_to_the_login_page(office: Office) -> None:
    response = Client().get(WORKLIST)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/mot-cua/"


def test_the_login_page_is_in_vietnamese_without_the_demo_hint(office: Office) -> None:
    response = Client().get(LOGIN)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Đăng nhập cán bộ" in page
    assert 'name="username"' in page and 'name="password"' in page
    assert "tn.phuongpleiku" not in page


def test_in_demo_mode_the_login_page_names_the_sample_accounts(office: Office, settings) -> None:
    settings.MOTCUA_DEMO = True

    page = Client().get(LOGIN).content.decode()

    assert "tài khoản mẫu" in page
    assert "<code>tn.phuongpleiku</code>" in page
    assert "<code>cv.phuongpleiku</code>" in page
    assert "<code>ld.phuongpleiku</code>" in page


def test_the_receiver_signs_in_and_lands_on_the_worklist(office: Office) -> None:
    client = Client()

    response = client.post(LOGIN, {"username": "tn.phuongpleiku", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == WORKLIST
    page = client.get(WORKLIST).content.decode()
    assert "Cán bộ tiếp nhận Phường Pleiku" in page
    assert "Mới nộp" in page


def test_a_wrong_password_is_refused_with_a_message(office: Office) -> None:
    response = Client().post(LOGIN, {"username": "tn.phuongpleiku", "password": "sai"})

    assert response.status_code == 200
    assert response.wsgi_request.user.is_anonymous
    assert 'class="errorlist"' in response.content.decode()


def test_signing_out_takes_a_post_and_ends_the_session(office: Office) -> None:
    client = office.client_for(office.receiver)

    assert client.get("/mot-cua/dang-xuat/").status_code == 405
    response = client.post("/mot-cua/dang-xuat/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get(WORKLIST).status_code == 302
