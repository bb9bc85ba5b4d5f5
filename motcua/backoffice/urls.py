from django.contrib.auth import views as auth_views
from django.urls import path

from motcua.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("dang-nhap/", auth_views.LoginView.as_view(), name="login"),
    path("", views.worklist, name="worklist"),
]
