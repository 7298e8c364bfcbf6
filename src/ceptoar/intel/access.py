"""Who may add, remove and retype the observables of an item (観測値の編集): the item's makers.

- An alert: the people of its origin organisation who send alerts. A relay's observables are its root's
  (`intel.index`), so no one edits them on the relay: the originator edits them on the original.
- A report: the reporting organisation's points of contact while they may edit the report, and the
  secretariat of the CEPTOAR it was sent to (which triages it).
- A failure case: the secretariat of the CEPTOAR that makes it, whatever its status (observables are the
  secretariat's analysis, not the sanitised text the reporter approved).
- An indicator set: the people of its origin organisation who send alerts.
Each service asks `sharing.policy.may_see` first: who may not see an item is told it does not exist.
"""

from __future__ import annotations

from ceptoar.accounts.access import can_send_alerts, ceptoars_served_by
from ceptoar.alerts.models import Alert
from ceptoar.intel.models import IndicatorSet
from ceptoar.reports import access as report_access
from ceptoar.reports.models import Case, Report


def may_edit_observables(user, item) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if isinstance(item, Alert):
        return (
            item.parent_id is None
            and item.root_id is None
            and item.origin_organisation_id == user.organisation_id
            and can_send_alerts(user)
        )
    if isinstance(item, Report):
        return report_access.can_edit_report(user, item) or report_access.can_triage(user, item)
    if isinstance(item, Case):
        return ceptoars_served_by(user).filter(pk=item.origin_organisation_id).exists()
    if isinstance(item, IndicatorSet):
        return item.origin_organisation_id == user.organisation_id and can_send_alerts(user)
    return False
