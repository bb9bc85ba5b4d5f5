from django.dispatch import Signal

# Sent inside the settling transaction with ``invoice``.
invoice_paid = Signal()
