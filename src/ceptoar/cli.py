"""The `ceptoar` command: Django's management commands under the platform's own name.

ceptoar demo [--no-serve]     load the demo population (and serve it)
ceptoar serve                 serve the platform on 127.0.0.1:8000
ceptoar map --format csv      print the CEPTOAR characteristics map
ceptoar import registry FILE  load registry records from JSON, all or nothing
ceptoar import stix FILE [--organisation CODE]
                              a STIX 2.1 bundle (or `import misp FILE`, a MISP event), all or nothing
ceptoar export stix --source IMPORT_ID --output FILE
                              an import given back verbatim; or --alert/--case/--indicator-set ID --as USER,
                              as that person may read it (`export misp` likewise)
ceptoar intel warninglists    mark stored observables against the warning lists (after changing them)
ceptoar totp USER             current TOTP code of a demo account
ceptoar anonymize FILE        a report's text with names, addresses and hosts replaced
ceptoar exercise run --simulate [--ack-share 0.9] [--seed N]
                              a whole drill on the demo population with simulated members; measures as JSON
ceptoar agreements dry-run FROM TO [--json]
                              what sharing agreements let flow between two organisations now, each way
ceptoar agreements list [--json]
                              every sharing agreement with its parties and terms
ceptoar help                  every command
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ceptoar.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "ceptoar"
    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as error:
        sys.exit(f"ceptoar: configuration error: {error}")


if __name__ == "__main__":
    main()
