from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from ceptoar.accounts import access
from ceptoar.accounts.models import Role
from ceptoar.registry import queries
from ceptoar.registry.models import Organisation, OrganisationKind, Sector
from ceptoar.site import todo


def csrf_failure(request, reason=""):
    """A form refused by the CSRF check (expired session, page opened from elsewhere): say what to do, in
    the site's own layout. Django's default page carries an inline style the site's policy refuses."""
    return render(request, "403_csrf.html", status=403)


def health(request):
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    counts = dict(Organisation.objects.order_by().values_list("kind").annotate(n=Count("pk")))
    user = request.user
    context = {
        "sector_count": Sector.objects.count(),
        "ceptoar_count": counts.get(OrganisationKind.CEPTOAR, 0),
        "member_count": counts.get(OrganisationKind.MEMBER, 0),
        "organisation_count": sum(counts.values()),
        "lacking_poc_count": queries.organisations_lacking_poc(
            access.contact_organisations_visible_to(user)
        ).count(),
        "own_organisation": user.organisation,
        "role_labels": [label for value, label in Role.choices if value in user.roles],
        "todo": todo.for_request(request),
    }
    return render(request, "core/home.html", context)
