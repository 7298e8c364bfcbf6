"""Alert bodies are Markdown written by people; what readers get is sanitised HTML. And what stands in for
an alert's title where the reader may not read it."""

from __future__ import annotations

from functools import lru_cache

import nh3
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from ceptoar.sharing.models import Tlp


def envelope_title(alert) -> str:
    """The words shown instead of the title of an alert that the reader passes on unread (an intermediate
    hop of an AMBER+STRICT or RED alert: `sharing.policy.ENVELOPE_TLPS`)."""
    return _("%(tlp)s alert — content for its recipients only") % {"tlp": Tlp(alert.tlp).label}


_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Raw HTML off: whatever markup an author types is shown as text, not interpreted.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> str:
    html = _parser().render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
