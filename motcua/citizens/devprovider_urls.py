from django.urls import path

from motcua.citizens import devprovider

app_name = "oidc_dev"
urlpatterns = [
    path(".well-known/openid-configuration", devprovider.discovery, name="discovery"),
    path("jwks", devprovider.jwks, name="jwks"),
    path("authorize", devprovider.authorize, name="authorize"),
    path("token", devprovider.token, name="token"),
]
