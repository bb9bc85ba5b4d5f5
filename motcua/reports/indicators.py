"""The per-dossier facts behind every figure, as SQL expressions evaluated as of a moment.

Every fact is read from the dossier's history (``DossierEvent`` rows, the appointments kept
in ``reports.Appointment``, supplement requests, files, payments, ratings, complaints) with
its time at or before the moment, never from the dossier's current state: a figure can then
be recomputed as it stood on any past date. The expressions are correlated subqueries that the
database evaluates while it aggregates; no dossier is loaded into Python to be counted.

The rules of Decision 766/QĐ-TTg (23 June 2022, the service-quality indicator set) as the
National Public Service Portal computes them (its published description of the indicators'
formulas):

* received (``NgayTiepNhan``): the first time the dossier entered "accepted";
* end of processing: the first of "result approved", "result returned", "stopped" or
  "withdrawn" after reception;
* the appointment (``NgayHenTra``): the last one given at or before the moment (reception,
  the one rescheduling with Mẫu 04, the second land appointment);
* on time: end of processing minus the time the applicant spent on a supplement requested
  after reception is at or before the appointment; a dossier still waiting for its first
  supplement is measured at the request; more than one supplement request makes it late; a
  dossier still in processing is measured at the moment itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.lookups import GreaterThan, IsNull, LessThan, LessThanOrEqual

from motcua.dossiers.models import DossierEvent, DossierFile, FileKind, SupplementRequest
from motcua.dossiers.states import Channel, State
from motcua.exchange.models import OutboxMessage
from motcua.payments.models import Invoice, InvoiceStatus, PaymentChannel
from motcua.reports.models import Appointment, Complaint, Rating

ENDED = (State.APPROVED, State.RETURNED, State.STOPPED, State.WITHDRAWN)
RESOLVED = (State.APPROVED, State.RETURNED, State.STOPPED)
# What the interconnection context posts for every state change of a dossier, in the stream
# "dossier:<id>" (motcua.exchange.dvcqg).
SYNC_KIND = "dvcqg.status"
ZERO = Value(timedelta(0), output_field=DurationField())


@dataclass(frozen=True)
class Facts:
    """The expressions for the period [``start``, ``moment``): ``moment`` is the end of the
    period or the past date asked for, whichever comes first. History after it is ignored."""

    start: datetime
    moment: datetime

    def _first(self, states: tuple[str, ...]) -> Subquery:
        events = DossierEvent.objects.filter(
            dossier_id=OuterRef("pk"), to_state__in=states, at__lte=self.moment
        )
        return Subquery(events.order_by("at", "pk").values("at")[:1], output_field=DateTimeField())

    # --- times read from history ------------------------------------------------------------

    def received_at(self) -> Subquery:
        return self._first((State.ACCEPTED,))

    def ended_at(self) -> Subquery:
        return self._first(ENDED)

    def resolved_at(self) -> Subquery:
        return self._first(RESOLVED)

    def approved_at(self) -> Subquery:
        return self._first((State.APPROVED,))

    def withdrawn_at(self) -> Subquery:
        return self._first((State.WITHDRAWN,))

    def refused_at(self) -> Subquery:
        return self._first((State.REFUSED,))

    def state(self) -> Subquery:
        """The state the dossier was in at the moment (its last transition until then)."""
        events = DossierEvent.objects.filter(dossier_id=OuterRef("pk"), at__lte=self.moment)
        return Subquery(events.order_by("-at", "-pk").values("to_state")[:1])

    def due_at(self) -> Coalesce:
        """The appointment in force at the moment. Dossiers loaded without the services (no
        appointment kept) fall back to their due date."""
        given = Appointment.objects.filter(dossier_id=OuterRef("pk"), at__lte=self.moment)
        last = Subquery(given.order_by("-at", "-pk").values("due_at")[:1])
        return Coalesce(last, F("due_at"), output_field=DateTimeField())

    def _supplements(self) -> object:
        return SupplementRequest.objects.filter(
            dossier_id=OuterRef("pk"), stage="appraisal", requested_at__lte=self.moment
        )

    def supplement_count(self) -> Coalesce:
        """Supplements requested after reception (the reception-stage one comes before the
        clock starts and is not counted)."""
        counted = (
            self._supplements()  # type: ignore[attr-defined]
            .order_by()
            .values("dossier_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    def open_supplement_at(self) -> Subquery:
        """When the first supplement still unanswered at the moment was requested."""
        waiting = self._supplements().filter(  # type: ignore[attr-defined]
            Q(completed_at__isnull=True) | Q(completed_at__gt=self.moment)
        )
        return Subquery(
            waiting.order_by("requested_at").values("requested_at")[:1],
            output_field=DateTimeField(),
        )

    def supplement_time(self) -> Coalesce:
        """Time the applicant spent on the first completed supplement after reception."""
        done = self._supplements().filter(completed_at__lte=self.moment)  # type: ignore[attr-defined]
        spent = done.order_by("requested_at").annotate(
            spent=ExpressionWrapper(
                F("completed_at") - F("requested_at"), output_field=DurationField()
            )
        )
        return Coalesce(
            Subquery(spent.values("spent")[:1], output_field=DurationField()),
            ZERO,
            output_field=DurationField(),
        )

    def measured_at(self) -> Coalesce:
        """The time the on-time rule compares: the end of processing, else the first
        unanswered supplement request, else the moment."""
        return Coalesce(
            self.ended_at(),
            self.open_supplement_at(),
            Value(self.moment, output_field=DateTimeField()),
            output_field=DateTimeField(),
        )

    def processing_time(self) -> ExpressionWrapper:
        """Resolved dossiers: from reception to the end, less the supplement time."""
        return ExpressionWrapper(
            self.resolved_at() - self.received_at() - self.supplement_time(),
            output_field=DurationField(),
        )

    # --- conditions -------------------------------------------------------------------------

    def _within(self, moment: Subquery) -> Q:
        return Q(LessThanOrEqual(Value(self.start), moment)) & Q(
            LessThanOrEqual(moment, Value(self.moment))
        )

    def received(self) -> Q:
        return self._within(self.received_at())

    def carried_over(self) -> Q:
        """Received before the period and not ended before it began."""
        ended = self.ended_at()
        return Q(LessThan(self.received_at(), Value(self.start))) & (
            Q(IsNull(ended, True)) | Q(LessThanOrEqual(Value(self.start), ended))
        )

    def resolved(self) -> Q:
        return self._within(self.resolved_at())

    def approved(self) -> Q:
        return self._within(self.approved_at())

    def withdrawn(self) -> Q:
        """Withdrawn after reception, within the period."""
        return self._within(self.withdrawn_at()) & Q(IsNull(self.received_at(), False))

    def refused(self) -> Q:
        """Refused at reception (never received), within the period."""
        return self._within(self.refused_at())

    def pending(self) -> Q:
        """Received and not ended at the moment."""
        return Q(IsNull(self.received_at(), False)) & Q(IsNull(self.ended_at(), True))

    def late(self) -> Q:
        """Decision 766 "late": more than one supplement, or measured minus the supplement
        time after the appointment."""
        overrun = ExpressionWrapper(
            self.measured_at() - self.due_at(), output_field=DurationField()
        )
        return Q(GreaterThan(self.supplement_count(), Value(1))) | Q(
            GreaterThan(overrun, self.supplement_time())
        )

    def on_time(self) -> Q:
        return ~self.late()

    def online(self) -> Q:
        return Q(channel=Channel.ONLINE)

    def direct(self) -> Q:
        return Q(channel=Channel.DIRECT)

    def postal(self) -> Q:
        return Q(channel=Channel.POSTAL)

    def fee_bearing(self) -> Q:
        return Q(Exists(Invoice.objects.filter(dossier_id=OuterRef("pk"), amount__gt=0)))

    def paid_online(self) -> Q:
        paid = Invoice.objects.filter(
            dossier_id=OuterRef("pk"),
            amount__gt=0,
            status=InvoiceStatus.PAID,
            channel=PaymentChannel.ONLINE,
            paid_at__lte=self.moment,
        )
        return Q(Exists(paid))

    def digitised(self) -> Q:
        """Files attached to the dossier's components and an electronic result."""
        files = DossierFile.objects.filter(dossier_id=OuterRef("pk"), created_at__lte=self.moment)
        return Q(Exists(files.filter(kind=FileKind.ATTACHMENT))) & Q(
            Exists(files.filter(kind=FileKind.RESULT))
        )

    def complained_or_disliked(self) -> Q:
        complaints = Complaint.objects.filter(
            dossier_id=OuterRef("pk"), created_at__lte=self.moment
        )
        dislikes = Rating.objects.filter(
            dossier_id=OuterRef("pk"), satisfied=False, created_at__lte=self.moment
        )
        return Q(Exists(complaints)) | Q(Exists(dislikes))

    def synced(self) -> Q:
        """1.4: at least one status of the dossier delivered to the national portal."""
        stream = Concat(Value("dossier:"), Cast(OuterRef("pk"), output_field=CharField()))
        # A delivery time means delivered (see ``facts._first_delivery`` for why not the state).
        delivered = OutboxMessage.objects.filter(
            kind=SYNC_KIND, stream=stream, delivered_at__lte=self.moment
        )
        return Q(Exists(delivered))

    def rated(self, satisfied: bool) -> Q:
        ratings = Rating.objects.filter(
            dossier_id=OuterRef("pk"), satisfied=satisfied, created_at__lte=self.moment
        )
        return Q(Exists(ratings))

    # --- one row of facts per dossier -------------------------------------------------------

    def columns(self) -> dict[str, Any]:
        """The facts of a dossier as plain columns, each subquery evaluated once per dossier:
        the counting query (``FIGURE_SQL``) then only compares them."""

        def flag(condition: Q) -> Case:
            return Case(
                When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()
            )

        late = self.late()
        return {
            "f_start": Value(self.start, output_field=DateTimeField()),
            "f_rec": self.received_at(),
            "f_end": self.ended_at(),
            "f_res": self.resolved_at(),
            "f_appr": self.approved_at(),
            "f_wd": self.withdrawn_at(),
            "f_ref": self.refused_at(),
            # 1 late, 0 on time, NULL when the rule cannot apply (no appointment).
            "f_late": Case(
                When(late, then=Value(1)),
                When(~late, then=Value(0)),
                default=None,
                output_field=IntegerField(),
            ),
            "f_fee": flag(self.fee_bearing()),
            "f_paid": flag(self.paid_online()),
            "f_digi": flag(self.digitised()),
            "f_compl": flag(self.complained_or_disliked()),
            "f_sat": flag(self.rated(True)),
            "f_unsat": flag(self.rated(False)),
            "f_sync": flag(self.synced()),
            "f_time": self.processing_time(),
        }


