from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from ceptoar.accounts import access
from ceptoar.registry import services
from ceptoar.registry.models import Organisation, OrganisationKind, Sector


def health(request):
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    counts = dict(
        Organisation.objects.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    scope = access.organisations_maintained_by(request.user)
    context = {
        "sector_count": Sector.objects.count(),
        "ceptoar_count": counts.get(OrganisationKind.CEPTOAR, 0),
        "member_count": counts.get(OrganisationKind.MEMBER, 0) + counts.get(OrganisationKind.RELATED_BODY, 0),
        "ministry_count": counts.get(OrganisationKind.MINISTRY, 0),
        "lacking_poc_count": services.organisations_lacking_poc(
            access.contact_organisations_visible_to(request.user)
        ).count(),
        "maintains_registry": scope.exists(),
        "own_organisation": request.user.organisation,
    }
    return render(request, "core/home.html", context)
