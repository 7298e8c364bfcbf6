from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExercisesConfig(AppConfig):
    name = "ceptoar.exercises"
    verbose_name = _("Exercises")

    def ready(self) -> None:
        from ceptoar.exercises import fonts  # noqa: F401 - registers the PDF font's check
