"""Checking uploaded files: type by content, size, safe names."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import InvalidInput

ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True)
class Upload:
    """A file as received: name as the user gave it, raw bytes, the dossier component."""

    name: str
    content: bytes
    component_key: str = ""


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content: bytes
    component_key: str
    content_type: str
    extension: str
    sha256: str


def safe_name(name: str) -> str:
    """The last path segment, NFC-normalised, control characters dropped; Vietnamese kept."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return base[:200] or "tep"


def _size_text(size: int) -> str:
    """1048576 → "1 MB", 524288 → "512 KB": whole units, as a limit is usually set."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    return f"{max(1, size // 1024)} KB"


def check_upload(upload: Upload, field: str = "files") -> CheckedUpload:
    """Accept PDF, JPEG and PNG recognised by their content, within the size limit."""
    limit = settings.MOTCUA_UPLOAD_MAX_BYTES
    name = safe_name(upload.name)
    if len(upload.content) == 0:
        raise InvalidInput(_("Tệp “%(name)s” rỗng."), field=field, code="file_empty", name=name)
    if len(upload.content) > limit:
        raise InvalidInput(
            _("Tệp “%(name)s” vượt quá dung lượng cho phép %(limit)s."),
            field=field,
            code="file_too_large",
            name=name,
            limit=_size_text(limit),
        )
    kind = filetype.guess(upload.content)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise InvalidInput(
            _("Tệp “%(name)s” không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp)."),
            field=field,
            code="file_type",
            name=name,
        )
    return CheckedUpload(
        name=name,
        content=upload.content,
        component_key=upload.component_key,
        content_type=kind.mime,
        extension=ALLOWED_TYPES[kind.mime],
        sha256=hashlib.sha256(upload.content).hexdigest(),
    )
