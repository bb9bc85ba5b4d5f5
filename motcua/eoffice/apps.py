from django.apps import AppConfig, apps


class EofficeConfig(AppConfig):
    name = "motcua.eoffice"
    label = "eoffice"
    verbose_name = "Văn phòng điện tử"

    def ready(self) -> None:
        # With the exchange app, envelopes for other installations go through its outbox:
        # plugged in here, as every process (web, worker, commands) runs ready(), and the
        # import registers the sender and the inbox handlers of the e-office kinds.
        if apps.is_installed("motcua.exchange"):
            from motcua.eoffice import outbound, transport

            transport.set_transport(outbound.OutboxTransport())
