"""Connector to the National Public Service Portal (Cổng Dịch vụ công quốc gia, DVCQG).

Inbound, the portal files dossiers through ``POST /api/dvcqg/dossiers`` (``api``); outbound,
every state change of a dossier becomes a ``dvcqg.status`` message in the outbox
(``outbound``). ``mapping`` is the only module that knows the wire format; ``sim`` is the
stand-in of the portal that ``motcua portal-sim`` runs.
"""
