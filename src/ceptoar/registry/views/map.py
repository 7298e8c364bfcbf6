"""The CEPTOAR characteristics map: page, CSV and XLSX downloads, all in the current language."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from ceptoar.accounts import access
from ceptoar.registry.ceptoar_map import build_ceptoar_map, map_to_xlsx
from ceptoar.utilities import exports


def _map_for(request):
    if not access.can_view_ceptoar_map(request.user):
        raise PermissionDenied
    return build_ceptoar_map()


def ceptoar_map(request):
    return render(request, "registry/map.html", {"ceptoar_map": _map_for(request)})


def ceptoar_map_csv(request):
    return exports.csv_download(_map_for(request).as_table(), "ceptoar-map.csv")


def ceptoar_map_xlsx(request):
    return exports.xlsx_download(map_to_xlsx(_map_for(request)), "ceptoar-map.xlsx")
