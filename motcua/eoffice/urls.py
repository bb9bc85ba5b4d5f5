from django.urls import URLPattern, URLResolver

app_name = "eoffice"

urlpatterns: list[URLPattern | URLResolver] = []
