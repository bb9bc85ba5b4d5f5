"""The drill's virtual clock, honoured by ``motcua.core.clock`` in drill mode only."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VirtualClock(models.Model):
    """One row (pk 1): the scenario moment ``scenario_start`` happens at the real moment
    ``real_start``, and scenario time runs ``factor`` times faster than real time."""

    scenario_start = models.DateTimeField(_("thời điểm kịch bản"))
    real_start = models.DateTimeField(_("thời điểm thực"))
    factor = models.FloatField(_("hệ số nén thời gian"))
    label = models.CharField(_("kịch bản"), max_length=100, blank=True)
    set_at = models.DateTimeField(_("đặt lúc"))

    class Meta:
        verbose_name = _("đồng hồ diễn tập")
        verbose_name_plural = _("đồng hồ diễn tập")

    def __str__(self) -> str:
        return f"{self.label} ×{self.factor:g}"
