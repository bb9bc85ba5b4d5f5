"""The error answers every API operation can give, written into the OpenAPI document.

Errors are rendered in one place (``motcua.api``) in one shape, ``{"code", "message",
"field"?, "errors"?}``, so each operation's documented responses are completed here rather than
in every router: a client (and the schemathesis fuzzing in CI) then knows every status it may
meet and the body that comes with it.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "mã lỗi ổn định cho máy đọc"},
        "message": {"type": "string", "description": "thông báo theo ngôn ngữ của yêu cầu"},
        "field": {"type": "string", "description": "trường dữ liệu bị lỗi"},
        "errors": {
            "type": "array",
            "description": "từng trường bị lỗi khi có nhiều lỗi",
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
                "required": ["code", "message"],
            },
        },
    },
    "required": ["code", "message"],
}
# Status → description; 401 only where the operation is protected.
COMMON_ERRORS = {
    "400": "Yêu cầu sai cú pháp (JSON hỏng…)",
    "403": "Không có quyền thực hiện thao tác",
    "404": "Không tìm thấy, hoặc không thuộc phạm vi của người gọi",
    "409": "Không thực hiện được ở trạng thái hiện tại",
    "413": "Nội dung yêu cầu quá lớn",
    "422": "Dữ liệu không hợp lệ (nêu trường và quy tắc)",
}
AUTH_ERROR = {"401": "Chưa xác thực"}
METHODS = {"get", "post", "put", "patch", "delete"}


def add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the error shape and add the error statuses to every operation of ``schema``
    (responses an operation already documents are kept)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_SCHEMA_NAME, ERROR_SCHEMA)
    reference = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            errors = dict(COMMON_ERRORS)
            if operation.get("security"):
                errors.update(AUTH_ERROR)
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return schema
