def navigation(request):
    """What the header offers this person; the decisions themselves stay in the policy modules."""
    from django.conf import settings
    from django.utils.functional import SimpleLazyObject

    from ceptoar.accounts.access import can_send_alerts, serves_a_ceptoar
    from ceptoar.agreements import access as agreement_access
    from ceptoar.analysis.access import can_assess
    from ceptoar.exercises.access import can_organise
    from ceptoar.intel.services.incident_access import incident_may_see_signals
    from ceptoar.intel.services.indicator_sets import may_create_indicator_set
    from ceptoar.intel.stix.access import may_import
    from ceptoar.registry.models import OrganisationKind
    from ceptoar.reports import access as report_access
    from ceptoar.sharing.policy import can_browse_audit
    from ceptoar.site import todo

    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    organisation = user.organisation if signed_in else None
    return {
        "nav_can_report": signed_in and report_access.can_report(user),
        "nav_can_triage": signed_in and serves_a_ceptoar(user),
        "nav_receives_reports": organisation is not None
        and organisation.kind in (OrganisationKind.MINISTRY, OrganisationKind.HUB),
        # Analysis partners (FISC, JAHIS, 電中研 …) are related bodies that run no CEPTOAR's secretariat.
        "nav_analysis_partner": organisation is not None
        and organisation.kind == OrganisationKind.RELATED_BODY
        and not serves_a_ceptoar(user),
        "nav_can_view_statistics": signed_in and report_access.can_view_statistics(user),
        "nav_can_assess": signed_in and can_assess(user),
        # Intel: signals and incidents (coordinators, secretariats, the hub's staff), indicator sets and
        # imports (analysts too).
        "nav_intel": signed_in
        and (incident_may_see_signals(user) or may_create_indicator_set(user) or may_import(user)),
        "nav_can_browse_audit": signed_in and can_browse_audit(user),
        "nav_can_send_alerts": signed_in and can_send_alerts(user),
        "nav_can_organise_exercises": signed_in and can_organise(user),
        "nav_agreements": signed_in and _sees_agreements(user, organisation, agreement_access),
        "nav_demo_mailbox": signed_in and settings.CEPTOAR_DEMO_MAILBOX,
        # The to-do badges: one query, made only when a page shows the header, once per request.
        "nav_todo": SimpleLazyObject(lambda: todo.for_request(request)) if signed_in else None,
    }


def _sees_agreements(user, organisation, access) -> bool:
    """The hub's register, an organisation's own agreements, or the right to propose one. A member is never
    a party (it shares through its CEPTOAR): no query on the pages members open most."""
    from ceptoar.registry.models import OrganisationKind

    if access.sees_register(user):
        return True
    if organisation is None or organisation.kind == OrganisationKind.MEMBER:
        return False
    return access.organisations_represented_by(user).exists() or access.agreements_visible_to(user).exists()
