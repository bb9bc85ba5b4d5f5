"""The one-stop forms Mẫu 02–06 of Circular 01/2018/TT-VPCP and the transfer slip, as PDFs.

No database: each form is rendered from its dataclass and read back with poppler's
``pdftotext``/``pdfinfo`` (the tests are skipped where poppler is missing). Expected dates are
worked out here from the inputs in Asia/Ho_Chi_Minh, independently of the code under test.

The cast: Phạm Văn Dũng of Phường Pleiku asks to split his land plot (procedure 1.012784).
Trần Văn Bình, receiving officer at the ward's service centre, receives the dossier, asks for
the missing drawing and forwards the paper file to the land registration branch, where Võ Thị
Lan registers it, Nguyễn Hữu Phước appraises it and Đỗ Quang Huy, deputy director, signs; the
branch is late and apologises. Nguyễn Thị Hoa, another citizen, is refused at the counter.
"""

import dataclasses
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from motcua.dossiers.pdf import (
    ApologySlip,
    ControlSheet,
    ControlSheetStep,
    DossierRegister,
    RefusalSlip,
    RegisterEntry,
    StepOutcome,
    SupplementRequestSlip,
    TransferMeans,
    TransferSlip,
    format_vn_numeric_date,
    render_apology_slip,
    render_control_sheet,
    render_dossier_register,
    render_refusal_slip,
    render_supplement_request_slip,
    render_transfer_slip,
)
from motcua.dossiers.tests.test_pdf import (
    A5_POINTS,
    RecordingSigner,
    contains,
    page_size,
    pdf_info,
    pdf_text,
    poppler,
    vietnamese_datetime,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
A4_LANDSCAPE = (297 * 72 / 25.4, 210 * 72 / 25.4)  # 841.89 x 595.28 pts

CODE = "H52.23575.01-261201-0007"
STATUS_URL = f"http://127.0.0.1:8000/tra-cuu/?code={CODE}"
CENTER = "Trung tâm Phục vụ hành chính công Phường Pleiku"
COMMITTEE = "Ủy ban nhân dân Phường Pleiku"
BRANCH = "Chi nhánh Văn phòng Đăng ký đất đai khu vực Pleiku"
LAND_OFFICE = "Văn phòng Đăng ký đất đai tỉnh Gia Lai"
SPLIT = "Tách thửa hoặc hợp thửa đất"
DUNG_ADDRESS = "25 Lê Lợi, tổ 5, Phường Pleiku, tỉnh Gia Lai"


def vn(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment given on a Vietnamese wall clock, handed over in UTC like the database does."""
    return datetime(year, month, day, hour, minute, tzinfo=HCM).astimezone(UTC)


def vietnamese_date(value: datetime) -> str:
    """The expected "ngày 05 tháng 12 năm 2026" of an aware moment, in Vietnam time."""
    local = value.astimezone(HCM)
    month = f"{local.month:02d}" if local.month <= 2 else str(local.month)
    return f"ngày {local:%d} tháng {month} năm {local.year}"


def numeric_date(value: datetime) -> str:
    return value.astimezone(HCM).strftime("%d/%m/%Y")


def page_text(pdf: Path, page: int) -> str:
    """The text of one page, runs of whitespace made single spaces."""
    out = subprocess.run(  # noqa: S603  # fixed poppler binary on a file we wrote
        [poppler("pdftotext"), "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    return " ".join(out.split())


def layout_lines(pdf: Path) -> list[str]:
    """The lines of the PDF top to bottom as laid out, so table rows keep their order.

    Plain ``pdftotext`` reads a table column by column; ``-layout`` keeps each printed line.
    Runs of whitespace within a line are made single spaces.
    """
    out = subprocess.run(  # noqa: S603  # fixed poppler binary on a file we wrote
        [poppler("pdftotext"), "-enc", "UTF-8", "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    return [" ".join(line.split()) for line in out.splitlines() if line.strip()]


def page_sizes(pdf: Path, pages: int) -> list[tuple[float, float]]:
    """The (width, height) in points of pages 1..``pages``."""
    out = subprocess.run(  # noqa: S603  # fixed poppler binary on a file we wrote
        [poppler("pdfinfo"), "-f", "1", "-l", str(pages), str(pdf)],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out)
    return [(float(width), float(height)) for width, height in sizes]


def squeezed(text: str) -> str:
    """``text`` without spaces: for a long value the PDF may wrap at any of its characters."""
    return "".join(text.split())


def row_lines(lines: list[str], code: str) -> list[str]:
    """The two printed lines of the register row of dossier ``code``: dates, then hours."""
    at = next(n for n, line in enumerate(lines) if code in line)
    return lines[at : at + 2]


def write(tmp: Path, name: str, content: bytes) -> Path:
    path = tmp / name
    path.write_bytes(content)
    return path


# --- the cast's documents ------------------------------------------------------------------------

# 20:10 on 4 December in New York is 08:10 on 5 December in Pleiku: the date printed is Pleiku's.
REQUESTED_AT = datetime(2026, 12, 4, 20, 10, tzinfo=ZoneInfo("America/New_York"))

DUNG_SUPPLEMENT = SupplementRequestSlip(
    dossier_code=CODE,
    issuing_agency=CENTER,
    parent_agency=COMMITTEE,
    place_name="Pleiku",
    applicant_name="Phạm Văn Dũng",
    applicant_address=DUNG_ADDRESS,
    applicant_phone="0914 222 333",
    procedure_code="1.012784",
    procedure_name=SPLIT,
    requested_at=REQUESTED_AT,
    items=[
        "Đơn đề nghị tách thửa đất, hợp thửa đất (Mẫu số 21): ghi diện tích từng thửa sau tách",
        "Bản vẽ tách thửa đất, hợp thửa đất (Mẫu số 22) có chữ ký của người sử dụng đất",
        "Bản chính Giấy chứng nhận quyền sử dụng đất đã cấp",
    ],
    reason="Hồ sơ nộp trực tuyến thiếu bản vẽ tách thửa; đơn chưa ghi diện tích sau tách.",
    contact_phone="0269 3824 100",
    officer_name="Trần Văn Bình",
    officer_title="Công chức tiếp nhận hồ sơ",
    status_url=STATUS_URL,
)

HOA_REFUSAL = RefusalSlip(
    dossier_code="H52.23575.01-261203-0012",
    issuing_agency=CENTER,
    parent_agency=COMMITTEE,
    place_name="Pleiku",
    applicant_name="Nguyễn Thị Hoa",
    applicant_address="12 Hùng Vương, tổ 3, Phường Pleiku, tỉnh Gia Lai",
    applicant_phone="0905 123 456",
    procedure_code="1.012784",
    procedure_name=SPLIT,
    reasons=[
        "Diện tích thửa đất sau khi tách nhỏ hơn diện tích tối thiểu được tách thửa.",
        "Thửa đất đang có tranh chấp, đang được Tòa án nhân dân thụ lý giải quyết.",
    ],
    refused_at=vn(2026, 12, 3, 15, 20),
    officer_name="Trần Văn Bình",
    officer_title="Công chức tiếp nhận hồ sơ",
)

ORIGINAL_DUE = vn(2026, 12, 17, 17)
NEW_DUE = vn(2026, 12, 22, 16, 30)

DUNG_APOLOGY = ApologySlip(
    dossier_code=CODE,
    issuing_agency=BRANCH,
    parent_agency=LAND_OFFICE,
    place_name="Pleiku",
    document_number="15/PXL-CNPK",
    applicant_name="Phạm Văn Dũng",
    applicant_address=DUNG_ADDRESS,
    procedure_code="1.012784",
    procedure_name=SPLIT,
    received_at=vn(2026, 12, 1, 8, 10),
    original_due_at=ORIGINAL_DUE,
    reason="Phải xác minh thực địa ranh giới thửa đất theo ý kiến của người sử dụng đất liền kề.",
    new_due_at=NEW_DUE,
    issued_at=vn(2026, 12, 16, 9),
    signer_capacity="KT. GIÁM ĐỐC",
    signer_title="PHÓ GIÁM ĐỐC",
    signer_name="Đỗ Quang Huy",
    status_url=STATUS_URL,
)

HANDED_TO_BRANCH = vn(2026, 12, 1, 8, 40)

DUNG_STEPS = [
    ControlSheetStep(
        from_unit="Bộ phận tiếp nhận, " + CENTER,
        from_person="Trần Văn Bình",
        to_unit=BRANCH,
        to_person="Võ Thị Lan",
        handed_over_at=HANDED_TO_BRANCH,
        due_by=vn(2026, 12, 1, 11, 30),
        done_at=vn(2026, 12, 1, 10, 15),
    ),
    ControlSheetStep(
        from_unit=BRANCH,
        from_person="Võ Thị Lan",
        to_unit="Tổ thẩm định",
        to_person="Nguyễn Hữu Phước",
        handed_over_at=vn(2026, 12, 1, 10, 15),
        due_by=vn(2026, 12, 8, 17),
        done_at=vn(2026, 12, 4, 15),
    ),
    ControlSheetStep(
        from_unit="Tổ thẩm định",
        from_person="Nguyễn Hữu Phước",
        to_unit="Lãnh đạo chi nhánh",
        to_person="Đỗ Quang Huy",
        handed_over_at=vn(2026, 12, 4, 15),
        due_by=vn(2026, 12, 9, 17),
        done_at=vn(2026, 12, 10, 9, 30),
        note="Xác minh thực địa",
    ),
    ControlSheetStep(
        from_unit="Lãnh đạo chi nhánh",
        from_person="Đỗ Quang Huy",
        to_unit="Bộ phận trả kết quả, " + CENTER,
        to_person="",
        handed_over_at=vn(2026, 12, 10, 9, 30),
        due_by=None,
        done_at=None,
        note="Đang xử lý",
    ),
]

DUNG_SHEET = ControlSheet(
    dossier_code=CODE,
    issuing_agency=CENTER,
    parent_agency=COMMITTEE,
    place_name="Pleiku",
    applicant_name="Phạm Văn Dũng",
    applicant_phone="0914 222 333",
    applicant_address=DUNG_ADDRESS,
    procedure_code="1.012784",
    procedure_name=SPLIT,
    competent_agency=BRANCH,
    coordinating_agencies=["Thuế cơ sở Phường Pleiku", COMMITTEE],
    received_at=vn(2026, 12, 1, 8, 10),
    due_at=ORIGINAL_DUE,
    steps=DUNG_STEPS,
    printed_at=vn(2026, 12, 10, 10),
)

DUNG_TRANSFER = TransferSlip(
    slip_number="07/PCHS",
    dossier_code=CODE,
    parent_agency=COMMITTEE,
    from_unit=CENTER,
    from_officer="Trần Văn Bình",
    to_unit=BRANCH,
    to_officer="Võ Thị Lan",
    place_name="Pleiku",
    applicant_name="Phạm Văn Dũng",
    procedure_code="1.012784",
    procedure_name=SPLIT,
    means=TransferMeans.IN_PERSON,
    sent_at=HANDED_TO_BRANCH,
    task="Thẩm định điều kiện tách thửa, chỉnh lý hồ sơ địa chính, cấp Giấy chứng nhận",
    due_at=ORIGINAL_DUE,
    documents=[
        ("Đơn đề nghị tách thửa đất, hợp thửa đất (Mẫu số 21)", "1 bản chính"),
        ("Bản vẽ tách thửa đất, hợp thửa đất (Mẫu số 22)", "1 bản chính"),
        ("Giấy chứng nhận quyền sử dụng đất", "1 bản chính"),
        ("Phiếu kiểm soát quá trình giải quyết hồ sơ", "1 bản"),
    ],
)

APPLICANTS = ["Phạm Văn Dũng", "Nguyễn Thị Hoa", "Lê Văn Tám", "Rơ Châm H'Lan", "Siu Thị Bình"]
PROCEDURES = [SPLIT, "Cấp bản sao trích lục hộ tịch", "Đăng ký biến động quyền sử dụng đất"]


def register_entry(number: int) -> RegisterEntry:
    """The ``number``-th dossier of December: received on day 1 + number // 5 at 07:30 + 5 min."""
    received = vn(2026, 12, 1 + (number - 1) // 5, 7, 30) + timedelta(minutes=5 * number)
    done = number % 3 != 0
    return RegisterEntry(
        dossier_code=f"H52.23575.01-2612{received.astimezone(HCM).day:02d}-{number:04d}",
        procedure_name=PROCEDURES[number % 3],
        applicant_name=APPLICANTS[number % 5],
        received_at=received,
        due_at=received + timedelta(days=7),
        transferred_at=received + timedelta(hours=2),
        result_at=received + timedelta(days=5) if done else None,
        returned_at=received + timedelta(days=6) if done else None,
        note="Đã trả kết quả" if done else "Đang xử lý",
    )


DECEMBER = DossierRegister(
    unit_name=CENTER,
    parent_agency=COMMITTEE,
    place_name="Pleiku",
    period_start=date(2026, 12, 1),
    period_end=date(2026, 12, 31),
    entries=[register_entry(n) for n in range(1, 121)],
    printed_at=vn(2027, 1, 2, 8),
)


# --- rendered once per module --------------------------------------------------------------------


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("forms")


@pytest.fixture(scope="module")
def supplement_pdf(out: Path) -> Path:
    return write(out, "mau-02.pdf", render_supplement_request_slip(DUNG_SUPPLEMENT))


@pytest.fixture(scope="module")
def refusal_pdf(out: Path) -> Path:
    return write(out, "mau-03.pdf", render_refusal_slip(HOA_REFUSAL))


@pytest.fixture(scope="module")
def apology_pdf(out: Path) -> Path:
    return write(out, "mau-04.pdf", render_apology_slip(DUNG_APOLOGY))


@pytest.fixture(scope="module")
def sheet_pdf(out: Path) -> Path:
    return write(out, "mau-05.pdf", render_control_sheet(DUNG_SHEET))


@pytest.fixture(scope="module")
def register_pdf(out: Path) -> Path:
    return write(out, "mau-06.pdf", render_dossier_register(DECEMBER))


@pytest.fixture(scope="module")
def transfer_pdf(out: Path) -> Path:
    return write(out, "phieu-chuyen.pdf", render_transfer_slip(DUNG_TRANSFER))


def assert_a5_pages(pdf: Path, pages: int = 1) -> None:
    info = pdf_info(pdf)

    assert pdf.read_bytes().startswith(b"%PDF-")
    assert int(info["Pages"]) == pages
    assert page_size(info) == pytest.approx(A5_POINTS, abs=0.01)


# --- Mẫu 02 ---------------------------------------------------------------------------------------


class TestSupplementRequest:
    def test_is_a_one_page_a5_pdf(self, supplement_pdf: Path) -> None:
        assert_a5_pages(supplement_pdf)

    def test_prints_the_form_title_and_the_issuer(self, supplement_pdf: Path) -> None:
        text = pdf_text(supplement_pdf)

        assert contains(text, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")
        assert contains(text, "Mẫu số 02 – Thông tư 01/2018/TT-VPCP")
        assert contains(text, "ỦY BAN NHÂN DÂN PHƯỜNG PLEIKU")
        assert contains(text, "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG PLEIKU")

    def test_prints_the_date_of_the_request_in_vietnam_time(self, supplement_pdf: Path) -> None:
        text = pdf_text(supplement_pdf)

        assert vietnamese_datetime(REQUESTED_AT) == "08 giờ 10, ngày 05 tháng 12 năm 2026"
        assert contains(text, f"Pleiku, {vietnamese_date(REQUESTED_AT)}")
        assert contains(text, f"Thời gian yêu cầu bổ sung: {vietnamese_datetime(REQUESTED_AT)}")

    def test_prints_the_dossier_and_the_applicant(self, supplement_pdf: Path) -> None:
        text = pdf_text(supplement_pdf)

        assert contains(text, f"Mã hồ sơ: {CODE}")
        assert contains(text, "Hồ sơ của Ông/Bà: Phạm Văn Dũng")
        assert contains(text, f"Địa chỉ: {DUNG_ADDRESS}")
        assert contains(text, "Điện thoại: 0914 222 333")
        assert contains(text, f"Nội dung yêu cầu giải quyết: {SPLIT} (mã thủ tục 1.012784)")

    def test_lists_every_item_numbered_with_the_reason(self, supplement_pdf: Path) -> None:
        text = pdf_text(supplement_pdf)

        assert contains(text, "bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:")
        for number, item in enumerate(DUNG_SUPPLEMENT.items, start=1):
            assert contains(text, f"{number}. {item}")
        assert contains(text, f"Lý do: {DUNG_SUPPLEMENT.reason}")

    def test_guidance_is_once_and_complete(self, supplement_pdf: Path) -> None:
        text = pdf_text(supplement_pdf)

        assert contains(
            text,
            "được hướng dẫn một lần, đầy đủ theo khoản 3 Điều 15 Nghị định số 61/2018/NĐ-CP",
        )
        assert contains(text, "liên hệ Trần Văn Bình, điện thoại 0269 3824 100, để được hướng dẫn")

    def test_is_signed_by_the_guiding_officer_beside_the_qr(self, supplement_pdf: Path) -> None:
        text = pdf_text(supplement_pdf)

        assert contains(text, "Quét mã để tra cứu tình trạng hồ sơ")
        assert STATUS_URL in squeezed(text)
        assert contains(text, "NGƯỜI HƯỚNG DẪN (Ký và ghi rõ họ tên) Trần Văn Bình")
        assert contains(text, "Công chức tiếp nhận hồ sơ")

    def test_without_a_contact_phone(self, tmp_path: Path) -> None:
        slip = dataclasses.replace(DUNG_SUPPLEMENT, contact_phone="", applicant_phone="")
        text = pdf_text(write(tmp_path, "02.pdf", render_supplement_request_slip(slip)))

        assert contains(text, "liên hệ Trần Văn Bình để được hướng dẫn")
        assert "Điện thoại" not in text

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"items": []}, "items must list at least one line"),
            ({"items": ["Bản vẽ", "  "]}, "items line 2 is blank"),
            ({"reason": " "}, "reason must not be blank"),
        ],
    )
    def test_refuses_an_incomplete_request(self, changes: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            dataclasses.replace(DUNG_SUPPLEMENT, **changes)

    def test_refuses_a_naive_time(self) -> None:
        naive = dataclasses.replace(DUNG_SUPPLEMENT, requested_at=datetime(2026, 12, 5, 8))  # noqa: DTZ001

        with pytest.raises(ValueError, match="aware"):
            render_supplement_request_slip(naive)


# --- Mẫu 03 ---------------------------------------------------------------------------------------


class TestRefusal:
    def test_is_a_one_page_a5_pdf(self, refusal_pdf: Path) -> None:
        assert_a5_pages(refusal_pdf)

    def test_prints_title_dossier_and_applicant(self, refusal_pdf: Path) -> None:
        text = pdf_text(refusal_pdf)

        assert contains(text, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ")
        assert contains(text, "Mẫu số 03 – Thông tư 01/2018/TT-VPCP")
        assert contains(text, "Mã hồ sơ: H52.23575.01-261203-0012")
        assert contains(text, f"{CENTER} tiếp nhận hồ sơ của: Ông/Bà: Nguyễn Thị Hoa")
        assert contains(text, f"Nội dung yêu cầu giải quyết: {SPLIT} (mã thủ tục 1.012784)")

    def test_lists_the_reasons_numbered(self, refusal_pdf: Path) -> None:
        text = pdf_text(refusal_pdf)

        assert contains(text, "thông báo không tiếp nhận, giải quyết hồ sơ này")
        assert contains(text, f"1. {HOA_REFUSAL.reasons[0]} 2. {HOA_REFUSAL.reasons[1]}")

    def test_prints_the_date_and_the_officer(self, refusal_pdf: Path) -> None:
        text = pdf_text(refusal_pdf)

        assert contains(text, f"Pleiku, {vietnamese_date(HOA_REFUSAL.refused_at)}")
        assert vietnamese_datetime(HOA_REFUSAL.refused_at) == "15 giờ 20, ngày 03 tháng 12 năm 2026"
        assert contains(text, f"Thời gian từ chối: {vietnamese_datetime(HOA_REFUSAL.refused_at)}")
        assert contains(text, "NGƯỜI TIẾP NHẬN HỒ SƠ (Ký và ghi rõ họ tên) Trần Văn Bình")

    def test_before_registration_there_is_no_code(self, tmp_path: Path) -> None:
        signer = RecordingSigner()
        unregistered = dataclasses.replace(HOA_REFUSAL, dossier_code="")
        pdf = write(tmp_path, "03.pdf", render_refusal_slip(unregistered, signer=signer))
        text = pdf_text(pdf)

        assert contains(text, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ")
        assert "Mã hồ sơ" not in text
        assert "H52." not in text
        assert signer.calls[0][1] == "Phiếu từ chối tiếp nhận giải quyết hồ sơ"

    def test_needs_a_reason(self) -> None:
        with pytest.raises(ValueError, match="reasons must list at least one line"):
            dataclasses.replace(HOA_REFUSAL, reasons=[])


# --- Mẫu 04 ---------------------------------------------------------------------------------------


class TestApology:
    def test_is_a_one_page_a5_pdf(self, apology_pdf: Path) -> None:
        assert_a5_pages(apology_pdf)

    def test_prints_the_heading_of_the_branch(self, apology_pdf: Path) -> None:
        text = pdf_text(apology_pdf)

        assert contains(text, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
        assert contains(text, "Mẫu số 04 – Thông tư 01/2018/TT-VPCP")
        assert contains(text, "VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI TỈNH GIA LAI")
        assert contains(text, "Số: 15/PXL-CNPK")
        assert contains(text, f"Pleiku, {vietnamese_date(DUNG_APOLOGY.issued_at)}")
        assert contains(text, f"Mã hồ sơ: {CODE}")
        assert contains(text, "Kính gửi: Ông/Bà Phạm Văn Dũng")

    def test_prints_both_appointments_and_the_reason(self, apology_pdf: Path) -> None:
        text = pdf_text(apology_pdf)

        assert contains(text, f"Ngày 01 tháng 12 năm 2026, {BRANCH} tiếp nhận giải quyết hồ sơ")
        assert contains(text, f"Thời gian hẹn trả kết quả: {vietnamese_datetime(ORIGINAL_DUE)}")
        assert contains(text, f"Lý do: {DUNG_APOLOGY.reason}")
        assert vietnamese_datetime(NEW_DUE) == "16 giờ 30, ngày 22 tháng 12 năm 2026"
        assert contains(
            text,
            f"xin hẹn lại thời gian trả kết quả giải quyết hồ sơ cho Ông/Bà vào: "
            f"{vietnamese_datetime(NEW_DUE)}",
        )

    def test_apologises_and_is_signed_by_the_head(self, apology_pdf: Path) -> None:
        text = pdf_text(apology_pdf)

        assert contains(text, f"{BRANCH} thành thật xin lỗi Ông/Bà")
        assert contains(text, "Xin trân trọng cảm ơn!")
        assert contains(text, "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC (Ký, ghi rõ họ tên và đóng dấu)")
        assert contains(text, "Đỗ Quang Huy")
        assert contains(text, "không quá một lần")

    @pytest.mark.parametrize("new_due", [ORIGINAL_DUE, ORIGINAL_DUE - timedelta(days=1)])
    def test_the_new_appointment_must_come_later(self, new_due: datetime) -> None:
        with pytest.raises(ValueError, match="new_due_at must lie after original_due_at"):
            dataclasses.replace(DUNG_APOLOGY, new_due_at=new_due)

    def test_needs_a_reason(self) -> None:
        with pytest.raises(ValueError, match="reason must not be blank"):
            dataclasses.replace(DUNG_APOLOGY, reason="")


# --- Mẫu 05 ---------------------------------------------------------------------------------------


class TestControlSheet:
    def test_is_a_one_page_a5_pdf(self, sheet_pdf: Path) -> None:
        assert_a5_pages(sheet_pdf)

    def test_prints_the_dossier(self, sheet_pdf: Path) -> None:
        text = pdf_text(sheet_pdf)

        assert contains(text, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ")
        assert contains(text, "Mẫu số 05 – Thông tư 01/2018/TT-VPCP")
        assert contains(text, f"Mã hồ sơ: {CODE}")
        assert contains(text, "Kèm theo hồ sơ của Ông/Bà: Phạm Văn Dũng")
        assert contains(text, f"Cơ quan (bộ phận) giải quyết hồ sơ: {BRANCH}")
        assert contains(
            text, f"Cơ quan phối hợp giải quyết hồ sơ: Thuế cơ sở Phường Pleiku; {COMMITTEE}"
        )
        assert contains(
            text, f"Thời gian nhận hồ sơ: {vietnamese_datetime(DUNG_SHEET.received_at)}"
        )
        assert contains(text, f"Thời gian hẹn trả kết quả: {vietnamese_datetime(ORIGINAL_DUE)}")

    def test_prints_every_hand_over(self, sheet_pdf: Path) -> None:
        text = pdf_text(sheet_pdf)

        for step in DUNG_STEPS:
            assert contains(text, step.from_person)
            assert contains(text, numeric_date(step.handed_over_at))
        assert contains(text, "Giao: Tổ thẩm định Nguyễn Hữu Phước")
        assert contains(text, "Nhận: Lãnh đạo chi nhánh Đỗ Quang Huy")
        assert contains(text, "10/12/2026 09 giờ 30")
        assert contains(text, "Xác minh thực địa")
        assert contains(text, "Đang xử lý")

    def test_each_step_ends_early_on_time_or_late(self, sheet_pdf: Path) -> None:
        text = pdf_text(sheet_pdf)

        outcomes = re.findall(r"Trước hạn|Đúng hạn|Quá hạn", text)
        assert outcomes == ["Đúng hạn", "Trước hạn", "Quá hạn"]

    def test_a_given_outcome_wins(self, tmp_path: Path) -> None:
        first = dataclasses.replace(DUNG_STEPS[0], outcome=StepOutcome.LATE)
        sheet = dataclasses.replace(DUNG_SHEET, steps=[first], coordinating_agencies=[])
        text = pdf_text(write(tmp_path, "05.pdf", render_control_sheet(sheet)))

        assert re.findall(r"Trước hạn|Đúng hạn|Quá hạn", text) == ["Quá hạn"]
        assert contains(text, "Cơ quan phối hợp giải quyết hồ sơ: không")

    def test_many_steps_run_to_several_a5_pages_with_the_header(self, tmp_path: Path) -> None:
        steps = [
            dataclasses.replace(
                DUNG_STEPS[1], note=f"Bước {n}", handed_over_at=vn(2026, 12, 1, 8) + timedelta(n)
            )
            for n in range(1, 31)
        ]
        pdf = write(
            tmp_path,
            "05-long.pdf",
            render_control_sheet(dataclasses.replace(DUNG_SHEET, steps=steps)),
        )
        pages = int(pdf_info(pdf)["Pages"])
        texts = [page_text(pdf, n) for n in range(1, pages + 1)]

        assert pages >= 3
        assert page_sizes(pdf, pages) == [pytest.approx(A5_POINTS, abs=0.01)] * pages
        assert [t.count("Thời gian giao, nhận") for t in texts] == [1] * pages
        assert [f"{n}/{pages}" in t for n, t in enumerate(texts, start=1)] == [True] * pages
        assert [CODE in t for t in texts] == [True] * pages
        notes = re.findall(r"Bước (\d+)", " ".join(layout_lines(pdf)))
        assert notes == [str(n) for n in range(1, 31)]


class TestStepOutcome:
    DUE = vn(2026, 12, 9, 17)

    @pytest.mark.parametrize(
        ("done", "outcome"),
        [
            (vn(2026, 12, 8, 16, 59), StepOutcome.EARLY),
            (vn(2026, 12, 9, 0, 0), StepOutcome.ON_TIME),
            (vn(2026, 12, 9, 17, 0), StepOutcome.ON_TIME),
            (vn(2026, 12, 9, 17, 1), StepOutcome.LATE),
            (vn(2026, 12, 10, 8), StepOutcome.LATE),
        ],
    )
    def test_against_the_deadline_in_vietnam_days(
        self, done: datetime, outcome: StepOutcome
    ) -> None:
        assert StepOutcome.of(self.DUE, done) == outcome

    def test_an_open_step_has_no_outcome(self) -> None:
        assert DUNG_STEPS[3].resolved_outcome() is None


# --- Mẫu 06 ---------------------------------------------------------------------------------------


class TestDossierRegister:
    def test_is_a4_landscape_on_every_page(self, register_pdf: Path) -> None:
        info = pdf_info(register_pdf)
        pages = int(info["Pages"])

        assert info["Page size"].strip().startswith("841.89 x 595.2")
        assert page_sizes(register_pdf, pages) == [pytest.approx(A4_LANDSCAPE, abs=0.01)] * pages

    def test_120_rows_run_to_several_pages(self, register_pdf: Path) -> None:
        assert int(pdf_info(register_pdf)["Pages"]) >= 4

    def test_repeats_the_header_and_numbers_every_page(self, register_pdf: Path) -> None:
        pages = int(pdf_info(register_pdf)["Pages"])
        texts = [page_text(register_pdf, n) for n in range(1, pages + 1)]

        assert [t.count("STT") for t in texts] == [1] * pages
        assert [t.count("Mã hồ sơ") for t in texts] == [1] * pages
        assert [t.count("Ghi chú, trạng thái") for t in texts] == [1] * pages
        assert [f"Trang {n}/{pages}" in t for n, t in enumerate(texts, start=1)] == [True] * pages
        assert [CENTER in t for t in texts] == [True] * pages

    def test_prints_the_title_unit_and_period(self, register_pdf: Path) -> None:
        first = page_text(register_pdf, 1)

        assert contains(first, "Mẫu số 06 – Thông tư 01/2018/TT-VPCP")
        assert contains(first, "SỔ THEO DÕI HỒ SƠ")
        assert contains(first, f"Đơn vị: {CENTER}")
        assert contains(first, "Từ ngày 01 tháng 12 năm 2026 đến ngày 31 tháng 12 năm 2026")
        assert contains(first, "Pleiku, ngày 02 tháng 01 năm 2027")

    def test_every_dossier_once_in_order(self, register_pdf: Path) -> None:
        lines = layout_lines(register_pdf)
        codes = re.findall(r"H52\.23575\.01-2612\d\d-\d{4}", " ".join(lines))

        assert codes == [entry.dossier_code for entry in DECEMBER.entries]
        assert contains(pdf_text(register_pdf), "Tổng số: 120 hồ sơ")

    def test_prints_the_dates_of_a_row_in_vietnam_time(self, register_pdf: Path) -> None:
        entry = DECEMBER.entries[1]  # number 2, received at 07:40 on 1 December: done
        [first, second] = row_lines(layout_lines(register_pdf), entry.dossier_code)

        assert entry.returned_at is not None
        assert numeric_date(entry.returned_at) == "07/12/2026"
        assert first == (
            f"2 {entry.dossier_code} Đăng ký biến động quyền sử dụng {entry.applicant_name} "
            "01/12/2026 08/12/2026 01/12/2026 06/12/2026 07/12/2026 Đã trả kết quả"
        )
        assert second == "đất 07 giờ 40 07 giờ 40 09 giờ 40 07 giờ 40 07 giờ 40"

    def test_a_row_not_done_leaves_its_dates_empty(self, tmp_path: Path) -> None:
        entry = register_entry(3)
        short = dataclasses.replace(DECEMBER, entries=[entry])
        pdf = write(tmp_path, "06-one.pdf", render_dossier_register(short))
        [first, second] = row_lines(layout_lines(pdf), entry.dossier_code)

        assert entry.result_at is None
        assert first == (
            f"1 {entry.dossier_code} {entry.procedure_name} {entry.applicant_name} "
            "01/12/2026 08/12/2026 01/12/2026 Đang xử lý"
        )
        assert second == "07 giờ 45 07 giờ 45 09 giờ 45"
        assert contains(pdf_text(pdf), "Tổng số: 1 hồ sơ")

    def test_an_empty_period(self, tmp_path: Path) -> None:
        empty = dataclasses.replace(DECEMBER, entries=[])
        pdf = write(tmp_path, "06-empty.pdf", render_dossier_register(empty))
        text = pdf_text(pdf)

        assert pdf_info(pdf)["Pages"].strip() == "1"
        assert contains(text, "Không có hồ sơ trong kỳ")
        assert contains(text, "Tổng số: 0 hồ sơ")

    def test_the_period_must_not_end_before_it_starts(self) -> None:
        with pytest.raises(ValueError, match="period_start 2027-01-01 lies after period_end"):
            dataclasses.replace(DECEMBER, period_start=date(2027, 1, 1))


# --- the transfer slip ----------------------------------------------------------------------------


class TestTransferSlip:
    def test_is_a_one_page_a5_pdf(self, transfer_pdf: Path) -> None:
        assert_a5_pages(transfer_pdf)

    def test_prints_the_slip_and_the_units(self, transfer_pdf: Path) -> None:
        text = pdf_text(transfer_pdf)

        assert contains(text, "PHIẾU CHUYỂN HỒ SƠ")
        assert contains(text, "Số: 07/PCHS")
        assert contains(text, f"Mã hồ sơ: {CODE}")
        assert contains(text, f"Kính gửi: {BRANCH}")
        assert contains(text, f"{CENTER} chuyển hồ sơ sau đây")
        assert contains(text, "Hồ sơ của Ông/Bà: Phạm Văn Dũng")
        assert contains(text, f"Nội dung đề nghị giải quyết: {DUNG_TRANSFER.task}")

    def test_prints_the_times_in_vietnam_time(self, transfer_pdf: Path) -> None:
        text = pdf_text(transfer_pdf)

        assert contains(text, f"Pleiku, {vietnamese_date(HANDED_TO_BRANCH)}")
        assert contains(text, f"Thời gian chuyển: {vietnamese_datetime(HANDED_TO_BRANCH)}")
        assert contains(text, f"Thời hạn giải quyết: {vietnamese_datetime(ORIGINAL_DUE)}")

    def test_ticks_the_means_chosen(self, transfer_pdf: Path) -> None:
        text = pdf_text(transfer_pdf)

        assert contains(
            text,
            "Hình thức chuyển: ☒ Giao trực tiếp ☐ Bưu chính công ích ☐ Dịch vụ chuyển phát "
            "☐ Điện tử",
        )

    def test_lists_the_documents_and_both_signatures(self, transfer_pdf: Path) -> None:
        text = pdf_text(transfer_pdf)

        for number, (name, form) in enumerate(DUNG_TRANSFER.documents, start=1):
            assert contains(text, f"{number} {name} {form}")
        assert contains(text, "NGƯỜI GIAO")
        assert contains(text, "NGƯỜI NHẬN")
        assert contains(text, "Trần Văn Bình")
        assert contains(text, "Võ Thị Lan")

    def test_by_post_without_task_or_deadline(self, tmp_path: Path) -> None:
        by_post = dataclasses.replace(
            DUNG_TRANSFER, means=TransferMeans.POSTAL, task="", due_at=None, to_officer=""
        )
        text = pdf_text(write(tmp_path, "chuyen.pdf", render_transfer_slip(by_post)))

        assert contains(text, "☐ Giao trực tiếp ☒ Bưu chính công ích")
        assert "Nội dung đề nghị" not in text
        assert "Thời hạn giải quyết" not in text
        assert "Võ Thị Lan" not in text

    def test_refuses_an_unknown_means(self) -> None:
        with pytest.raises(ValueError, match="means 'pigeon' is not one of in_person, postal"):
            dataclasses.replace(DUNG_TRANSFER, means="pigeon")


# --- all forms ------------------------------------------------------------------------------------

Renderer = Callable[..., bytes]

FORMS: list[tuple[str, Renderer, Any, str, str]] = [
    # (id, renderer, data, a user-text field, the signing reason)
    (
        "mau-02",
        render_supplement_request_slip,
        DUNG_SUPPLEMENT,
        "applicant_name",
        f"Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ {CODE}",
    ),
    (
        "mau-03",
        render_refusal_slip,
        HOA_REFUSAL,
        "applicant_address",
        "Phiếu từ chối tiếp nhận giải quyết hồ sơ H52.23575.01-261203-0012",
    ),
    (
        "mau-04",
        render_apology_slip,
        DUNG_APOLOGY,
        "reason",
        f"Phiếu xin lỗi và hẹn lại ngày trả kết quả {CODE}",
    ),
    (
        "mau-05",
        render_control_sheet,
        DUNG_SHEET,
        "competent_agency",
        f"Phiếu kiểm soát quá trình giải quyết hồ sơ {CODE}",
    ),
    (
        "mau-06",
        render_dossier_register,
        DECEMBER,
        "unit_name",
        "Sổ theo dõi hồ sơ, từ ngày 01 tháng 12 năm 2026 đến ngày 31 tháng 12 năm 2026",
    ),
    (
        "chuyen",
        render_transfer_slip,
        DUNG_TRANSFER,
        "task",
        f"Phiếu chuyển hồ sơ 07/PCHS, hồ sơ {CODE}",
    ),
]
FORM_IDS = [form[0] for form in FORMS]

HOSTILE = 'Lê <b>Văn</b> & "Tám" <img src="file:///etc/hostname">'


class TestEveryForm:
    @pytest.mark.parametrize(("name", "render", "data", "field", "reason"), FORMS, ids=FORM_IDS)
    def test_user_text_is_printed_as_text(
        self,
        tmp_path: Path,
        name: str,
        render: Renderer,
        data: Any,
        field: str,
        reason: str,
    ) -> None:
        hostile = dataclasses.replace(data, **{field: HOSTILE})
        if name == "mau-06":
            hostile = dataclasses.replace(hostile, entries=DECEMBER.entries[:3])

        text = pdf_text(write(tmp_path, f"{name}.pdf", render(hostile)))

        assert squeezed(HOSTILE) in squeezed(text)

    @pytest.mark.parametrize(("name", "render", "data", "field", "reason"), FORMS, ids=FORM_IDS)
    def test_goes_through_the_signer(
        self, name: str, render: Renderer, data: Any, field: str, reason: str
    ) -> None:
        signer = RecordingSigner()
        if name == "mau-06":
            data = dataclasses.replace(data, entries=DECEMBER.entries[:3])

        signed = render(data, signer=signer)

        [(unsigned, given_reason)] = signer.calls
        assert unsigned.startswith(b"%PDF-")
        assert signed == unsigned + b"%signed\n"
        assert given_reason == reason

    def test_stays_vietnamese_when_the_screen_is_english(self, tmp_path: Path) -> None:
        with translation.override("en"):
            pdf = write(tmp_path, "04-en.pdf", render_apology_slip(DUNG_APOLOGY))
            reason_signer = RecordingSigner()
            render_apology_slip(DUNG_APOLOGY, signer=reason_signer)

        assert contains(pdf_text(pdf), "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
        assert contains(pdf_text(pdf), "Kính gửi: Ông/Bà Phạm Văn Dũng")
        assert reason_signer.calls[0][1].startswith("Phiếu xin lỗi")


def test_numeric_date_pads_day_and_month() -> None:
    assert format_vn_numeric_date(date(2026, 2, 5)) == "05/02/2026"
    assert format_vn_numeric_date(date(2026, 12, 31)) == "31/12/2026"
