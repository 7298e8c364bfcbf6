from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from ceptoar.accounts.second_factor import passed_second_factor

# Paths anyone may open without logging in: the log-in flow itself, static files, language switch, and
# the signed acknowledgement links of alert e-mails (the token is the credential; read on a phone), and the
# admin's retired log-in address, which only sends the visitor to the site's log-in.
_PUBLIC_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/health", "/alerts/ack/", "/api/", "/admin/login/")


def _to_login(request):
    """Send the visitor to the site's log-in, coming back here afterwards."""
    if getattr(request, "htmx", False):
        # A live fragment polled after the session expired: send the whole page to log in,
        # rather than have the log-in form pasted into a box of the page.
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(
            f"{reverse(settings.LOGIN_URL)}?next={request.htmx.current_url_abs_path or '/'}"
        )
    return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}")


class LoginRequiredMiddleware:
    """Nothing in the registry is public: every page except the log-in flow needs a session. The admin
    too: it signs in through the site's own log-in (allauth, with its second step), never a form of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(_PUBLIC_PREFIXES):
            return _to_login(request)
        return self.get_response(request)


# What a staff account may open before its session has passed the second factor: signing out, and
# enrolling an authenticator (which asks for the password again, then for a code from the new device).
# Everything else under /accounts/ (e-mail, password change, the list and removal of authenticators) is
# an account page like any other.
_ENROLMENT_PATHS = ("/accounts/2fa/totp/activate/", "/accounts/reauthenticate/")
_ALWAYS_OPEN = ("/accounts/logout/", "/static/", "/i18n/", "/health")


class RequireMfaMiddleware:
    """Staff accounts (hub, ministries, secretariats, coordinators, auditors, and anyone who may open the
    admin) must have passed TOTP *in this session* before any page.

    Checking that the account has an authenticator is not enough: a session made by a password alone (the
    admin's own log-in form before it was retired, a password reset that signs in, a re-authentication of
    a half-finished log-in) would otherwise read everything. Such a session is signed out and sent to the
    site's log-in, which asks for the code. The API authenticates each call by its token and is not a
    session (`/api/v…`); the token page is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.CEPTOAR_MFA_REQUIRED
            and user.is_authenticated
            and user.requires_mfa
            and not request.path.startswith(("/api/v", *_ALWAYS_OPEN))
            and not passed_second_factor(request)
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                if request.path.startswith(_ENROLMENT_PATHS):
                    return self.get_response(request)
                return redirect("mfa_activate_totp")
            logout(request)
            messages.warning(
                request,
                _("Your account needs a one-time code from your authenticator: please sign in again."),
            )
            return _to_login(request)
        return self.get_response(request)
