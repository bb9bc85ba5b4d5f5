"""The dossier PDFs: the receipt-and-appointment slip (A5) and the civil-status copy (A4).

No database: the documents are rendered from plain dataclasses. The text checks read the PDF
back with poppler's ``pdftotext``/``pdfinfo`` and are skipped where poppler is not installed.

The cast: Nguyễn Thị Hoa, a citizen of Phường Pleiku, asks online for two copies of her son's
birth extract; Trần Văn Bình, receiving officer at the ward's service centre, accepts the
dossier; Lê Thị Mai, vice-chair of the ward People's Committee, signs the copies.
"""

import base64
import dataclasses
import io
import re
import shutil
import subprocess
import threading
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import PIL.Image
import pytest
import segno
from django.utils import translation
from weasyprint.urls import FatalURLFetchingError

from motcua.dossiers.pdf import (
    CivilStatusCopyResult,
    NoSigner,
    OfflineUrlFetcher,
    ReceiptSlip,
    format_vn_date,
    format_vn_datetime,
    format_vn_time,
    format_vnd,
    make_qr,
    qr_data_uri,
    render_civil_status_copy,
    render_receipt_slip,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "H52.23575.01-261204-0001"
STATUS_URL = f"http://127.0.0.1:8000/tra-cuu/{CODE}?t=7f3a9c"
VERIFY_URL = "http://127.0.0.1:8000/xac-thuc/8c1d2e4f"

# A5 and A4 in PostScript points (1 mm = 72 / 25.4 pt).
A5_POINTS = (148 * 72 / 25.4, 210 * 72 / 25.4)
A4_POINTS = (210 * 72 / 25.4, 297 * 72 / 25.4)

# 14:05 and 16:45 in Vietnam (UTC+7), given in UTC as the database hands them back.
RECEIVED_AT = datetime(2026, 12, 4, 7, 5, tzinfo=UTC)
DUE_AT = datetime(2026, 12, 4, 9, 45, tzinfo=UTC)

HOA_SLIP = ReceiptSlip(
    dossier_code=CODE,
    receiving_agency="Trung tâm Phục vụ hành chính công Phường Pleiku",
    parent_agency="Ủy ban nhân dân Phường Pleiku",
    place_name="Pleiku",
    applicant_name="Nguyễn Thị Hoa",
    applicant_id_masked="0640*****123",
    applicant_phone="0905 123 456",
    applicant_address="12 Hùng Vương, tổ 3 <khu A>, Phường Pleiku, tỉnh Gia Lai",
    procedure_code="2.000635",
    procedure_name="Cấp bản sao trích lục hộ tịch",
    documents=[
        ("Tờ khai cấp bản sao trích lục hộ tịch", "Tệp điện tử"),
        ("Thẻ căn cước của người yêu cầu", "1 bản chính"),
    ],
    received_at=RECEIVED_AT,
    due_at=DUE_AT,
    return_place="Trung tâm Phục vụ hành chính công Phường Pleiku",
    officer_name="Trần Văn Bình",
    status_url=STATUS_URL,
    fee_total=16_000,
    fee_paid=True,
    channel_label="Trực tuyến",
)

KHANG_BIRTH_COPY = CivilStatusCopyResult(
    dossier_code=CODE,
    issuing_agency="Ủy ban nhân dân Phường Pleiku",
    parent_agency="Tỉnh Gia Lai",
    place_name="Pleiku",
    document_number="125/BSTLKS",
    event_label="khai sinh",
    person_name="Nguyễn Minh Khang",
    particulars=[
        ("Ngày, tháng, năm sinh", "15/02/2019"),
        ("Giới tính", "Nam"),
        ("Dân tộc", "Kinh"),
        ("Quốc tịch", "Việt Nam"),
        ("Nơi sinh", "Bệnh viện Đa khoa tỉnh Gia Lai"),
        ("Họ, chữ đệm, tên người mẹ", "Nguyễn Thị Hoa"),
    ],
    registration_number="125",
    registration_book="01/2019",
    registered_on=date(2019, 2, 20),
    registering_authority="Ủy ban nhân dân phường Trà Bá, thành phố Pleiku, tỉnh Gia Lai",
    requester_name="Nguyễn Thị Hoa",
    copies_total=2,
    copy_number=1,
    issued_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
    signer_capacity="KT. CHỦ TỊCH",
    signer_title="PHÓ CHỦ TỊCH",
    signer_name="Lê Thị Mai",
    verify_url=VERIFY_URL,
)


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"poppler-utils' {tool} is not installed: cannot read the PDF back")
    return path


