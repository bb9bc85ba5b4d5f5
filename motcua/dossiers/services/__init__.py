"""Every state change of a dossier: one function per business verb.

Views, API endpoints, CLI commands and the drill call these and nothing else to change a
dossier. Each verb runs in one transaction through ``lifecycle.act``.
"""

from motcua.dossiers.services.lifecycle import APPLICANT, SYSTEM
from motcua.dossiers.services.processing import (
    approve,
    assign,
    return_result,
    send_back,
    start_processing,
    stop,
    submit_for_approval,
)
from motcua.dossiers.services.reception import (
    accept,
    record_cash_payment,
    refuse,
    register_at_counter,
    request_supplement,
    settle_payment,
    supplement,
    withdraw,
)
from motcua.dossiers.services.registration import attach_generated, dossier_code, submit_online

__all__ = [
    "APPLICANT",
    "SYSTEM",
    "accept",
    "approve",
    "assign",
    "attach_generated",
    "dossier_code",
    "record_cash_payment",
    "refuse",
    "register_at_counter",
    "request_supplement",
    "return_result",
    "send_back",
    "settle_payment",
    "start_processing",
    "stop",
    "submit_for_approval",
    "submit_online",
    "supplement",
    "withdraw",
]
