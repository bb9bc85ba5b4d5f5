from django.urls import path

from motcua.citizens import views

app_name = "citizens"
urlpatterns = [
    path("dang-nhap/", views.sign_in, name="sign_in"),
    path("dang-nhap/ket-qua/", views.callback, name="callback"),
    path("dang-xuat/", views.sign_out, name="sign_out"),
    path("ho-so-cua-toi/", views.my_dossiers, name="my_dossiers"),
]
