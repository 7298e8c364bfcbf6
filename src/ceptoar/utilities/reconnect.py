"""Outliving a lost database connection (a restart, a failover, an idle timeout) in the worker.

Django opens a connection on first use but never replaces one that broke while in use: every later
statement on it fails with "the connection is closed", and the worker used to exit on the first. The
worker's loop, its send batches and its periodic jobs instead ask `connection_lost(error)`, and if so
`wait_for_database`: it drops the broken connection and returns once the database answers again, trying
with a growing, jittered delay (so a restarted server is not met by every worker at the same instant, and a
worker never spins while it is down); the caller then carries on where it was. `retrying` does both around
one operation that is safe to run twice. One line is logged when the connection is lost and one when it is
back, with a reminder every minute in between, rather than a traceback per try.

Nothing waits once the process is stopping: `stopping` is set by the worker's SIGTERM/SIGINT handler, and
a thread may pass an event of its own.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

stopping = threading.Event()

# The first try comes quickly (a dropped connection to a server that is up reconnects at once); the delay
# then doubles up to MAX_DELAY_S, each one drawn between half and all of it.
FIRST_DELAY_S = 0.2
MAX_DELAY_S = 10.0
REMIND_EVERY_S = 60.0


def connection_lost(error: BaseException) -> bool:
    """Whether `error` means that this thread's database connection is gone, rather than that a statement
    failed on a connection that still works (a lock timeout, SQLite's "database is locked")."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    raw = connection.connection
    if raw is None:
        return True  # connecting failed, or Django dropped the connection when the rollback failed
    if getattr(raw, "closed", False):
        return True  # psycopg marks a connection the server ended as closed
    if connection.in_atomic_block:
        return False  # a probe inside a failed transaction fails whatever the connection's state
    return not connection.is_usable()


def _summary(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _drop_connection() -> None:
    # Closing a connection the server has already ended may fail too: it is gone either way.
    with contextlib.suppress(DatabaseError):
        connection.close()


def wait_for_database(what: str, error: BaseException, stop: threading.Event | None = None) -> bool:
    """Drop this thread's broken connection and wait until the database accepts a new one; True then, or
    False as soon as the process is stopping (`stop`, else `stopping`). `what` names the waiter in the log."""
    stop = stop or stopping
    if stop.is_set():
        _drop_connection()
        return False  # already stopping: said so once, where the wait was given up
    logger.warning("%s lost the database connection (%s); reconnecting", what, _summary(error))
    began = reminded = time.monotonic()
    delay = FIRST_DELAY_S
    while True:
        _drop_connection()
        if stop.wait(random.uniform(delay / 2, delay)):  # noqa: S311 - jitter, not secrecy
            logger.warning("%s stops without the database", what)
            return False
        try:
            connection.ensure_connection()
        except (OperationalError, InterfaceError) as failure:
            delay = min(delay * 2, MAX_DELAY_S)
            if time.monotonic() - reminded >= REMIND_EVERY_S:
                reminded = time.monotonic()
                logger.warning(
                    "%s: still no database after %d s (%s)",
                    what,
                    reminded - began,
                    _summary(failure),
                )
            continue
        logger.warning("%s: database connection back after %.1f s", what, time.monotonic() - began)
        return True


def retrying(
    operation: Callable[[], T],
    *,
    what: str,
    setup: Callable[[], object] | None = None,
    stop: threading.Event | None = None,
) -> T:
    """Run `operation`; if it loses the connection, wait for the database, run `setup` (what the caller set
    on its connection, which a new one lacks) and run it again. Only for an operation that is safe to run
    twice (its first run may have reached the database before the connection broke) and that is not inside
    a transaction: a transaction that lost its connection is gone, so the caller must redo all of it."""
    reconnected = False
    while True:
        try:
            if reconnected and setup is not None:
                setup()
            return operation()
        except (OperationalError, InterfaceError) as error:
            if connection.in_atomic_block or not connection_lost(error):
                raise
            if not wait_for_database(what, error, stop):
                raise
            reconnected = True
