from django.urls import path

from motcua.pki import views

app_name = "pki"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("<str:code>/", views.dossier_documents, name="dossier"),
]
