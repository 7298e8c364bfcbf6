def navigation(request):
    """What the header offers this person; the decisions themselves stay in the policy modules."""
    from ceptoar.sharing.policy import can_browse_audit

    user = getattr(request, "user", None)
    return {"nav_can_browse_audit": bool(user and user.is_authenticated and can_browse_audit(user))}
