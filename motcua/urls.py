from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language

from motcua.api import api
from motcua.core import errors_views

urlpatterns = [
    path("", include("motcua.portal.urls")),
    path("cong-dan/", include("motcua.citizens.urls")),
    path("danh-gia/", include("motcua.reports.feedback_urls")),
    path("xac-thuc/", include("motcua.pki.urls")),
    path("mot-cua/van-ban/", include("motcua.eoffice.urls")),
    path("mot-cua/lien-thong/", include("motcua.exchange.urls")),
    path("mot-cua/bao-cao/", include("motcua.reports.urls")),
    path("mot-cua/", include("motcua.backoffice.urls")),
    path("api/", api.urls),
    # Whatever else is under /api/ answers in the API's JSON shape, not with the 404 page.
    re_path(r"^api/(?P<rest>.*)$", errors_views.api_not_found, name="api_not_found"),
    path("quan-tri/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("motcua.payments.urls")),
]
if settings.MOTCUA_DEMO:  # a local stand-in for VNeID (motcua/citizens/devprovider.py)
    urlpatterns.insert(0, path("oidc-dev/", include("motcua.citizens.devprovider_urls")))

handler400 = errors_views.bad_request
handler403 = errors_views.permission_denied
handler404 = errors_views.page_not_found
handler500 = errors_views.server_error
