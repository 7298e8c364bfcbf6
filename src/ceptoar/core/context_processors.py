def navigation(request):
    """What the header offers this person; the decisions themselves stay in the policy modules."""
    from django.conf import settings

    from ceptoar.accounts.access import can_send_alerts
    from ceptoar.sharing.policy import can_browse_audit

    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "nav_can_browse_audit": signed_in and can_browse_audit(user),
        "nav_can_send_alerts": signed_in and can_send_alerts(user),
        "nav_demo_mailbox": signed_in and settings.CEPTOAR_DEMO_MAILBOX,
    }
