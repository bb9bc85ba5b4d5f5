"""The site's URLs plus the demo's local provider, as ``make run`` mounts them."""

from django.urls import include, path

from motcua.urls import urlpatterns as site_patterns

urlpatterns = [
    path("oidc-dev/", include("motcua.citizens.devprovider_urls")),
    *site_patterns,
]
