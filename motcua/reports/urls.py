from django.urls import URLPattern, URLResolver, path

from motcua.reports import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("ho-so/", views.drill, name="drill"),
    path("ho-so/<int:pk>/", views.dossier_measure, name="dossier"),
    path("xuat.<str:fmt>", views.export, name="export"),
    path("phan-anh/", views.complaints, name="complaints"),
    path("phan-anh/<int:pk>/", views.handle_complaint, name="handle_complaint"),
]
