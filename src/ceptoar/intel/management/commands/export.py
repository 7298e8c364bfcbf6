"""`ceptoar export stix|misp (--source IMPORT_ID | --alert ID | --case ID | --indicator-set ID) [--as USERNAME]
--output FILE`: an import given back verbatim, or an alert, failure case or indicator set as one person may
read it (the sharing policy is asked as that person)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

FORMATS = ("stix", "misp")
SELECTORS = (("source", "source"), ("alert", "alert"), ("case", "case"), ("indicator_set", "indicator_set"))


class Command(BaseCommand):
    help = (
        "Export as STIX 2.1 or MISP JSON: an import as it came in (--source), or an alert, failure case or "
        "indicator set as the person named by --as may read it."
    )

    def add_arguments(self, parser):
        parser.add_argument("format", choices=FORMATS, help="stix (a STIX 2.1 bundle) or misp (a MISP event)")
        selector = parser.add_mutually_exclusive_group(required=True)
        selector.add_argument(
            "--source", type=int, metavar="IMPORT_ID", help="an import, given back verbatim"
        )
        selector.add_argument("--alert", type=int, metavar="ID", help="an alert")
        selector.add_argument("--case", type=int, metavar="ID", help="a failure case")
        selector.add_argument("--indicator-set", type=int, metavar="ID", help="an indicator set")
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="the person exporting an alert, case or indicator set: what they may read goes out",
        )
        parser.add_argument("--output", required=True, metavar="FILE", help="the file to write (JSON)")

    def handle(self, *args, format: str, username: str | None, output: str, **options):
        from ceptoar.accounts.models import User
        from ceptoar.alerts.models import Alert
        from ceptoar.intel.models import ExchangeImport, IndicatorSet
        from ceptoar.reports.models import Case

        models = {"alert": Alert, "case": Case, "indicator_set": IndicatorSet, "source": ExchangeImport}
        kind, pk = next((kind, options[kind]) for kind, _name in SELECTORS if options.get(kind) is not None)
        item = models[kind].objects.filter(pk=pk).first()
        if item is None:
            raise CommandError(_("There is no %(kind)s with id %(id)s.") % {"kind": _label(kind), "id": pk})
        user = None
        if kind != "source":
            if not username:
                raise CommandError(
                    _("Exporting %(kind)s %(id)s needs --as USERNAME: the person whose reading rights apply.")
                    % {"kind": _label(kind), "id": pk}
                )
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(_("There is no user %(username)s.") % {"username": username})
        document = self.export(format, kind, item, user)
        path = Path(output)
        try:
            path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s") % {"file": output, "error": error}
            ) from None
        count = len(document.get("objects", ())) if format == "stix" else None
        if count is not None:
            self.stdout.write(
                _("Wrote %(file)s: a STIX 2.1 bundle of %(count)s objects.")
                % {"file": output, "count": count}
            )
        else:
            self.stdout.write(_("Wrote %(file)s: a MISP event.") % {"file": output})

    def export(self, format: str, kind: str, item, user) -> dict:
        if format == "stix":
            from ceptoar.intel.stix import export

            if kind == "source":
                if item.format != "stix":
                    raise CommandError(
                        _("Import %(id)s is not a STIX bundle: export it as %(format)s.")
                        % {"id": item.pk, "format": item.format}
                    )
                return export.export_import(item)
            try:
                return export.export_item(kind, item, user=user)
            except export.ExportRefused:
                raise CommandError(_refused(kind, item, user)) from None
        # MISP: written by the MISP part of the intel area, which asks the policy itself.
        try:
            from ceptoar.intel import misp
        except ImportError:
            raise CommandError(_("MISP export is not available in this installation.")) from None

        try:
            return misp.export_event(item, user=user)
        except (PermissionError, PermissionDenied):
            raise CommandError(_refused(kind, item, user)) from None


def _label(kind: str) -> str:
    return {
        "alert": _("alert"),
        "case": _("failure case"),
        "indicator_set": _("indicator set"),
        "source": _("import"),
    }[kind]


def _refused(kind: str, item, user) -> str:
    return _("%(username)s may not read %(kind)s %(id)s: nothing was exported.") % {
        "username": user.username,
        "kind": _label(kind),
        "id": item.pk,
    }
