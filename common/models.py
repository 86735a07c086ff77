from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberSeries(models.Model):
    """The counter behind a number series (``CT``, ``OP``, ``SQ``, ``TD``, ``LD``).

    On PostgreSQL the numbers come from a database sequence per series (see
    ``common.numbering``); this row then only documents the series. On other databases
    ``last_no`` is the counter itself.
    """

    code = models.CharField(_("code"), max_length=10, primary_key=True)
    description = models.CharField(_("description"), max_length=100, blank=True)
    last_no = models.PositiveBigIntegerField(_("last number used"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")

    def __str__(self) -> str:
        return self.code


class UserProfile(models.Model):
    """Per-user preferences of the UI."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the browser's language decides."),
    )

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self) -> str:
        return str(self.user)