def pdf_text(pdf: Path) -> str:
    """The PDF's text with runs of whitespace (line and column breaks) made single spaces."""
    out = subprocess.run(  # noqa: S603  # fixed poppler binary on a file we wrote
        [poppler("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    return " ".join(out.split())


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(  # noqa: S603  # fixed poppler binary on a file we wrote
        [poppler("pdfinfo"), str(pdf)], check=True, capture_output=True
    ).stdout.decode("utf-8")
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def page_size(info: dict[str, str]) -> tuple[float, float]:
    match = re.match(r"\s*([\d.]+) x ([\d.]+) pts", info["Page size"])
    assert match, info["Page size"]
    return float(match[1]), float(match[2])


def vietnamese_datetime(value: datetime) -> str:
    """The expected "16 giờ 45, ngày 04 tháng 12 năm 2026", worked out independently."""
    local = value.astimezone(HCM)
    month = f"{local.month:02d}" if local.month <= 2 else str(local.month)
    return f"{local:%H} giờ {local:%M}, ngày {local:%d} tháng {month} năm {local.year}"


def contains(text: str, expected: str) -> bool:
    return unicodedata.normalize("NFC", expected) in text


@pytest.fixture(scope="module")
def slip_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slip") / "receipt-slip.pdf"
    path.write_bytes(render_receipt_slip(HOA_SLIP))
    return path


@pytest.fixture(scope="module")
def slip_text(slip_pdf: Path) -> str:
    return pdf_text(slip_pdf)


@pytest.fixture(scope="module")
def copy_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("copy") / "civil-status-copy.pdf"
    path.write_bytes(render_civil_status_copy(KHANG_BIRTH_COPY))
    return path


@pytest.fixture(scope="module")
def copy_text(copy_pdf: Path) -> str:
    return pdf_text(copy_pdf)


class TestReceiptSlip:
    def test_is_a_one_page_a5_pdf(self, slip_pdf: Path) -> None:
        info = pdf_info(slip_pdf)

        assert slip_pdf.read_bytes().startswith(b"%PDF-")
        assert info["Pages"].strip() == "1"
        assert page_size(info) == pytest.approx(A5_POINTS, abs=0.01)

    def test_embeds_dejavu_fonts_only(self, slip_pdf: Path) -> None:
        out = subprocess.run(  # noqa: S603  # fixed poppler binary on a file we wrote
            [poppler("pdffonts"), str(slip_pdf)], check=True, capture_output=True
        ).stdout.decode("utf-8")
        fonts = [line.split()[0] for line in out.splitlines()[2:]]

        assert fonts
        assert all("DejaVu" in font for font in fonts), fonts

    def test_prints_the_form_title_and_legal_reference(self, slip_text: str) -> None:
        assert contains(slip_text, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
        assert contains(slip_text, "Mẫu số 01 – Thông tư 01/2018/TT-VPCP")
        assert contains(slip_text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        assert contains(slip_text, "Độc lập - Tự do - Hạnh phúc")
        assert contains(slip_text, "ỦY BAN NHÂN DÂN PHƯỜNG PLEIKU")
        assert contains(slip_text, "Pleiku, ngày 04 tháng 12 năm 2026")

    def test_prints_the_dossier_and_the_applicant(self, slip_text: str) -> None:
        assert contains(slip_text, f"Mã hồ sơ: {CODE}")
        assert contains(
            slip_text, "Trung tâm Phục vụ hành chính công Phường Pleiku tiếp nhận hồ sơ của:"
        )
        assert contains(slip_text, "Ông/Bà: Nguyễn Thị Hoa")
        assert contains(slip_text, "Số định danh cá nhân: 0640*****123")
        assert contains(slip_text, "12 Hùng Vương, tổ 3 <khu A>, Phường Pleiku")
        assert contains(slip_text, "Cấp bản sao trích lục hộ tịch (mã thủ tục 2.000635)")
        assert contains(slip_text, "Hình thức nộp hồ sơ: Trực tuyến")
        assert contains(slip_text, "1 Tờ khai cấp bản sao trích lục hộ tịch Tệp điện tử")
        assert contains(slip_text, "2 Thẻ căn cước của người yêu cầu 1 bản chính")

    def test_prints_times_in_vietnam_time(self, slip_text: str) -> None:
        assert vietnamese_datetime(RECEIVED_AT) == "14 giờ 05, ngày 04 tháng 12 năm 2026"
        assert contains(slip_text, f"Thời gian nhận hồ sơ: {vietnamese_datetime(RECEIVED_AT)}")
        assert contains(slip_text, f"Thời gian trả kết quả: {vietnamese_datetime(DUE_AT)}")

    def test_prints_the_fee_and_the_officer(self, slip_text: str) -> None:
        assert contains(slip_text, "Phí, lệ phí: 16.000 đồng (đã nộp)")
        assert contains(slip_text, "NGƯỜI TIẾP NHẬN HỒ SƠ (Ký và ghi rõ họ tên) Trần Văn Bình")
        assert contains(slip_text, "Quét mã để tra cứu tình trạng hồ sơ")

    def test_unpaid_and_free_fees(self, tmp_path: Path) -> None:
        unpaid = tmp_path / "unpaid.pdf"
        unpaid.write_bytes(render_receipt_slip(dataclasses.replace(HOA_SLIP, fee_paid=False)))
        free = tmp_path / "free.pdf"
        free.write_bytes(render_receipt_slip(dataclasses.replace(HOA_SLIP, fee_total=0)))

        assert contains(pdf_text(unpaid), "Phí, lệ phí: 16.000 đồng (chưa nộp)")
        assert contains(pdf_text(free), "Phí, lệ phí: không thu")

    def test_stays_vietnamese_when_the_screen_is_english(self, tmp_path: Path) -> None:
        path = tmp_path / "slip-en.pdf"
        with translation.override("en"):
            path.write_bytes(render_receipt_slip(HOA_SLIP))

        assert contains(pdf_text(path), "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")

    def test_refuses_a_naive_time(self) -> None:
        naive = dataclasses.replace(HOA_SLIP, due_at=datetime(2026, 12, 4, 16, 45))  # noqa: DTZ001

        with pytest.raises(ValueError, match="aware"):
            render_receipt_slip(naive)


class TestCivilStatusCopy:
    def test_is_a_one_page_a4_pdf(self, copy_pdf: Path) -> None:
        info = pdf_info(copy_pdf)

        assert copy_pdf.read_bytes().startswith(b"%PDF-")
        assert info["Pages"].strip() == "1"
        assert page_size(info) == pytest.approx(A4_POINTS, abs=0.01)

    def test_prints_the_heading(self, copy_text: str) -> None:
        assert contains(copy_text, "TỈNH GIA LAI ỦY BAN NHÂN DÂN PHƯỜNG PLEIKU")
        assert contains(copy_text, "Số: 125/BSTLKS")
        assert contains(copy_text, "Pleiku, ngày 04 tháng 12 năm 2026")
        assert contains(copy_text, "TRÍCH LỤC KHAI SINH (BẢN SAO) Bản số 1/2")

    def test_prints_the_registered_event(self, copy_text: str) -> None:
        assert contains(copy_text, "Họ, chữ đệm, tên: Nguyễn Minh Khang")
        assert contains(copy_text, "Nơi sinh: Bệnh viện Đa khoa tỉnh Gia Lai")
        assert contains(copy_text, "Họ, chữ đệm, tên người mẹ: Nguyễn Thị Hoa")
        assert contains(copy_text, "Số đăng ký: 125 Quyển số: 01/2019")
        assert contains(copy_text, "Đăng ký ngày 20 tháng 02 năm 2019")
        assert contains(copy_text, "phường Trà Bá, thành phố Pleiku, tỉnh Gia Lai")

    def test_prints_the_requester_signer_and_legal_basis(self, copy_text: str) -> None:
        assert contains(copy_text, "Bản sao được cấp theo yêu cầu của: Nguyễn Thị Hoa")
        assert contains(copy_text, f"Mã hồ sơ: {CODE}")
        assert contains(copy_text, "KT. CHỦ TỊCH PHÓ CHỦ TỊCH")
        assert contains(copy_text, "Lê Thị Mai")
        assert contains(copy_text, "Điều 63, Điều 64 Luật Hộ tịch số 60/2014/QH13")

    def test_leaves_out_what_the_register_does_not_say(self, tmp_path: Path) -> None:
        sparse = dataclasses.replace(
            KHANG_BIRTH_COPY, registration_book="", signer_capacity="", signer_title=""
        )
        path = tmp_path / "sparse.pdf"
        path.write_bytes(render_civil_status_copy(sparse))
        text = pdf_text(path)

        assert contains(text, "Số đăng ký: 125 Đăng ký ngày 20 tháng 02 năm 2019")
        assert "Quyển số" not in text
        assert "CHỦ TỊCH" not in text

    def test_copy_number_must_lie_within_the_copies(self) -> None:
        with pytest.raises(ValueError, match=r"copy_number 3 is outside 1\.\.2"):
            dataclasses.replace(KHANG_BIRTH_COPY, copy_number=3)


class RecordingSigner:
    def __init__(self) -> None:
        self.calls: list[tuple[bytes, str]] = []

    def sign(self, pdf: bytes, *, reason: str) -> bytes:
        self.calls.append((pdf, reason))
        return pdf + b"%signed\n"


class TestSigning:
    def test_no_signer_returns_the_bytes_unchanged(self) -> None:
        assert NoSigner().sign(b"%PDF-1.7 body", reason="any") == b"%PDF-1.7 body"

    def test_slip_goes_through_the_signer(self) -> None:
        signer = RecordingSigner()

        signed = render_receipt_slip(HOA_SLIP, signer=signer)

        [(unsigned, reason)] = signer.calls
        assert unsigned.startswith(b"%PDF-")
        assert signed == unsigned + b"%signed\n"
        assert reason == f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả {CODE}"

    def test_copy_goes_through_the_signer(self) -> None:
        signer = RecordingSigner()

        signed = render_civil_status_copy(KHANG_BIRTH_COPY, signer=signer)

        [(unsigned, reason)] = signer.calls
        assert signed == unsigned + b"%signed\n"
        assert reason == f"Bản sao trích lục khai sinh, hồ sơ {CODE}"


class TestQrCode:
    def test_encodes_the_status_url(self) -> None:
        qr = make_qr(STATUS_URL)

        assert not qr.is_micro
        assert qr.error in {"M", "Q", "H"}
        # Encoding the URL alone at the chosen version and level gives the very same modules.
        same = segno.make_qr(STATUS_URL, version=qr.version, error=qr.error, boost_error=False)
        assert qr.matrix == same.matrix
        assert make_qr(STATUS_URL + "x").matrix != qr.matrix

    def test_data_uri_is_a_png_of_the_modules_with_a_quiet_zone(self) -> None:
        qr = make_qr(VERIFY_URL)
        uri = qr_data_uri(VERIFY_URL)

        assert uri.startswith("data:image/png;base64,")
        image = PIL.Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        assert image.mode == "L"
        assert qr_modules(image, border=4) == [[bool(dark) for dark in row] for row in qr.matrix]

    def test_the_printed_qr_code_reads_the_status_url(self, slip_pdf: Path, tmp_path: Path) -> None:
        """The image embedded in the slip, read back with poppler, has the modules of the
        status URL's code, each one square of pixels: the QR scans as the portal's link."""
        subprocess.run(  # noqa: S603  # fixed poppler binary on a file we wrote
            [poppler("pdfimages"), "-png", str(slip_pdf), str(tmp_path / "image")], check=True
        )
        (extracted,) = sorted(tmp_path.glob("image-*.png"))
        image = PIL.Image.open(extracted).convert("L")

        expected = make_qr(STATUS_URL)
        assert qr_modules(image, border=4) == [
            [bool(dark) for dark in row] for row in expected.matrix
        ]


def qr_modules(image: PIL.Image.Image, *, border: int) -> list[list[bool]]:
    """The dark/light modules of a square QR image, each read at its centre, after checking
    that a module is a whole number of pixels and that the ``border`` modules around are light.

    The first dark pixel on the diagonal is the finder pattern's corner, ``border`` modules in.
    """
    size = image.width
    assert image.height == size
    pixels = image.load()
    assert pixels is not None
    corner = next(i for i in range(size) if pixels[i, i] <= 127)
    assert corner > 0 and corner % border == 0
    step = corner // border
    assert size % step == 0
    count = size // step
    grid = [
        [pixels[x * step + step // 2, y * step + step // 2] <= 127 for x in range(count)]
        for y in range(count)
    ]
    quiet = grid[:border] + grid[-border:] + [row[:border] + row[-border:] for row in grid]
    assert not any(any(row) for row in quiet)
    return [row[border:-border] for row in grid[border:-border]]


class TestOfflineRendering:
    @pytest.mark.parametrize(
        "url", ["https://cdn.example.invalid/font.css", "file:///etc/hostname", "ftp://x/y"]
    )
    def test_fetcher_refuses_anything_but_data_uris(self, url: str) -> None:
        with pytest.raises(FatalURLFetchingError, match="data: URIs only"):
            OfflineUrlFetcher().fetch(url)

    def test_fetcher_reads_data_uris(self) -> None:
        response = OfflineUrlFetcher().fetch("data:text/plain;charset=utf-8,Pleiku")

        assert response.read() == b"Pleiku"


class TestFormats:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2026, 12, 4), "ngày 04 tháng 12 năm 2026"),
            (date(2026, 3, 14), "ngày 14 tháng 3 năm 2026"),
            (date(2026, 2, 5), "ngày 05 tháng 02 năm 2026"),
            (date(2026, 1, 31), "ngày 31 tháng 01 năm 2026"),
        ],
    )
    def test_date_pads_days_and_the_first_two_months(self, day: date, expected: str) -> None:
        assert format_vn_date(day) == expected

    def test_time_is_vietnam_time(self) -> None:
        assert format_vn_time(datetime(2026, 12, 4, 1, 5, tzinfo=UTC)) == "08 giờ 05"
        assert format_vn_time(DUE_AT) == "16 giờ 45"

    def test_datetime_crosses_midnight_in_vietnam_time(self) -> None:
        late_utc = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)

        assert format_vn_datetime(late_utc) == "00 giờ 30, ngày 01 tháng 01 năm 2027"

    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            (0, "0 đồng"),
            (8_000, "8.000 đồng"),
            (16_000, "16.000 đồng"),
            (1_082_000, "1.082.000 đồng"),
        ],
    )
    def test_amount_in_dong(self, amount: int, expected: str) -> None:
        assert format_vnd(amount) == expected