FIGURES: dict[str, Callable[[Facts], Q]] = {
    "carried_over": lambda f: f.carried_over(),
    "received": lambda f: f.received(),
    "received_direct": lambda f: f.received() & f.direct(),
    "received_online": lambda f: f.received() & f.online(),
    "received_postal": lambda f: f.received() & f.postal(),
    "resolved": lambda f: f.resolved(),
    "resolved_on_time": lambda f: f.resolved() & f.on_time(),
    "resolved_late": lambda f: f.resolved() & f.late(),
    "withdrawn": lambda f: f.withdrawn(),
    "refused": lambda f: f.refused(),
    "pending": lambda f: f.pending(),
    "pending_on_time": lambda f: f.pending() & f.on_time(),
    "pending_overdue": lambda f: f.pending() & f.late(),
    "timed": lambda f: f.resolved() | f.withdrawn() | f.pending(),
    "timed_on_time": lambda f: (f.resolved() | f.withdrawn() | f.pending()) & f.on_time(),
    "timed_late": lambda f: (f.resolved() | f.withdrawn() | f.pending()) & f.late(),
    "synced": lambda f: f.received() & f.synced(),
    "fee_bearing": lambda f: f.received() & f.fee_bearing(),
    "paid_online": lambda f: f.received() & f.fee_bearing() & f.paid_online(),
    "approved": lambda f: f.approved(),
    "digitised": lambda f: f.approved() & f.digitised(),
    "complained": lambda f: f.resolved() & f.complained_or_disliked(),
    "rated_satisfied": lambda f: f.resolved() & f.rated(True),
    "rated_unsatisfied": lambda f: f.resolved() & f.rated(False),
}


