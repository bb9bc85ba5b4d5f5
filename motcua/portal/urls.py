from django.urls import path

from motcua.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("xa-phuong/tim/", views.center_search, name="center_search"),
    path("nop-ho-so/<str:procedure_code>/", views.apply, name="apply"),
    path("ho-so/<str:access_token>/", views.dossier, name="dossier"),
    path("ho-so/<str:access_token>/bo-sung/", views.supplement, name="supplement"),
    path("ho-so/<str:access_token>/rut/", views.withdraw, name="withdraw"),
    path("ho-so/<str:access_token>/tep/<int:file_id>/", views.dossier_file, name="dossier_file"),
    path("tra-cuu/", views.track, name="track"),
]
