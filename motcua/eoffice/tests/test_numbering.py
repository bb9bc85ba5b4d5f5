"""Numbers of the outgoing register under concurrent issuing (Decree 30/2020/NĐ-CP Art. 15):
ten clerks' requests at once get 1..10, each once, with no gap. Runs on SQLite and on
PostgreSQL (the same test under ``DATABASE_URL``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from motcua.eoffice import services
from motcua.eoffice.models import DocumentState, OfficialDocument, OutgoingEntry
from motcua.eoffice.tests.conftest import Office

COUNT = 10


@pytest.mark.django_db(transaction=True)
def test_ten_documents_issued_at_once_get_consecutive_numbers(
    office: Office, pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = office.world
    first = services.render_pdf(
        services.compose_document(office.draft(), actor=world.pleiku.specialist)
    )
    # The layout is not under test here: one rendering serves all ten documents.
    monkeypatch.setattr(services, "render_pdf", lambda document: first)
    pks = []
    for index in range(COUNT):
        draft = office.draft(summary=f"Văn bản số thứ tự {index}")
        document = services.compose_document(draft, actor=world.pleiku.specialist)
        services.submit_for_review(document.pk, actor=world.pleiku.specialist)
        services.approve_document(document.pk, actor=world.pleiku.leader)
        services.sign_document(document.pk, actor=world.pleiku.leader)
        pks.append(document.pk)
    barrier = threading.Barrier(COUNT)
    errors: list[BaseException] = []

    def issue(pk: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.issue_document(pk, actor=office.clerk)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(pk,)) for pk in pks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    issued = OfficialDocument.objects.filter(pk__in=pks)
    assert set(issued.values_list("state", flat=True)) == {DocumentState.ISSUED}
    assert sorted(issued.values_list("number", flat=True)) == list(range(1, COUNT + 1))
    entries: Any = OutgoingEntry.objects.filter(agency=world.pleiku.committee)
    assert sorted(entries.values_list("number", flat=True)) == list(range(1, COUNT + 1))