class TestWhatRenderingKeeps:
    """The font configuration and each template's parsed style sheet are made once per
    thread, and the document looks the same as with the style left in the page."""

    @pytest.fixture
    def parsed(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        import weasyprint

        from motcua.dossiers import pdf

        sheets: list[str] = []
        real = weasyprint.CSS

        class CountingCSS(real):  # type: ignore[misc, valid-type]
            def __init__(self, *args: object, **kwargs: object) -> None:
                sheets.append(str(kwargs.get("string", ""))[:40])
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(pdf.weasyprint, "CSS", CountingCSS)
        monkeypatch.setattr(pdf, "_per_thread", threading.local())
        return sheets

    def test_a_style_sheet_is_parsed_once_per_thread(self, parsed: list[str]) -> None:
        from motcua.dossiers import pdf

        render_receipt_slip(HOA_SLIP)
        render_receipt_slip(dataclasses.replace(HOA_SLIP, applicant_name="Trần Văn Bình"))
        render_civil_status_copy(KHANG_BIRTH_COPY)
        assert len(parsed) == 2
        config = pdf._font_config()

        other: list[object] = []
        thread = threading.Thread(
            target=lambda: other.append((render_receipt_slip(HOA_SLIP), pdf._font_config()))
        )
        thread.start()
        thread.join()

        assert len(parsed) == 3
        assert other[0][1] is not config  # type: ignore[index]
        assert pdf._font_config() is config

    def test_the_page_matches_the_style_left_in_the_document(self, tmp_path: Path) -> None:
        import weasyprint
        from django.template.loader import render_to_string

        from motcua.dossiers import pdf

        context = {
            "copy": KHANG_BIRTH_COPY,
            "issuer": KHANG_BIRTH_COPY.issuing_agency,
            "parent_agency": KHANG_BIRTH_COPY.parent_agency,
            "place_date": "Pleiku, ngày 04 tháng 12 năm 2026",
            "registered_on_text": "ngày 20 tháng 02 năm 2019",
            "qr_data_uri": qr_data_uri(VERIFY_URL),
        }
        with translation.override("vi"):
            html = render_to_string(pdf.CIVIL_STATUS_COPY_TEMPLATE, context)
        inline = weasyprint.HTML(string=html, url_fetcher=OfflineUrlFetcher()).write_pdf()
        kept = pdf._render_pdf(pdf.CIVIL_STATUS_COPY_TEMPLATE, context)
        images = []
        for name, content in (("inline", inline), ("kept", kept)):
            path = tmp_path / f"{name}.pdf"
            path.write_bytes(content)
            subprocess.run(  # noqa: S603 (fixed program, our own file)
                [poppler("pdftoppm"), "-r", "60", "-png", str(path), str(tmp_path / name)],
                check=True,
            )
            images.append((tmp_path / f"{name}-1.png").read_bytes())

        assert images[0] == images[1]
