"""Where the platform's log-in differs from allauth's and Django's: the admin signs in through the site's
own log-in, and enrolling TOTP counts as this session's second factor."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.views import ActivateTOTPView
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from ceptoar.accounts.second_factor import record_enrolment


def admin_login(request):
    """Django's admin has a log-in form of its own that asks for the password alone. Every way in goes
    through allauth instead, with its second step; this sends `/admin/login/?next=…` there, and back."""
    if request.user.is_authenticated:
        # Signed in, yet the admin sent the person here: the account may not use the admin. Sending it to
        # the log-in would bring it straight back.
        raise PermissionDenied(_("Your account cannot use the administration pages."))
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': target})}")


class EnrolTotpView(ActivateTOTPView):
    """allauth's enrolment page, which also records the code just typed as this session's second factor:
    a staff account enrolling its first authenticator goes on working instead of being signed out."""

    def form_valid(self, form):
        response = super().form_valid(form)
        record_enrolment(
            self.request, Authenticator.objects.get(user=self.request.user, type=Authenticator.Type.TOTP)
        )
        return response


enrol_totp = EnrolTotpView.as_view()
