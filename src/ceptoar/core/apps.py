from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ceptoar.core"
    verbose_name = "Core"
