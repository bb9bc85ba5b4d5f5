from django.urls import path
from django.views.generic import TemplateView

app_name = "portal"
urlpatterns = [
    path("", TemplateView.as_view(template_name="base.html"), name="home"),
    path("tra-cuu/", TemplateView.as_view(template_name="base.html"), name="track"),
]
