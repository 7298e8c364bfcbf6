"""Registry pages. Thin: each view asks `access` what the user may see and `services` for the data."""

from django.http import HttpResponse


def _pending(request, *args, **kwargs):
    return HttpResponse(status=501)


tree = organisation_list = organisation_detail = contact_verify = _pending
ceptoar_map = ceptoar_map_csv = ceptoar_map_xlsx = freshness = _pending
