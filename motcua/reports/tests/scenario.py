"""A small month of dossiers, built through the real services on a set clock.

Procedure 2.000635 is done the same day: received by 15:00 on a working day, the appointment
is 17:00 that day (after 15:00, 17:00 the next working day). March 2026 has no holiday; the
1st is a Sunday. At Phường Pleiku (times in Vietnam time):

* J: received Fri 27/2 09:00 (due 27/2 17:00), approved Mon 2/3 10:00: carried over into
  March, resolved late;
* A: filed with a scanned ID card, received Mon 2/3 09:00, approved 14:00 (5 h), returned
  15:00: on time, digitised (attachment and electronic result); rated satisfied;
* B: received Mon 2/3 09:30, approved Tue 3/3 10:00: late; the citizen complains;
* C: received Wed 4/3 09:00 (due 17:00), one supplement after appraisal from 09:30 to Thu
  5/3 09:30 (24 h), approved Thu 5/3 11:00: 11:00 − 24 h = Wed 11:00 ≤ 17:00 → on time,
  processing time 26 h − 24 h = 2 h; rated "not satisfied";
* D: received Wed 4/3 09:00, two supplements (09:30–10:00, 10:30–11:00), approved 11:30:
  more than one supplement → late (processing time 2 h 30 − 30 min = 2 h);
* E: received Thu 5/3 09:00, still processing: overdue since 5/3 17:00;
* G: received Fri 6/3 09:00, withdrawn 10:00 by the citizen (on time);
* H: filed Fri 6/3 08:00 and refused at reception 09:15;
* F: received Tue 31/3 16:00 (after 15:00 → due Wed 1/4 17:00): pending, not yet due;
* P: filed Mon 9/3 08:00, paid online 08:30 (while held for the fee), received then; approved
  10:00: on time.

At Phường Quy Nhơn: Q received Mon 9/3 09:00 and approved 09:45 (on time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from motcua.conftest import Commune, World
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.payments.models import PaymentChannel
from motcua.payments.services import mark_paid
from motcua.reports import services as reports

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOTE = "Đã đối chiếu sổ đăng ký hộ tịch, đề nghị cấp bản sao."


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HCM)


@dataclass
class Month:
    dossiers: dict[str, Dossier]

    def __getitem__(self, name: str) -> Dossier:
        return self.dossiers[name]


class Builder:
    def __init__(self, world: World, set_now: Callable[[datetime], None]) -> None:
        self.world, self.set_now = world, set_now

    def received(
        self, when: datetime, commune: Commune | None = None, uploads: Any = ()
    ) -> Dossier:
        """Filed online, fee in cash at the counter, accepted: all at ``when``."""
        commune = commune or self.world.pleiku
        self.set_now(when)
        dossier = self.world.submit(commune, uploads=uploads)
        services.record_cash_payment(dossier.pk, actor=commune.receiver)
        return services.accept(dossier.pk, actor=commune.receiver)

    def start(self, dossier: Dossier, when: datetime) -> None:
        self.set_now(when)
        commune = self._commune(dossier)
        services.start_processing(dossier.pk, actor=commune.specialist)

    def approve(self, dossier: Dossier, when: datetime, *, start: bool = True) -> None:
        commune = self._commune(dossier)
        self.set_now(when)
        if start:
            services.start_processing(dossier.pk, actor=commune.specialist)
        services.submit_for_approval(dossier.pk, actor=commune.specialist, note=NOTE)
        services.approve(dossier.pk, actor=commune.leader)

    def supplement(self, dossier: Dossier, asked: datetime, answered: datetime) -> None:
        commune = self._commune(dossier)
        self.set_now(asked)
        services.request_supplement(
            dossier.pk, actor=commune.specialist, items=["Tờ khai"], reason="Thiếu tờ khai."
        )
        self.set_now(answered)
        services.supplement(
            dossier.pk, access_token=dossier.access_token, uploads=[], note="Đã bổ sung."
        )

    def _commune(self, dossier: Dossier) -> Commune:
        world = self.world
        return (
            world.quynhon
            if dossier.receiving_agency_id == world.quynhon.center.pk
            else world.pleiku
        )


def build_month(world: World, set_now: Callable[[datetime], None]) -> Month:
    b = Builder(world, set_now)
    d: dict[str, Any] = {}

    d["J"] = b.received(at(27, 9, month=2))
    b.approve(d["J"], at(2, 10))

    d["A"] = b.received(at(2, 9), uploads=[world.pdf()])
    b.approve(d["A"], at(2, 14))
    set_now(at(2, 15))
    services.return_result(d["A"].pk, actor=world.pleiku.receiver)
    reports.rate_service(access_token=d["A"].access_token, satisfied=True, comment="")

    d["B"] = b.received(at(2, 9, 30))
    b.start(d["B"], at(2, 10))
    b.approve(d["B"], at(3, 10), start=False)
    set_now(at(3, 11))
    reports.file_complaint(access_token=d["B"].access_token, content="Trả kết quả trễ hẹn.")

    d["C"] = b.received(at(4, 9))
    b.start(d["C"], at(4, 9, 15))
    b.supplement(d["C"], at(4, 9, 30), at(5, 9, 30))
    b.approve(d["C"], at(5, 11), start=False)
    set_now(at(5, 12))
    reports.rate_service(access_token=d["C"].access_token, satisfied=False, comment="Chờ lâu.")

    d["D"] = b.received(at(4, 9))
    b.start(d["D"], at(4, 9, 15))
    b.supplement(d["D"], at(4, 9, 30), at(4, 10))
    b.supplement(d["D"], at(4, 10, 30), at(4, 11))
    b.approve(d["D"], at(4, 11, 30), start=False)

    d["E"] = b.received(at(5, 9))
    b.start(d["E"], at(5, 9, 30))

    d["G"] = b.received(at(6, 9))
    set_now(at(6, 10))
    services.withdraw(d["G"].pk, access_token=d["G"].access_token, reason="Không cần nữa.")

    set_now(at(6, 8))
    d["H"] = world.submit()
    set_now(at(6, 9, 15))
    services.refuse(d["H"].pk, actor=world.pleiku.receiver, reason="Không thuộc thẩm quyền.")

    set_now(at(9, 8))
    d["P"] = world.submit()
    services.accept(d["P"].pk, actor=world.pleiku.receiver)  # held for the fee
    set_now(at(9, 8, 30))
    mark_paid(d["P"].invoice.pk, channel=PaymentChannel.ONLINE, actor="gateway:sandbox")
    b.approve(d["P"], at(9, 10))

    d["Q"] = b.received(at(9, 9), world.quynhon)
    b.approve(d["Q"], at(9, 9, 45))

    d["F"] = b.received(at(31, 16))

    for name in d:
        d[name].refresh_from_db()
    return Month(d)
