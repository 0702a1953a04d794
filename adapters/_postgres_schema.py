"""The tables of PostgresSessionStore: their SQL, their migrations, and a record as a row.

A record is one row of ``<schema>.<table_prefix>sessions``: the fields worth querying as
columns, and ``data``, the whole record as cattrs unstructures it, so that fields a newer
record gains flow through with no migration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import cattrs

from codex_local_sdk.errors import SessionStoreCorruptError
from codex_local_sdk.sessions import SessionRecord

if TYPE_CHECKING:
    from psycopg import sql

_COLUMNS = (
    "session_id",
    "created_at",
    "updated_at",
    "last_turn_status",
    "turn_count",
    "success_count",
    "failure_count",
)
# Statement templates: {sessions} is filled with the table's quoted identifier.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE {sessions} (
            name text PRIMARY KEY,
            session_id text NOT NULL DEFAULT '',
            created_at double precision NOT NULL DEFAULT 0,
            updated_at double precision NOT NULL DEFAULT 0,
            last_turn_status text,
            turn_count bigint NOT NULL DEFAULT 0,
            success_count bigint NOT NULL DEFAULT 0,
            failure_count bigint NOT NULL DEFAULT 0,
            data json NOT NULL DEFAULT '{{}}'
        )""",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)
"""The table layout this code makes, and the newest it reads: one version per migration."""
"""The statements of each version, from 1."""
_SELECT = "SELECT data, " + ", ".join(_COLUMNS) + " FROM {sessions}"
_UPDATE = "UPDATE {sessions} SET data = %s, " + ", ".join(f"{c} = %s" for c in _COLUMNS) + " WHERE name = %s"

_converter = cattrs.Converter(forbid_extra_keys=False)


@attrs.frozen
class Statements:
    """The store's SQL, its table names filled in as quoted identifiers; values are ``%s``."""

    migrations: list[list[sql.Composed]]
    select_one: sql.Composed
    select_for_update: sql.Composed
    select_all: sql.Composed
    select_ids: sql.Composed
    insert_placeholder: sql.Composed
    update: sql.Composed
    delete: sql.Composed

    @classmethod
    def for_tables(cls, schema: str, prefix: str) -> Statements:
        from psycopg import sql

        names = {"sessions": sql.Identifier(schema, f"{prefix}sessions")}

        def compose(template: str) -> sql.Composed:
            return sql.SQL(template).format(**names)

        return cls(
            migrations=[[compose(statement) for statement in version] for version in _MIGRATIONS],
            select_one=compose(_SELECT + " WHERE name = %s"),
            select_for_update=compose(_SELECT + " WHERE name = %s FOR UPDATE"),
            select_all=compose("SELECT name, " + _SELECT.removeprefix("SELECT ")),
            select_ids=compose("SELECT name, session_id FROM {sessions}"),
            insert_placeholder=compose(
                "INSERT INTO {sessions} (name) VALUES (%s) ON CONFLICT (name) DO NOTHING RETURNING 1"
            ),
            update=compose(_UPDATE),
            delete=compose("DELETE FROM {sessions} WHERE name = %s"),
        )


def row_of(record: SessionRecord) -> list[Any]:
    """The ``data`` and column values of ``record``, in the order of ``Statements.update``."""
    from psycopg.types.json import Json

    raw = _converter.unstructure(record)
    return [Json(raw), *(raw[column] for column in _COLUMNS)]


def record_of(name: str, row: tuple[Any, ...]) -> SessionRecord:
    """The record in a row of the ``select_*`` statements (``data`` first, then the columns)."""
    data, *columns = row
    try:
        return _converter.structure({**data, **dict(zip(_COLUMNS, columns, strict=True))}, SessionRecord)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as exc:
        raise SessionStoreCorruptError(
            f"the session record under {name!r} does not match the schema ({exc}); it was left untouched"
        ) from None
