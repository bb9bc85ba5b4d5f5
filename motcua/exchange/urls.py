from django.urls import URLPattern, URLResolver, path

from motcua.exchange import views

app_name = "exchange"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.peers, name="peers"),
    path("he-thong/<slug:code>/", views.peer_outbox, name="peer"),
    path("he-thong/<slug:code>/ket-noi/", views.peer_active, name="peer_active"),
    path("hop-thu-di/", views.outbox_list, name="outbox"),
    path("hop-thu-di/<int:pk>/", views.message_detail, name="message"),
    path("hop-thu-di/<int:pk>/gui-lai/", views.retry, name="retry"),
    path("ho-so/<int:pk>/", views.dossier_outbox, name="dossier"),
    path("hop-thu-den/", views.inbox_list, name="inbox"),
    path("hop-thu-den/<int:pk>/", views.inbox_detail, name="inbox_message"),
    path("tac-vu/", views.jobs, name="jobs"),
    path("doi-soat/", views.reconciliation, name="reconciliation"),
    path("doi-soat/ho-so/<int:pk>/", views.resync, name="resync"),
]
