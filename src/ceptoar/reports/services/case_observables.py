"""What a failure case keeps of its report's observables (観測値): those that survive redaction and do not
identify the reporter. Called by the case services (`cases`, `redactions`) in the transaction that makes,
edits, publishes or re-redacts the case, so the case's sightings always follow its redactions.

The case carries (CARRIED) a value of its source version (the structured list the reporter entered, and
what its text and text attachments hold) unless
- it stands only inside redactions the secretariat applied (a value the case's text still shows is
  carried: it is published anyway), or
- it identifies the reporter, as the anonymiser judges hosts (`anonymisation.detectors.classify_host`):
  a private, shared or link-local address (the reporter's own network), a domain, URL or e-mail address
  under a domain the registry gives the reporter (its own domain and its contacts' mail domains), an
  internal name, or a Japanese organisation's domain the registry does not know as a public publisher.
  Such a value is never recorded on the case, not even when the secretariat undid its redaction and the
  text shows it: correlation would otherwise tie the anonymous case to the reporter's other reports.
The anonymiser already proposes these values as redactions in the case's text (e-mail addresses always,
private addresses, the reporter's domains and URLs); `tests/intel/test_case_observables.py` checks it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ceptoar.intel import extraction
from ceptoar.intel import index as intel_index
from ceptoar.reports.anonymisation.detectors import KEEP, classify_host, is_internal_address
from ceptoar.reports.anonymisation.lexicon import Lexicon
from ceptoar.reports.cases import RegistryNames, registry_names, source_of
from ceptoar.reports.models import Case


def identifies_reporter(type_: str, value: str, lexicon: Lexicon, reporter: str) -> bool:
    if type_ in (extraction.IPV4, extraction.IPV6):
        return bool(is_internal_address(value.split("/")[0]))
    if type_ == extraction.DOMAIN:
        host = value
    elif type_ == extraction.URL:
        try:
            host = urlsplit(value).hostname or ""
        except ValueError:
            return False
    elif type_ == extraction.EMAIL:
        host = value.rpartition("@")[2]
    else:
        return False
    if not host:
        return False
    return classify_host(host, lexicon, reporter).kind != KEEP


def index_case_observables(case: Case, names: RegistryNames | None = None) -> None:
    """Record the case's observables (`intel.index.index_case`): its own text's, and the report's that
    survive redaction, less those that identify the reporter."""
    names = names or registry_names()
    version = case.source_version
    report = case.report
    reporter = report.organisation.code
    source = source_of(version).text
    redacted: set[tuple[str, str]] = set()
    for redaction in case.redactions.filter(accepted=True):
        redacted |= {
            (found.type, found.value) for found in extraction.extract(source[redaction.start : redaction.end])
        }
    shown = {
        (found.type, found.value) for text in (case.body, case.title) for found in extraction.extract(text)
    }
    report_values = intel_index.versions_values(report, [version])
    carried = [key for key in report_values if key in shown or key not in redacted]
    everything = set(report_values) | shown | {(f.type, f.value) for f in extraction.extract(case.lessons)}
    withheld = {key for key in everything if identifies_reporter(*key, names.lexicon, reporter)}
    intel_index.index_case(case, carried=carried, withheld=withheld)
