"""A citizen known through the identity provider: never an officer, never a Django user."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Citizen(models.Model):
    """A person who signed in through OpenID Connect, identified by their personal ID number.

    Kept apart from ``org.User`` (the officers): a citizen holds no password, no membership and
    no staff flag, and their session is a separate session key (see ``motcua.citizens.session``).
    """

    id_number = models.CharField(_("số định danh cá nhân"), max_length=12, unique=True)
    full_name = models.CharField(_("họ và tên"), max_length=100)
    subject = models.CharField(_("mã định danh tại nhà cung cấp"), max_length=255)
    created_at = models.DateTimeField()
    last_sign_in_at = models.DateTimeField()

    class Meta:
        verbose_name = _("công dân")
        verbose_name_plural = _("công dân")

    def __str__(self) -> str:
        return f"Citizen #{self.pk}"
