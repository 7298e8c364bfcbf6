"""Telling a lost database connection from a statement that failed on a working one (utilities.reconnect).

Losing the connection for real, and the waiting that follows, is tested with real worker processes whose
connections PostgreSQL ends (tests/channels/test_worker_reconnect.py)."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError, connection, transaction

from ceptoar.utilities import reconnect

pytestmark = pytest.mark.django_db


def fail_on_a_working_connection() -> None:
    """A statement that raises OperationalError while the connection stays usable."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")  # cancelled: QueryCanceled is an OperationalError
        else:
            cursor.execute("SELECT * FROM no_such_table")


def test_a_statement_that_fails_on_a_working_connection_is_raised_at_once_not_waited_on(caplog):
    tries = []

    def operation():
        tries.append(1)
        fail_on_a_working_connection()

    with (
        caplog.at_level(logging.WARNING, logger="ceptoar.utilities.reconnect"),
        pytest.raises(OperationalError) as failure,
    ):
        reconnect.retrying(operation, what="A probe")
    assert not reconnect.connection_lost(failure.value)
    assert tries == [1] and caplog.records == []
    with connection.cursor() as cursor:  # the connection works on
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_errors_that_are_not_the_databases_are_never_a_lost_connection():
    assert not reconnect.connection_lost(RuntimeError("the connection is closed"))
    assert not reconnect.connection_lost(ValueError())
