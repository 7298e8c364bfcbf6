"""(being written) Triage and routing of submitted reports."""

from __future__ import annotations


def record_receipt(user, report) -> None:
    """Record that `user`'s organisation, at one of the report's hops, has received it (first opening)."""
