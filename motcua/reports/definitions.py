"""The indicators and statistics shown on the dashboards: names, formulas in words, and the
counted figures they are made of (each one drillable to its dossiers)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    key: str
    number: str  # numbering of the indicator set of Decision 766/QĐ-TTg
    name: str | Promise
    formula: str | Promise
    numerator: str | None  # figure keys (see indicators.FIGURES)
    denominator: str | None
    target: int  # full marks at or above this percent


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "synced",
        "1.4",
        _("Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG"),
        _(
            "Hồ sơ tiếp nhận trong kỳ đã có trạng thái gửi thành công lên Cổng Dịch vụ công "
            "quốc gia / hồ sơ tiếp nhận trong kỳ."
        ),
        "synced",
        "received",
        100,
    ),
    Indicator(
        "on_time",
        "2.1",
        _("Tỷ lệ hồ sơ giải quyết đúng hạn"),
        _(
            "(Hồ sơ kết thúc đúng hạn + hồ sơ đang giải quyết chưa quá hạn) / (hồ sơ kết thúc "
            "trong kỳ + hồ sơ đang giải quyết). Đúng hạn: thời điểm kết thúc trừ thời gian "
            "người dân bổ sung hồ sơ không quá ngày hẹn trả; hồ sơ đang chờ bổ sung lần đầu "
            "tính tại thời điểm yêu cầu; yêu cầu bổ sung quá 01 lần là trễ hạn."
        ),
        "timed_on_time",
        "timed",
        100,
    ),
    Indicator(
        "avg_days",
        "2.2",
        _("Thời gian giải quyết trung bình (ngày)"),
        _(
            "Tổng (thời điểm có kết quả hoặc dừng xử lý − thời điểm tiếp nhận − thời gian bổ "
            "sung) / số hồ sơ đã giải quyết trong kỳ, tính theo ngày lịch."
        ),
        None,
        "resolved",
        0,
    ),
    Indicator(
        "online",
        "3.3",
        _("Tỷ lệ hồ sơ nộp trực tuyến"),
        _("Hồ sơ tiếp nhận trong kỳ nộp trực tuyến (kênh 2) / hồ sơ tiếp nhận trong kỳ."),
        "received_online",
        "received",
        50,
    ),
    Indicator(
        "paid_online",
        "3.6",
        _("Tỷ lệ hồ sơ thanh toán trực tuyến"),
        _(
            "Hồ sơ tiếp nhận trong kỳ có phí, lệ phí đã nộp trực tuyến / hồ sơ tiếp nhận "
            "trong kỳ có phí, lệ phí."
        ),
        "paid_online",
        "fee_bearing",
        80,
    ),
    Indicator(
        "digitised",
        "4.2",
        _("Tỷ lệ hồ sơ số hóa"),
        _(
            "Hồ sơ có kết quả trong kỳ có tệp thành phần hồ sơ và kết quả điện tử / hồ sơ "
            "có kết quả trong kỳ."
        ),
        "digitised",
        "approved",
        80,
    ),
    Indicator(
        "satisfaction",
        "5.4",
        _("Mức độ hài lòng"),
        _(
            "100% − (% hồ sơ giải quyết trong kỳ bị trễ hạn + % hồ sơ giải quyết trong kỳ có "
            "phản ánh, kiến nghị hoặc đánh giá “không hài lòng”)."
        ),
        "complained",
        "resolved",
        90,
    ),
)


@dataclass(frozen=True)
class Statistic:
    key: str
    name: str | Promise


STATISTICS: tuple[Statistic, ...] = (
    Statistic("carried_over", _("Kỳ trước chuyển sang")),
    Statistic("received", _("Tiếp nhận trong kỳ")),
    Statistic("received_direct", _("Trực tiếp")),
    Statistic("received_online", _("Trực tuyến")),
    Statistic("received_postal", _("Bưu chính")),
    Statistic("resolved_on_time", _("Đã giải quyết đúng hạn")),
    Statistic("resolved_late", _("Đã giải quyết trễ hạn")),
    Statistic("pending_on_time", _("Đang giải quyết, chưa đến hạn")),
    Statistic("pending_overdue", _("Đang giải quyết, quá hạn")),
    Statistic("withdrawn", _("Rút hồ sơ")),
    Statistic("refused", _("Từ chối tiếp nhận")),
)

FIGURE_NAMES: dict[str, str | Promise] = {
    **{s.key: s.name for s in STATISTICS},
    "resolved": _("Đã giải quyết trong kỳ"),
    "pending": _("Đang giải quyết"),
    "timed": _("Hồ sơ tính tỷ lệ đúng hạn"),
    "timed_on_time": _("Hồ sơ đúng hạn"),
    "timed_late": _("Hồ sơ trễ hạn"),
    "synced": _("Hồ sơ đã đồng bộ"),
    "fee_bearing": _("Hồ sơ có phí, lệ phí"),
    "paid_online": _("Hồ sơ thanh toán trực tuyến"),
    "approved": _("Hồ sơ có kết quả"),
    "digitised": _("Hồ sơ số hóa"),
    "complained": _("Hồ sơ có phản ánh hoặc không hài lòng"),
    "rated_satisfied": _("Đánh giá hài lòng"),
    "rated_unsatisfied": _("Đánh giá không hài lòng"),
}

# Indicators of Decision 766 that motcua's data does not allow yet (shown on the page).
NOT_COMPUTED: tuple[tuple[str, str | Promise], ...] = (
    (
        "1.1–1.3",
        _(
            "Công bố, công khai thủ tục: danh mục thủ tục chưa lưu quyết định công bố và ngày "
            "hiệu lực của căn cứ pháp lý."
        ),
    ),
    (
        "4.3",
        _("Tái sử dụng dữ liệu số hóa: thành phần hồ sơ chưa có dấu hiệu “được tái sử dụng”."),
    ),
    (
        "4.4–4.5",
        _("Kho dữ liệu công dân, CSDL quốc gia về dân cư: chưa kết nối."),
    ),
)
