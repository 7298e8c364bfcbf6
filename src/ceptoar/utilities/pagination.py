"""One page of a list, with links that keep every other query parameter: the shape that
`registry/_pagination.html` expects, shared by every paginated page."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


def url_with(request, **params) -> str:
    query = request.GET.copy()
    for name, value in params.items():
        query[name] = value
    return f"?{query.urlencode()}"


def paginate(request, queryset, per_page: int, param: str = "page") -> Page:
    page = Paginator(queryset, per_page).get_page(request.GET.get(param))
    page.previous_url = (
        url_with(request, **{param: page.previous_page_number()}) if page.has_previous() else ""
    )
    page.next_url = url_with(request, **{param: page.next_page_number()}) if page.has_next() else ""
    page.first_url = url_with(request, **{param: 1}) if page.number > 2 else ""
    last = page.paginator.num_pages
    page.last_url = url_with(request, **{param: last}) if page.number < last - 1 else ""
    return page
