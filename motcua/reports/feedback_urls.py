"""The citizen's rating and complaint page, on the public site (/danh-gia/<private token>/)."""

from django.urls import URLPattern, path

from motcua.reports import views

app_name = "feedback"

urlpatterns: list[URLPattern] = [
    path("<str:access_token>/", views.feedback, name="feedback"),
]
