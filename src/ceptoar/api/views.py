"""The API tokens page: a person lists, creates and revokes their own tokens.

Under /api/, which the log-in middleware leaves to the API's own authentication, so this page checks the
session itself.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts.access import is_active_person
from ceptoar.api import services
from ceptoar.api.forms import TokenForm
from ceptoar.api.models import ApiToken
from ceptoar.utilities.refusals import REFUSED, attempt


def tokens(request):
    if not is_active_person(request.user):
        return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
    new_token, new_key, status = None, "", 200
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            created = attempt(
                form,
                lambda: services.create_token(
                    request.user,
                    form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_on=form.cleaned_data["expires_on"],
                ),
            )
            if created is not REFUSED:
                new_token, new_key = created
                form = TokenForm()
        if new_token is None:
            status = 400
    else:
        form = TokenForm()
    context = {
        "form": form,
        "tokens": list(
            ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at", "-id")
        ),
        # Shown in this one response only: the key is not stored, and the page is never cached.
        "new_token": new_token,
        "new_key": new_key,
        "docs_url": reverse("api:openapi-view"),
        "base_url": settings.CEPTOAR_BASE_URL,
    }
    response = render(request, "api/tokens.html", context, status=status)
    add_never_cache_headers(response)
    return response


@require_POST
def revoke(request, pk):
    if not is_active_person(request.user):
        return redirect_to_login(reverse("api_tokens:list"), reverse(settings.LOGIN_URL))
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    was_active = token.revoked_at is None
    token = services.revoke_token(token, request.user)
    if was_active:
        messages.success(
            request,
            _("The token “%(name)s” (%(prefix)s…) is revoked: calls with it are now refused.")
            % {"name": token.name, "prefix": token.prefix},
        )
    return redirect("api_tokens:list")
