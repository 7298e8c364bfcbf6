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

from ceptoar.accounts.access import can_send_alerts, ceptoars_served_by, is_active_member
from ceptoar.alerts.models import Alert
from ceptoar.intel.models import IndicatorSet
from ceptoar.reports import access as report_access
from ceptoar.reports.models import Case, Report
from ceptoar.sharing import policy


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


# -- exports ---------------------------------------------------------------------------------------


def may_export(user, item) -> bool:
    """Whether an export of `item` (STIX, MISP, their download buttons) may go to `user`: an alert's content
    only to those who may read it — never to the hops that relay an AMBER+STRICT or RED envelope unread —,
    a case or an indicator set to whoever may see it. Both formats ask this one rule."""
    if user is None or not is_active_member(user):
        return False
    if isinstance(item, Alert):
        return policy.may_read_content(user, item)
    return policy.may_see(user, item)


def may_export_import(user, source_import) -> bool:
    """An import is its importing organisation's, and everyone's who may see the indicator set made of it."""
    if user is None or not is_active_member(user):
        return False
    if source_import.organisation_id is not None and source_import.organisation_id == user.organisation_id:
        return True
    indicator_set = IndicatorSet.objects.filter(source_import=source_import).first()
    return indicator_set is not None and policy.may_see(user, indicator_set)
