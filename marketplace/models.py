from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SellerProfile(models.Model):
    """A user's public seller identity. Listings, fees and ratings arrive with the marketplace."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="seller_profile")
    display_name = models.CharField(_("display name"), max_length=60, blank=True, default="")
    country = models.CharField(_("country"), max_length=2, blank=True, default="",
                               help_text=_("ISO 3166-1 alpha-2 code, e.g. NL."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("seller profile")
        verbose_name_plural = _("seller profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.username
