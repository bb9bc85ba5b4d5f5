from django.contrib.auth import views as auth_views
from django.urls import path

from motcua.accounts import views as account_views
from motcua.backoffice import notices, views

app_name = "backoffice"
urlpatterns = [
    path("dang-nhap/", account_views.login, name="login"),
    path("dang-nhap/xac-thuc/", account_views.verify, name="totp_verify"),
    path("xac-thuc-hai-buoc/", account_views.enrol, name="totp_enrol"),
    path(
        "dang-xuat/",
        auth_views.LogoutView.as_view(next_page="backoffice:login"),
        name="logout",
    ),
    path("", views.worklist, name="worklist"),
    path("ho-so/<int:pk>/", views.desk, name="desk"),
    path("ho-so/<int:pk>/tep/<int:file_id>/", views.dossier_file, name="file"),
    path("ho-so/<int:pk>/phieu-kiem-soat/", views.control_sheet, name="control_sheet"),
    path("ho-so/<int:pk>/<slug:action>/", views.act, name="act"),
    path("so-theo-doi/", views.register_book, name="register_book"),
    path("tiep-nhan/", views.register_index, name="register_index"),
    path("tiep-nhan/<str:code>/", views.register, name="register"),
    path("thong-bao/", notices.notice_list, name="notices"),
    path("thong-bao/da-doc/", notices.mark_notices_read, name="notices_read"),
]