# The same figures over the columns of ``Facts.columns`` (alias ``t``), for the counting query:
# each is a SQL condition; both tables must agree (see the reports tests).
_RECEIVED = "t.f_rec IS NOT NULL AND t.f_rec >= t.f_start"
_RESOLVED = "t.f_res >= t.f_start"
_WITHDRAWN = "t.f_wd >= t.f_start AND t.f_rec IS NOT NULL"
_PENDING = "t.f_rec IS NOT NULL AND t.f_end IS NULL"
_TIMED = f"(({_RESOLVED}) OR ({_WITHDRAWN}) OR ({_PENDING}))"
_APPROVED = "t.f_appr >= t.f_start"
FIGURE_SQL: dict[str, str] = {
    "carried_over": "t.f_rec < t.f_start AND (t.f_end IS NULL OR t.f_end >= t.f_start)",
    "received": _RECEIVED,
    "received_direct": f"{_RECEIVED} AND t.channel = {Channel.DIRECT.value}",
    "received_online": f"{_RECEIVED} AND t.channel = {Channel.ONLINE.value}",
    "received_postal": f"{_RECEIVED} AND t.channel = {Channel.POSTAL.value}",
    "resolved": _RESOLVED,
    "resolved_on_time": f"{_RESOLVED} AND t.f_late = 0",
    "resolved_late": f"{_RESOLVED} AND t.f_late = 1",
    "withdrawn": _WITHDRAWN,
    "refused": "t.f_ref >= t.f_start",
    "pending": _PENDING,
    "pending_on_time": f"{_PENDING} AND t.f_late = 0",
    "pending_overdue": f"{_PENDING} AND t.f_late = 1",
    "timed": _TIMED,
    "timed_on_time": f"{_TIMED} AND t.f_late = 0",
    "timed_late": f"{_TIMED} AND t.f_late = 1",
    "synced": f"{_RECEIVED} AND t.f_sync = 1",
    "fee_bearing": f"{_RECEIVED} AND t.f_fee = 1",
    "paid_online": f"{_RECEIVED} AND t.f_fee = 1 AND t.f_paid = 1",
    "approved": _APPROVED,
    "digitised": f"{_APPROVED} AND t.f_digi = 1",
    "complained": f"{_RESOLVED} AND t.f_compl = 1",
    "rated_satisfied": f"{_RESOLVED} AND t.f_sat = 1",
    "rated_unsatisfied": f"{_RESOLVED} AND t.f_unsat = 1",
}
# The processing times of the resolved dossiers, summed and counted (their average is the sum
# over the count: sums of several parts add up exactly, averages would not).
TIME_SUM_SQL = f"SUM(CASE WHEN {_RESOLVED} THEN t.f_time END)"
TIME_COUNT_SQL = f"SUM(CASE WHEN {_RESOLVED} AND t.f_time IS NOT NULL THEN 1 ELSE 0 END)"
