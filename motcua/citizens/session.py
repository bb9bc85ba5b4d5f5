"""The citizen's session: one session key, apart from Django's officer login.

A citizen is never ``request.user``: officers' pages (/mot-cua/) check ``request.user`` and
so ignore this key, and the citizen pages refuse a request that carries an officer login.
"""

from __future__ import annotations

from django.http import HttpRequest

from motcua.citizens.models import Citizen

SESSION_KEY = "motcua_citizen_id"


def current_citizen(request: HttpRequest) -> Citizen | None:
    """The signed-in citizen, or None (also when an officer is signed in in this browser)."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return None
    citizen_id = request.session.get(SESSION_KEY)
    if not isinstance(citizen_id, int):
        return None
    return Citizen.objects.filter(pk=citizen_id).first()


def open_session(request: HttpRequest, citizen: Citizen) -> None:
    """Start a fresh session for ``citizen`` (a new session key: no fixation)."""
    request.session.flush()
    request.session[SESSION_KEY] = citizen.pk


def close_session(request: HttpRequest) -> None:
    request.session.flush()
