from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "ceptoar.channels"
    verbose_name = _("Delivery channels")

    def ready(self) -> None:
        from ceptoar.channels import checks  # noqa: F401 - registers the channel registry's check
