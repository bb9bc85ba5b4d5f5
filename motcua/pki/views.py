"""The public signature verification page (xác thực văn bản điện tử), Vietnamese first."""

from __future__ import annotations

import logging

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core.errors import MotcuaError
from motcua.core.web import add_error_to_form
from motcua.pki import selectors, verification

logger = logging.getLogger(__name__)


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp PDF đã ký số"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


def read_upload(upload: UploadedFile | None) -> bytes:
    """The uploaded bytes, refused before reading when the declared size is over the limit."""
    if upload is None:
        return verification.check_upload(b"")
    if (upload.size or 0) > verification.max_bytes():
        return verification.check_upload(b"%PDF-", size=upload.size)
    return verification.check_upload(upload.read())


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Upload a PDF and read the verdict on each of its signatures."""
    # Bound on every POST, even an empty one: errors are attached to a bound form only.
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    report = None
    status = 200
    if request.method == "POST":
        try:
            report = verification.verify_pdf(read_upload(request.FILES.get("file")))
        except MotcuaError as error:
            add_error_to_form(form, error)
            status = error.status
    context = {
        "form": form,
        "report": report,
        "max_mb": round(verification.max_bytes() / 1024 / 1024, 1),
        "nav": "verify",
    }
    return render(request, "pki/verify.html", context, status=status)


@require_GET
def dossier_documents(request: HttpRequest, code: str) -> HttpResponse:
    """The link printed in a result's QR code: the signed documents stored for the dossier."""
    stored = selectors.verify_dossier_documents(code)
    context = {
        "code": code,
        "stored": stored or [],
        "found": stored is not None,
        "form": VerifyForm(),
        "max_mb": round(verification.max_bytes() / 1024 / 1024, 1),
        "nav": "verify",
    }
    return render(request, "pki/dossier.html", context, status=200 if stored is not None else 404)
