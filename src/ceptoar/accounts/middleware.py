from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

# Paths anyone may open without logging in: the log-in flow itself, static files, language switch, and
# the signed acknowledgement links of alert e-mails (the token is the credential; read on a phone).
_PUBLIC_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/health", "/alerts/ack/", "/api/")


class LoginRequiredMiddleware:
    """Nothing in the registry is public: every page except the log-in flow needs a session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(_PUBLIC_PREFIXES):
            if request.path.startswith("/admin/"):
                return self.get_response(request)
            if getattr(request, "htmx", False):
                # A live fragment polled after the session expired: send the whole page to log in,
                # rather than have the log-in form pasted into a box of the page.
                from django_htmx.http import HttpResponseClientRedirect

                return HttpResponseClientRedirect(
                    f"{reverse(settings.LOGIN_URL)}?next={request.htmx.current_url_abs_path or '/'}"
                )
            return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}")
        return self.get_response(request)


class RequireMfaMiddleware:
    """Staff roles that see many organisations' contacts must enrol a TOTP authenticator first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.CEPTOAR_MFA_REQUIRED
            and user.is_authenticated
            and user.requires_mfa
            # API calls authenticate with their token, not the session.
            and not request.path.startswith(("/accounts/", "/static/", "/i18n/", "/api/v"))
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                return redirect("mfa_activate_totp")
        return self.get_response(request)
