from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "ceptoar.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The registry's services sit below this area (layer 11 of docs/architecture.md): they announce a published rules version by
        # a signal, and this area, which may import them, listens (docs/architecture.md, "Notifications").
        from ceptoar.notifications import events
        from ceptoar.registry.signals import rules_published

        rules_published.connect(events.rules_to_accept, dispatch_uid="notifications.rules_to_accept")
