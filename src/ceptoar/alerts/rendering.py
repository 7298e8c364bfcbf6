"""Alert bodies are Markdown written by people; what readers get is sanitised HTML. And what stands in for
an alert's title where the reader may not read it."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape as html_escape

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


# -- e-mail ------------------------------------------------------------------------------------------
# An alert's e-mail carries its body twice: as plain text a person reads without knowing Markdown, and as
# HTML that is inert — no script, no image, no style sheet, nothing fetched when the message is opened, and
# no link leading anywhere but this installation. Links written in the body are shown as their text and
# address, not made clickable: a mail that hides where a link goes is what phishing looks like, and the
# reader of a security alert should see the address before choosing to open it.

_HR_TEXT = "―" * 20
_BULLET, _BULLET_INDENT = "・", "　"


def _link_label(href: str) -> str:
    return href.removeprefix("mailto:")


def _inline_text(children) -> str:
    """One inline run of Markdown as the words it shows; a link as "text (address)"."""
    parts: list[str] = []
    links: list[tuple[str, int]] = []
    for token in children or []:
        kind = token.type
        if kind in ("text", "code_inline"):
            parts.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            label = "".join(parts[start:]).strip()
            if href and label not in (href, _link_label(href)):
                parts.append(f" ({_link_label(href)})")
            elif not label:
                parts.append(_link_label(href))
        elif kind == "image":
            source = _link_label(str(token.attrGet("src") or ""))
            parts.append(f"{token.content} ({source})" if token.content else source)
        # Emphasis, strong and strikethrough markers are dropped: the words stay.
    return "".join(parts)


def markdown_as_text(source: str) -> str:
    """The body as plain text without Markdown syntax: headings in 【】 or after ■, lists with ・ or
    numbers, quotes after "> ", code indented, links as "text (address)"."""
    lines: list[str] = []
    quote = ""  # "> " per level of quotation
    indents: list[str] = []  # the continuation indent of each open list item
    lists: list[list] = []  # per open list: [ordered, next number]
    marker: str | None = None  # the bullet or number the next line starts with
    heading = 0
    cells: list[str] | None = None  # the cells of the table row being read

    def write(text: str) -> None:
        nonlocal marker
        for line in text.split("\n"):
            lead = "".join(indents[:-1]) + marker if marker is not None else "".join(indents)
            marker = None
            lines.append((quote + lead + line).rstrip())

    def blank() -> None:
        if lines and lines[-1] != quote.rstrip():
            lines.append(quote.rstrip())

    for token in _parser().parse(source or ""):
        kind = token.type
        if kind == "heading_open":
            heading = int(token.tag[1])
        elif kind == "inline" and cells is not None:
            cells.append(_inline_text(token.children).replace("\n", " "))
        elif kind == "inline":
            text = _inline_text(token.children)
            if heading:
                text = f"【{text}】" if heading <= 2 else f"■ {text}"
            write(text)
        elif kind == "heading_close":
            heading = 0
            blank()
        elif kind == "paragraph_close" and not token.hidden:
            blank()
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append([kind == "ordered_list_open", int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                blank()
        elif kind == "list_item_open":
            ordered, number = lists[-1]
            if ordered:
                marker, lists[-1][1] = f"{number}. ", number + 1
            else:
                marker = _BULLET
            indents.append(" " * len(marker) if ordered else _BULLET_INDENT)
        elif kind == "list_item_close":
            indents.pop()
        elif kind == "blockquote_open":
            quote += "> "
        elif kind == "blockquote_close":
            while lines and lines[-1] == quote.rstrip():
                lines.pop()
            quote = quote[:-2]
            blank()
        elif kind in ("fence", "code_block"):
            write("\n".join("    " + line for line in token.content.rstrip("\n").split("\n")))
            blank()
        elif kind == "hr":
            write(_HR_TEXT)
            blank()
        elif kind == "table_open":
            cells = []
        elif kind == "tr_close" and cells is not None:
            write(" | ".join(cells))
            cells = []
        elif kind == "table_close":
            cells = None
            blank()
    while lines and not lines[-1].strip("> "):
        lines.pop()
    return "\n".join(lines)


# Every element's look is an inline style (mail programs drop style sheets, and a style sheet from elsewhere
# would be fetched on opening), in the few properties mail programs agree on.
_EMAIL_STYLES = {
    "h1": "font-size:20px;margin:16px 0 8px",
    "h2": "font-size:18px;margin:16px 0 8px",
    "h3": "font-size:16px;margin:14px 0 6px",
    "h4": "font-size:15px;margin:12px 0 6px",
    "h5": "font-size:15px;margin:12px 0 6px",
    "h6": "font-size:15px;margin:12px 0 6px",
    "p": "margin:0 0 10px",
    "ul": "margin:0 0 10px;padding-left:24px",
    "ol": "margin:0 0 10px;padding-left:24px",
    "blockquote": "margin:0 0 10px;padding:4px 12px;border-left:4px solid #999999;color:#333333",
    "pre": "margin:0 0 10px;padding:8px;background-color:#f3f3f3;font-family:monospace;white-space:pre-wrap",
    "code": "font-family:monospace;background-color:#f3f3f3",
    "table": "border-collapse:collapse;margin:0 0 10px",
    "th": "border:1px solid #999999;padding:4px 8px;background-color:#f3f3f3",
    "td": "border:1px solid #999999;padding:4px 8px",
}
EMAIL_STYLE_PROPERTIES = frozenset(
    {
        "background-color",
        "border",
        "border-collapse",
        "border-left",
        "border-top",
        "border-radius",
        "color",
        "display",
        "font-family",
        "font-size",
        "font-weight",
        "line-height",
        "margin",
        "max-width",
        "padding",
        "padding-left",
        "text-decoration",
        "white-space",
    }
)


def _email_link_close(self, tokens, idx, options, env) -> str:
    """Where the body links, the e-mail shows the address after the text (the link itself is dropped)."""
    depth, start = 0, idx
    while start > 0:
        start -= 1
        if tokens[start].type == "link_close":
            depth += 1
        elif tokens[start].type == "link_open":
            if depth == 0:
                break
            depth -= 1
    href = str(tokens[start].attrGet("href") or "")
    label = "".join(token.content for token in tokens[start + 1 : idx]).strip()
    if not href or label in (href, _link_label(href)):
        return "" if label else html_escape(_link_label(href))
    return f" ({html_escape(_link_label(href))})"


def _email_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    source = html_escape(_link_label(str(token.attrGet("src") or "")))
    return f"{html_escape(token.content)} ({source})" if token.content else source


@lru_cache(maxsize=1)
def _email_parser() -> MarkdownIt:
    # Line breaks as written, as in the plain-text part: people type Japanese text line by line.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    parser.enable("table").enable("strikethrough")
    parser.add_render_rule("link_open", lambda self, tokens, idx, options, env: "")
    parser.add_render_rule("link_close", _email_link_close)
    parser.add_render_rule("image", _email_image)
    return parser


def markdown_as_email_html(source: str) -> str:
    """The body as an HTML fragment for e-mail: sanitised like the pages' (`render_markdown`), each element
    styled inline, links and images as text and address."""
    return nh3.clean(
        _email_parser().render(source or ""),
        tags=_ALLOWED_TAGS - {"a"},
        attributes={"th": {"align"}, "td": {"align"}, "ol": {"start"}},
        set_tag_attribute_values={tag: {"style": style} for tag, style in _EMAIL_STYLES.items()},
    )


EMAIL_TAGS = _ALLOWED_TAGS | {"div", "span", "b"}


def inert_email_html(html: str, own_prefix: str) -> str:
    """The last pass over a whole e-mail's HTML: only the allowed tags, inline styles of the allowed
    properties, and links only to this installation (`own_prefix`: its base URL and a slash); nothing that
    loads anything."""

    def keep(element: str, attribute: str, value: str) -> str | None:
        if attribute == "href":
            return value if value.startswith(own_prefix) else None
        return value

    return nh3.clean(
        html,
        tags=EMAIL_TAGS,
        attributes={"*": {"style"}, "a": {"href"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}},
        attribute_filter=keep,
        url_schemes={"http", "https"},
        filter_style_properties=EMAIL_STYLE_PROPERTIES,
        link_rel="noopener noreferrer",
    )


# A mail line may be at most 998 bytes (RFC 5322). A longer line makes the mail library encode the whole
# part (quoted-printable), and the e-mail channel then builds every recipient's message in full instead of
# substituting its acknowledgement link into one built per alert. Long lines are broken well before that.
_LINE_BYTES = 900
_TEXT_BREAKS = "。、．，) 　"
_HTML_PIECES = re.compile(r"(<[^>]*>|&#?[0-9A-Za-z]+;)")
_HTML_BREAK = "<!--\n-->"  # an invisible line break: a comment, which shows nothing, not even a space


def fold_text(text: str) -> str:
    """Plain text with no line over the limit: a long line is broken after punctuation or a space."""
    out: list[str] = []
    for line in text.split("\n"):
        while len(line.encode()) > _LINE_BYTES:
            # The most characters that fit in the limit, whatever their width in bytes.
            cut = len(line.encode()[:_LINE_BYTES].decode(errors="ignore"))
            window = line[:cut]
            at = max(window.rfind(mark) for mark in _TEXT_BREAKS)
            at = at + 1 if at > cut // 2 else cut
            out.append(line[:at].rstrip(" "))
            line = line[at:]
        out.append(line)
    return "\n".join(out)


def fold_html(html: str) -> str:
    """HTML with no line over the limit, broken with an invisible comment between tags, entities or
    characters: never inside one."""
    lines: list[str] = []
    for line in html.split("\n"):
        if len(line.encode()) <= _LINE_BYTES:
            lines.append(line)
            continue
        folded: list[str] = []
        size = 0
        for piece in _HTML_PIECES.split(line):
            for chunk in [piece] if piece.startswith(("<", "&")) else piece:
                weight = len(chunk.encode())
                if size and size + weight > _LINE_BYTES:
                    folded.append(_HTML_BREAK)
                    size = 3  # the comment's end opens the new line
                folded.append(chunk)
                size += weight
        lines.append("".join(folded))
    return "\n".join(lines)
