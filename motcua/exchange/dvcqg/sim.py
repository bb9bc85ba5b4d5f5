"""A stand-in of the National Public Service Portal (Cổng DVCQG), for development, tests and
drills: ``motcua portal-sim --port P --target URL --secret S``.

It plays the portal's side of the connector and nothing else, with the standard library only
(no Django, no database: its memory is the process), on 127.0.0.1:

- ``GET /`` a page with a filing form and, per dossier, the statuses received, in order, with
  the time each arrived; ``GET /api/statuses`` the same as JSON, with counters;
- ``POST /api/file`` (JSON: the filing body, optionally ``message_id``) and ``POST /file``
  (the page's form) file a dossier into motcua at ``--target``, signed as the ``dvcqg`` peer;
- ``POST /SynsTTHCC/DongBoHoSoMC`` takes motcua's status updates: the HMAC signature is
  checked (401 otherwise) and, per dossier, only a higher ``SoThuTuCapNhat`` than the one
  held replaces it; an older or repeated one is acknowledged and ignored.

The signature is computed here from its written definition (``motcua.exchange.transport``),
not imported, as the real portal would: the two sides agree on the wire only.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

PEER_CODE = "dvcqg"
STATUS_PATH = "/SynsTTHCC/DongBoHoSoMC"
FILING_PATH = "/api/dvcqg/dossiers"
MAX_BODY = 80 * 1024 * 1024
VIETNAM = timezone(timedelta(hours=7))

STATUS_LABELS = {
    1: "Mới đăng ký",
    2: "Được tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}

SAMPLE_FORM = {
    "subject_name": "Nguyễn Văn An",
    "relationship": "self",
    "event_type": "birth",
    "registration_ref": "12/2020",
    "registration_date": "2020-01-02",
    "registration_place": "UBND phường Hội Thương",
    "copies": "2",
}


def sign(secret: str, message_id: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), message_id.encode() + b"\n" + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def now_text() -> str:
    return datetime.now(VIETNAM).isoformat(timespec="milliseconds")


@dataclass
class Update:
    sequence: int
    status: int
    received_at: str
    record: dict[str, Any]


@dataclass
class PortalDossier:
    code: str
    current: Update
    history: list[Update] = field(default_factory=list)


@dataclass
class PortalState:
    """What the stand-in holds: the newest status per dossier and what it filed."""

    secret: str
    target: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    dossiers: dict[str, PortalDossier] = field(default_factory=dict)
    filings: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {
            "received": 0,
            "applied": 0,
            "stale_ignored": 0,
            "bad_signature": 0,
            "malformed": 0,
            "filed": 0,
        }
    )

    def take_status(self, message: dict[str, Any]) -> dict[str, Any]:
        """Keep ``message`` if it is newer than what we hold for its dossier."""
        record = message["data"][0]
        code, sequence = str(record["MaHoSo"]), int(record["SoThuTuCapNhat"])
        update = Update(sequence, int(record["TrangThaiHoSo"]), now_text(), record)
        with self.lock:
            self.counts["received"] += 1
            held = self.dossiers.get(code)
            if held is not None and held.current.sequence >= sequence:
                self.counts["stale_ignored"] += 1
                return {"applied": False, "newest": held.current.sequence}
            if held is None:
                held = self.dossiers[code] = PortalDossier(code, update)
            held.current = update
            held.history.append(update)
            self.counts["applied"] += 1
            return {"applied": True, "newest": sequence}

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "counts": dict(self.counts),
                "filings": list(self.filings),
                "dossiers": {
                    code: {
                        "status": item.current.status,
                        "sequence": item.current.sequence,
                        "updated_at": item.current.received_at,
                        "record": item.current.record,
                        "history": [
                            {
                                "status": u.status,
                                "sequence": u.sequence,
                                "received_at": u.received_at,
                            }
                            for u in item.history
                        ],
                    }
                    for code, item in self.dossiers.items()
                },
            }

    def file(self, body: dict[str, Any], message_id: str | None = None) -> tuple[int, Any]:
        """File a dossier into motcua; (HTTP status, motcua's JSON answer)."""
        message_id = message_id or f"dvcqg-{uuid.uuid4()}"
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 (the operator's --target, http or https)
            self.target.rstrip("/") + FILING_PATH,
            data=raw,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Motcua-Peer": PEER_CODE,
                "X-Motcua-Message-Id": message_id,
                "X-Motcua-Signature": sign(self.secret, message_id, raw),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                status, answer = response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            status, answer = error.code, _json_or_text(error.read())
        with self.lock:
            self.counts["filed"] += 1
            self.filings.append(
                {"message_id": message_id, "status": status, "answer": answer, "at": now_text()}
            )
        return status, answer


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class Handler(BaseHTTPRequestHandler):
    server: PortalServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("portal_sim.request %s", format % args)

    @property
    def state(self) -> PortalState:
        return self.server.state

    # --- plumbing ---

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json")

    # --- routes ---

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/api/statuses":
            self._json(200, self.state.snapshot())
        elif path == "/healthz":
            self._json(200, {"ok": True})
        elif path == "/":
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            page = render_page(self.state.snapshot(), notice=query.get("notice", [""])[0])
            self._send(200, page.encode(), "text/html; charset=utf-8")
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        try:
            raw = self._body()
        except ValueError:
            self._json(413, {"error": "too large"})
            return
        if path == STATUS_PATH:
            self._status_update(raw)
        elif path == "/api/file":
            self._file_json(raw)
        elif path == "/file":
            self._file_form(raw)
        else:
            self._json(404, {"error": "not found"})

    def _status_update(self, raw: bytes) -> None:
        message_id = self.headers.get("X-Motcua-Message-Id", "")
        given = self.headers.get("X-Motcua-Signature", "")
        if not message_id or not hmac.compare_digest(
            sign(self.state.secret, message_id, raw), given
        ):
            with self.state.lock:
                self.state.counts["bad_signature"] += 1
            self._json(401, {"error_code": 401, "message": "chữ ký không hợp lệ"})
            return
        try:
            outcome = self.state.take_status(json.loads(raw))
        except (ValueError, KeyError, IndexError, TypeError):
            with self.state.lock:
                self.state.counts["malformed"] += 1
            self._json(400, {"error_code": 400, "message": "nội dung không hợp lệ"})
            return
        self._json(200, {"error_code": 0, "message": "OK", **outcome})

    def _file_json(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
            message_id = body.pop("message_id", None)
        except (ValueError, AttributeError):
            self._json(400, {"error": "JSON object expected"})
            return
        status, answer = self.state.file(body, message_id)
        self._json(200, {"status": status, "answer": answer})

    def _file_form(self, raw: bytes) -> None:
        fields = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        try:
            body = filing_from_form(fields)
        except ValueError as error:
            notice = f"Dữ liệu chưa đúng: {error}"
        else:
            status, answer = self.state.file(body)
            code = answer.get("MaHoSo") if isinstance(answer, dict) else None
            notice = f"Đã nộp: mã hồ sơ {code}" if code else f"Lỗi {status}: {answer}"
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", "/?" + urllib.parse.urlencode({"notice": notice}))
        self.send_header("Content-Length", "0")
        self.end_headers()


def filing_from_form(fields: dict[str, str]) -> dict[str, Any]:
    """The filing body from the page's form (e-form and fees are JSON text areas)."""
    try:
        form = json.loads(fields.get("form") or "{}")
        fees = json.loads(fields.get("fees") or "[]")
    except ValueError as error:
        raise ValueError("biểu mẫu hoặc lệ phí không phải JSON") from error
    return {
        "MaTTHC": fields.get("procedure", ""),
        "MaDonViTiepNhan": fields.get("center", ""),
        "MaHoSoQG": f"QG-{uuid.uuid4().hex[:10].upper()}",
        "ChuHoSo": {
            "HoTen": fields.get("name", ""),
            "SoDinhDanh": fields.get("id_number", ""),
            "NgaySinh": fields.get("birth_date", ""),
            "SoDienThoai": fields.get("phone", ""),
            "DiaChi": fields.get("address", ""),
        },
        "DuLieuBieuMau": form,
        "DanhSachLePhi": fees,
        "DuocThanhToanTrucTuyen": 1 if fields.get("paid") else 0,
    }


def render_page(snapshot: dict[str, Any], *, notice: str = "") -> str:
    e = html.escape
    rows = []
    for code, item in snapshot["dossiers"].items():
        steps = "".join(
            f"<li>{e(u['received_at'])} — {u['status']} {e(STATUS_LABELS.get(u['status'], ''))}"
            f" (#{u['sequence']})</li>"
            for u in item["history"]
        )
        rows.append(
            f"<tr><td>{e(code)}</td><td>{item['status']} "
            f"{e(STATUS_LABELS.get(item['status'], ''))}</td>"
            f"<td>{item['sequence']}</td><td><ol>{steps}</ol></td></tr>"
        )
    counts = ", ".join(f"{e(k)}: {v}" for k, v in snapshot["counts"].items())
    sample = e(json.dumps(SAMPLE_FORM, ensure_ascii=False, indent=1))
    fees = e(json.dumps([{"MaPhiLePhi": "phi_khai_thac_ho_tich", "Gia": 16000}]))
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng DVCQG (giả lập)</title>
<style>body{{font-family:sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:.3rem;
vertical-align:top}}label{{display:block;margin:.3rem 0}}textarea{{width:100%}}</style>
</head><body>
<h1>Cổng Dịch vụ công quốc gia — bản giả lập</h1>
<p role="status">{e(notice)}</p>
<h2>Trạng thái hồ sơ nhận từ hệ thống một cửa</h2>
<p>{counts}</p>
<table><thead><tr><th>Mã hồ sơ</th><th>Trạng thái</th><th>Số thứ tự cập nhật</th>
<th>Các lần cập nhật</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
<h2>Nộp hồ sơ</h2>
<form method="post" action="/file">
<label>Mã thủ tục <input name="procedure" value="2.000635" required></label>
<label>Trung tâm tiếp nhận (mã định danh hoặc slug)
<input name="center" value="ttpvhcc-23575" required></label>
<label>Họ tên <input name="name" value="Nguyễn Văn An" required></label>
<label>Số định danh <input name="id_number" value="064090001234" required></label>
<label>Ngày sinh <input name="birth_date" type="date" value="1990-05-01" required></label>
<label>Điện thoại <input name="phone" value="0905123456" required></label>
<label>Nơi cư trú <input name="address" value="Tổ 1, Phường Pleiku" required></label>
<label>Biểu mẫu điện tử (JSON) <textarea name="form" rows="9">{sample}</textarea></label>
<label>Phí, lệ phí (JSON) <textarea name="fees" rows="2">{fees}</textarea></label>
<label><input type="checkbox" name="paid" value="1"> Đã thanh toán trực tuyến trên Cổng</label>
<button>Nộp hồ sơ</button>
</form>
</body></html>"""


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, state: PortalState) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state


def serve(port: int, *, target: str, secret: str) -> PortalServer:
    """A stand-in bound to 127.0.0.1:``port`` (0: any free port); call ``serve_forever``."""
    return PortalServer(port, PortalState(secret=secret, target=target))
