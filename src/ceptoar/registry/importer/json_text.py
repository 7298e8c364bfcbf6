"""The JSON file's structure, checked before any record is read: how deep it nests, which keys an object
repeats, which strings are longer than any field; then the document itself."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ceptoar.registry.importer.text import (
    MAX_FIELD_CHARS,
    MAX_JSON_DEPTH,
    TextProblem,
    UnreadableText,
    field_too_long,
    line_at,
)

# json.loads() is the judge of what is valid JSON, but it recurses once per level (100,000 "[" end in a
# RecursionError) and keeps the last of two equal keys without a word. So the text is first scanned for its
# structure alone: strings (whole, escapes and all), brackets and commas, which is enough to know how deep
# each value sits, which record and field it belongs to, and which keys an object repeats.

# A whole string (possessive, so that a long one costs one pass), a quote that opens a string never closed,
# or a bracket or comma.
_JSON_TOKEN = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|"|[\[\]{},]', re.DOTALL)


@dataclass
class _Container:
    keys: set[str] | None  # an object's keys so far; None for a list
    at: str | int = 0  # the current key (object) or index (list)
    expecting_key: bool = True


def _path(containers: list[_Container]) -> str:
    """Where the innermost container is at, as the import names records: "contacts[3].channels[0]"."""
    path = ""
    for container in containers:
        if container.keys is None:
            path += f"[{container.at}]"
        else:
            path += f".{container.at}" if path else str(container.at)
    return path


def _scan_json(text: str) -> list[TextProblem]:
    """Repeated keys and over-long strings, located; raises UnreadableText when the nesting is too deep."""
    problems: list[TextProblem] = []
    stack: list[_Container] = []

    def where(position: int) -> str:
        line = line_at(text, position)
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return _("line %(line)d, column %(column)d") % {"line": line, "column": column}

    for token in _JSON_TOKEN.finditer(text):
        value = token.group()
        top = stack[-1] if stack else None
        if value == '"':
            break  # a string that never ends: json.loads() will say where it starts
        if value in "[{":
            stack.append(_Container(set() if value == "{" else None))
            if len(stack) > MAX_JSON_DEPTH:
                message = _("The JSON is nested deeper than %(limit)d levels (%(where)s).") % {
                    "limit": MAX_JSON_DEPTH,
                    "where": where(token.start()),
                }
                # Named by the record it is in, if it is in one: the rest of the path says nothing.
                in_a_section = (
                    stack[0].keys is not None and isinstance(stack[0].at, str) and stack[1].keys is None
                )
                record = _path(stack[:2]) if in_a_section else ""
                raise UnreadableText([TextProblem(message, path=record)])
        elif value in "]}":
            if stack:
                stack.pop()
        elif value == ",":
            if top is not None and top.keys is None:
                top.at += 1
            elif top is not None:
                top.expecting_key = True
        elif top is not None and top.keys is not None and top.expecting_key:
            try:
                key = json.loads(value) if "\\" in value else value[1:-1]
            except ValueError:
                continue  # a broken escape: json.loads() will say so
            if key in top.keys:
                message = _("This field appears more than once in the same object (%(where)s).") % {
                    "where": where(token.start())
                }
                problems.append(TextProblem(message, path=_path(stack[:-1]), field=key))
            top.keys.add(key)
            top.at, top.expecting_key = key, False
        elif len(value) - 2 > MAX_FIELD_CHARS and (message := field_too_long(_decoded_length(value))):
            if top is not None and top.keys is not None:
                problems.append(TextProblem(message, path=_path(stack[:-1]), field=str(top.at)))
            else:
                problems.append(TextProblem(message, path=_path(stack)))
    return problems


def _decoded_length(string_token: str) -> int:
    try:
        return len(json.loads(string_token))
    except ValueError:
        return 0  # a broken escape: json.loads() will say so


class _RepeatedKey(ValueError):
    pass


def _refuse_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    seen = set()
    for key, _value in pairs:
        if key in seen:
            raise _RepeatedKey(key)
        seen.add(key)
    return dict(pairs)


def _refuse_constant(name: str) -> None:
    raise ValueError(_("%(name)s is not a JSON value") % {"name": name})


def load_json(text: str) -> object:
    """The JSON document, refused (UnreadableText) when it is not valid JSON, nests too deep, repeats a key
    in an object or holds a string longer than any field."""
    located = _scan_json(text)
    try:
        data = json.loads(text, object_pairs_hook=_refuse_repeated_keys, parse_constant=_refuse_constant)
    except _RepeatedKey as error:
        # The scan has found and located it (json.loads() only knows the key).
        raise UnreadableText(
            located or _("The field %(name)s appears more than once in the same object.") % {"name": error}
        ) from None
    except json.JSONDecodeError as error:
        raise UnreadableText(
            _("This is not valid JSON: %(reason)s (column %(column)d).")
            % {"reason": error.msg, "column": error.colno},
            error.lineno,
        ) from None
    except (ValueError, RecursionError) as error:
        # Integers of more than 4,300 digits, NaN and Infinity; RecursionError only if the scan missed it.
        raise UnreadableText(_("This is not valid JSON: %(reason)s.") % {"reason": error}) from None
    if located:
        raise UnreadableText(located)
    return data
