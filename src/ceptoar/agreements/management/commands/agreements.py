"""`ceptoar agreements dry-run FROM TO [--json]` and `ceptoar agreements list [--json]`: what may flow between
two organisations now, and the register of every agreement (see docs/agreements.md for the JSON)."""

from __future__ import annotations

import argparse
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from ceptoar.agreements import register
from ceptoar.agreements.models import Agreement
from ceptoar.registry.models import Organisation

HELP = """\
dry-run FROM TO: for each direction (FROM → TO, then TO → FROM) the agreements in force that bind it, the kinds
and categories that may flow, the highest TLP, whether the receiver may relay, and whether the originator is
named; "no agreement in force" where none is (nothing may flow that way). Where several agreements are in
force on one direction, the narrower terms of all of them apply.
  --json: {"from": CODE, "to": CODE, "on": DATE, "directions": [{"from": CODE, "to": CODE, "in_force": BOOL,
  "agreements": [CODES], "combined": BOOL, "kinds": [...], "categories": [...], "highest_tlp": "amber" or
  null, "may_relay": BOOL, "originator": "named" | "anonymised" or null}, {... the other way}]}
list: every agreement: code, version, status, title, validity, parties (and when each accepted), and each
direction's terms.
  --json: {"on": DATE, "agreements": [{"code", "title", "version", "status", "in_force_now", "valid_from",
  "valid_to", "supersedes", "superseded_by", "parties": [{"code", "name", "accepted_at"}], "directions":
  [{"from", "to", "kinds", "categories", "highest_tlp", "may_relay", "originator"}]}]}
Organisations are named by their codes (ceptoar map, the organisation list). An unknown code is an error
(exit status 1).
"""


class Command(BaseCommand):
    help = (
        "Sharing agreements: what may flow between two organisations now (dry-run), and the register (list)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = HELP
        # Keep the help's line breaks: it shows the JSON shapes.
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{dry-run,list}")
        dry_run = actions.add_parser(
            "dry-run", help="what may flow between two organisations now, each way", description=HELP
        )
        dry_run.add_argument("source", metavar="FROM", help="organisation code, e.g. banks")
        dry_run.add_argument("receiver", metavar="TO", help="organisation code, e.g. securities")
        listing = actions.add_parser(
            "list", help="every agreement with its parties and terms", description=HELP
        )
        languages = [code for code, _name in settings.LANGUAGES]
        for sub in (dry_run, listing):
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
            sub.add_argument("--json", action="store_true", help="one JSON object (codes, not words)")
            sub.add_argument(
                "--language",
                choices=languages,
                default=None,
                help="the language of the text output (default: the language in effect, the site's: ja)",
            )

    def handle(self, *args, action: str, language: str | None, **options):
        with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
            if action == "dry-run":
                self._dry_run(options["source"], options["receiver"], as_json=options["json"])
            else:
                self._list(as_json=options["json"])

    # -- dry-run ------------------------------------------------------------------------------------------

    def _dry_run(self, source_code: str, receiver_code: str, *, as_json: bool) -> None:
        source, receiver = _organisation(source_code), _organisation(receiver_code)
        if source.pk == receiver.pk:
            raise CommandError(
                _("Name two different organisations (both are %(code)s).") % {"code": source.code}
            )
        if as_json:
            self._json(register.dry_run_json(source, receiver))
            return
        for direction in register.dry_run(source, receiver):
            self._direction(direction)

    def _direction(self, direction: register.Direction) -> None:
        write, found = self.stdout.write, direction.flow
        heading = f"{direction.source.code} → {direction.receiver.code}"
        if found is None:
            write(f"{heading}: {_no_agreement()}")
            return
        codes = ", ".join(agreement.code for agreement in found.agreements)
        write(f"{heading}: {codes}")
        if found.is_combined:
            write("  " + _("several agreements in force on this direction: the narrower terms of all apply"))
        self._terms(
            register.ordered_kinds(found.kinds),
            register.ordered_categories(found.categories),
            found.highest_tlp,
            found.may_relay,
            found.originator,
        )

    def _terms(self, kinds, categories, highest_tlp, may_relay, originator, indent: str = "  ") -> None:
        write = self.stdout.write
        words = _words()
        write(f"{indent}{words['kinds']}: {', '.join(kinds) or '-'}")
        write(f"{indent}{words['categories']}: {', '.join(categories) or '-'}")
        write(f"{indent}{words['highest_tlp']}: {highest_tlp}")
        write(f"{indent}{words['relay']}: {words['yes'] if may_relay else words['no']}")
        write(f"{indent}{words['originator']}: {originator}")

    # -- list ---------------------------------------------------------------------------------------------

    def _list(self, *, as_json: bool) -> None:
        agreements = Agreement.objects.order_by("code")
        if as_json:
            self._json(register.register_json(agreements))
            return
        listed = register.register_json(agreements)["agreements"]
        if not listed:
            self.stdout.write(_("No agreements."))
        for number, entry in enumerate(listed):
            if number:
                self.stdout.write("")
            self._agreement(entry)

    def _agreement(self, entry: dict) -> None:
        write = self.stdout.write
        words = _words()
        status = entry["status"] + (f" ({words['binding']})" if entry["in_force_now"] else "")
        write(f"{entry['code']}  v{entry['version']}  {status}  {entry['title']}")
        valid_to = entry["valid_to"] or _("no end date")
        write(f"  {words['valid']}: {entry['valid_from']} – {valid_to}")
        if entry["supersedes"]:
            write(f"  {words['supersedes']}: {entry['supersedes']}")
        if entry["superseded_by"]:
            write(f"  {words['superseded_by']}: {', '.join(entry['superseded_by'])}")
        parties = [f"{party['code']} ({_accepted(party['accepted_at'])})" for party in entry["parties"]]
        write(f"  {words['parties']}: {', '.join(parties)}")
        for term in entry["directions"]:
            write(f"  {term['from']} → {term['to']}")
            self._terms(
                term["kinds"],
                term["categories"],
                term["highest_tlp"],
                term["may_relay"],
                term["originator"],
                indent="    ",
            )

    def _json(self, value: dict) -> None:
        self.stdout.write(json.dumps(value, ensure_ascii=False, indent=2))


def _no_agreement() -> str:
    # The phrase scripts look for: its Japanese keeps the English words (docs/agreements.md).
    return _("no agreement in force")


def _words() -> dict[str, str]:
    """The labels of the text output, in the language in effect (gettext outside f-strings, so that
    makemessages finds them)."""
    return {
        "kinds": _("kinds"),
        "categories": _("categories"),
        "highest_tlp": _("highest TLP"),
        "relay": _("relay allowed"),
        "yes": _("yes"),
        "no": _("no"),
        "originator": _("originator"),
        "binding": _("binding now"),
        "valid": _("valid"),
        "supersedes": _("supersedes"),
        "superseded_by": _("superseded by"),
        "parties": _("parties"),
    }


def _accepted(at: str | None) -> str:
    return _("accepted %(date)s") % {"date": at[:10]} if at else _("not yet accepted")


def _organisation(code: str) -> Organisation:
    found = Organisation.objects.filter(code=code).first()
    if found is None:
        raise CommandError(_("There is no organisation with the code %(code)s.") % {"code": code})
    return found
