"""One error hierarchy for the whole system.

Every error a user or a client can meet carries a stable machine ``code``, an HTTP status,
the ``field`` it concerns (if any) and a translated message with named placeholders. The API
renders it as JSON (see ``motcua.api``), pages as form errors or messages.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class MotcuaError(Exception):
    """Base of every business error."""

    code = "error"
    status = 400
    default_message: str | Promise = _("Yêu cầu không hợp lệ.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        field: str | None = None,
        code: str | None = None,
        **params: Any,
    ) -> None:
        self.message_template = message if message is not None else self.default_message
        self.field = field
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = str(self.message_template)
        return text % self.params if self.params else text

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(MotcuaError):
    """Input breaks a rule; ``field`` names the offending field."""

    code = "invalid"
    status = 422
    default_message = _("Dữ liệu không hợp lệ.")


class InvalidInputs(MotcuaError):
    """Several fields break rules at once; ``errors`` lists each one."""

    code = "invalid"
    status = 422
    default_message = _("Dữ liệu không hợp lệ.")

    def __init__(self, errors: list[InvalidInput]) -> None:
        self.errors = errors
        super().__init__()

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["errors"] = [e.as_dict() for e in self.errors]
        return body


class NotFound(MotcuaError):
    """Missing, or hidden from this user: a forbidden object answers like a missing one."""

    code = "not_found"
    status = 404
    default_message = _("Không tìm thấy.")


class Forbidden(MotcuaError):
    """The actor may see the object but lacks the role for this action."""

    code = "forbidden"
    status = 403
    default_message = _("Bạn không có quyền thực hiện thao tác này.")


class InvalidTransition(MotcuaError):
    """The action is not allowed in the object's current state."""

    code = "invalid_transition"
    status = 409
    default_message = _("Không thể thực hiện thao tác này ở trạng thái hiện tại.")


class Conflict(MotcuaError):
    code = "conflict"
    status = 409
    default_message = _("Xung đột dữ liệu.")
