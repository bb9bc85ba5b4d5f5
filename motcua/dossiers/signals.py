from django.dispatch import Signal

# Sent inside the transaction of every dossier state change, with ``dossier``, ``action``,
# ``from_state`` and ``event``: receivers that write (e.g. an outbox row) join that transaction.
dossier_transitioned = Signal()
