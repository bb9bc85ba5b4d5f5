"""How envelopes travel to other systems: one function, ``send_envelope``, behind which a
transport is plugged. The in-process transport hands the envelope to this installation's own
receiver (tests, a single-machine demo); with the exchange app installed,
``motcua.eoffice.outbound.OutboxTransport`` replaces it (``set_transport`` in
``EofficeConfig.ready``): envelopes for agencies of a registered peer are written to the
outbox in the caller's transaction and delivered over HTTP with retries by the worker.
"""

from __future__ import annotations

from typing import Protocol


class EnvelopeTransport(Protocol):
    def send(self, peer_code: str, envelope: bytes) -> bytes:
        """Deliver ``envelope`` to ``peer_code``; return the peer's signed acknowledgement
        (a status message), or ``b""`` when it will come later."""
        ...


class InProcessTransport:
    """The peer is this installation: the receiver runs in the same process."""

    def send(self, peer_code: str, envelope: bytes) -> bytes:
        from motcua.eoffice import peers

        return peers.receive(envelope)


_transport: EnvelopeTransport = InProcessTransport()


def set_transport(transport: EnvelopeTransport) -> EnvelopeTransport:
    """Plug another transport in; returns the previous one."""
    global _transport  # noqa: PLW0603 (the one switch point of the module)
    previous, _transport = _transport, transport
    return previous


def send_envelope(peer_code: str, envelope_bytes: bytes) -> bytes:
    return _transport.send(peer_code, envelope_bytes)


def queues_in_transaction() -> bool:
    """Whether the plugged transport only writes the message down in the caller's transaction
    (the exchange outbox), so that callers send inside the transaction of the change itself:
    the message exists if and only if the change commits. A transport that delivers at once
    is called after the commit instead."""
    return bool(getattr(_transport, "in_transaction", False))
