from django.urls import URLPattern, URLResolver, path

from motcua.eoffice import views

app_name = "eoffice"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.outgoing, name="outgoing"),
    path("den/", views.incoming, name="incoming"),
    path("soan-thao/", views.compose, name="compose"),
    path("<int:pk>/", views.document, name="document"),
    path("<int:pk>/tep/", views.document_pdf, name="pdf"),
    path("<int:pk>/sua/", views.edit, name="edit"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
    path("den/<int:pk>/<slug:action>/", views.entry_act, name="entry_act"),
]
