"""The CEPTOAR characteristics map: page, CSV and XLSX downloads, all in the current language."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from ceptoar.accounts import access
from ceptoar.registry.ceptoar_map import build_ceptoar_map, map_to_csv, map_to_xlsx

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _map_for(request):
    if not access.can_view_ceptoar_map(request.user):
        raise PermissionDenied
    return build_ceptoar_map()


def ceptoar_map(request):
    return render(request, "registry/map.html", {"ceptoar_map": _map_for(request)})


def ceptoar_map_csv(request):
    # The byte-order mark makes Excel read the file as UTF-8 instead of the locale's Shift_JIS.
    response = HttpResponse("\ufeff" + map_to_csv(_map_for(request)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ceptoar-map.csv"'
    return response


def ceptoar_map_xlsx(request):
    response = HttpResponse(map_to_xlsx(_map_for(request)), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="ceptoar-map.xlsx"'
    return response
