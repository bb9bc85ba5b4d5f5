"""Every state change of a dossier: one function per business verb.

Views, API endpoints, CLI commands and the drill call these and nothing else to change a
dossier. Each verb runs in one transaction through ``lifecycle.act``.
"""

from motcua.dossiers.services.custody import receive_file, send_file
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
from motcua.dossiers.services.rescheduling import reschedule
from motcua.dossiers.services.substeps import (
    answer_consultation,
    record_obligations_met,
    request_consultation,
    send_to_tax,
)

__all__ = [
    "APPLICANT",
    "SYSTEM",
    "accept",
    "answer_consultation",
    "approve",
    "assign",
    "attach_generated",
    "dossier_code",
    "receive_file",
    "record_cash_payment",
    "record_obligations_met",
    "refuse",
    "register_at_counter",
    "request_consultation",
    "request_supplement",
    "reschedule",
    "return_result",
    "send_back",
    "send_file",
    "send_to_tax",
    "settle_payment",
    "start_processing",
    "stop",
    "submit_for_approval",
    "submit_online",
    "supplement",
    "withdraw",
]
