from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The site shell: the home page, the navigation, the error pages, the security middleware and the
    `demo`, `serve` and `bench` commands; the top layer, which may import every area.

    Its label stays "core", the name it had before the bottom utilities moved out to `ceptoar.utilities`:
    the database cache table's migration is recorded under that label, and the static files keep their
    `core/` paths."""

    name = "ceptoar.site"
    label = "core"
    verbose_name = "Site"
