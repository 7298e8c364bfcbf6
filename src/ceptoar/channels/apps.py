from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "ceptoar.channels"
    verbose_name = _("Delivery channels")
