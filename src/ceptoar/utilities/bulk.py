"""Writing many rows without bringing them through Python: `INSERT INTO … SELECT …` from a queryset.

A publication writes thousands of rows (recipients, deliveries, follow-ups) that are all functions of rows
already in the database; building a model object for each one cost more than the database's own work. The
source is an ordinary queryset, so the filters that decide who gets what stay ORM code, tested as such.
"""

from __future__ import annotations

from django.db import connections, models, router
from django.db.models import Func, QuerySet, Value
from django.utils import timezone


class RandomUuid(Func):
    """A new random UUID per row, made by the database (a token nobody can guess)."""

    output_field = models.UUIDField()

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"RandomUuid has no SQL for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        return "gen_random_uuid()", []

    def as_sqlite(self, compiler, connection, **extra):
        # Django keeps UUIDs on SQLite as 32 hex digits.
        return "lower(hex(randomblob(16)))", []


def insert_from_select(model: type[models.Model], source: QuerySet, columns: dict) -> list[int]:
    """Insert one `model` row per row of `source`; returns the new primary keys, in insertion order.

    `columns` maps field names of `model` to expressions over `source` (F(), Value(), functions). Fields
    left out get their default (auto_now(_add) fields the current time), as `Model.objects.create` would;
    a required field with neither raises, naming it, before anything is written.
    """
    now = timezone.now()
    expressions = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        name = field.name
        if name in columns:
            expression = columns[name]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expression = Value(now, output_field=field)
        elif field.has_default() or field.null or field.get_default() is not None:
            # As Model.objects.create would: the default, else "" for text fields, else NULL.
            expression = Value(field.get_default(), output_field=field)
        else:
            raise ValueError(f"insert_from_select: no value for the required field {model.__name__}.{name}")
        expressions[field.column] = expression
    unknown = set(columns) - {field.name for field in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"insert_from_select: {model.__name__} has no field(s) {', '.join(sorted(unknown))}")

    aliases = {f"_insert_{index}": expression for index, expression in enumerate(expressions.values())}
    query = source.annotate(**aliases).values_list(*aliases)
    using = router.db_for_write(model)
    select_sql, params = query.query.get_compiler(using).as_sql()
    connection = connections[using]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in expressions)}) "
        f"{select_sql} RETURNING {quote(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def insert_unless_exists(instance: models.Model) -> bool:
    """Insert `instance` unless a row with the same unique key exists; True (and its pk set) if inserted.

    One statement (`INSERT … ON CONFLICT DO NOTHING RETURNING`), committed on its own outside a transaction:
    thousands of members confirming receipt at once each hold SQLite's single write lock only for that
    statement, and two confirming at the same moment need no lock between them, the key decides.
    """
    model = type(instance)
    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING "
        f"RETURNING {quote(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding, instance._state.db = False, using
    return True
