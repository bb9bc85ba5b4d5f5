from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from motcua.api import api

urlpatterns = [
    path("", include("motcua.portal.urls")),
    path("mot-cua/", include("motcua.backoffice.urls")),
    path("api/", api.urls),
    path("quan-tri/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("motcua.payments.urls")),
]
