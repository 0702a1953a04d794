"""The tables of PostgresThreadArchive: their migrations and the statements that read and
write them (the layout is drawn in ``adapters/postgres_thread_archive.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psycopg import sql

VERSIONS = "thread_archive_version"
"""The version table's name after the prefix (the session store's is ``schema_version``)."""

_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE {leases} (
            thread_id text PRIMARY KEY,
            token bigint NOT NULL,
            holder text NOT NULL,
            expires_at timestamptz NOT NULL
        )""",
        """CREATE TABLE {threads} (
            thread_id text PRIMARY KEY,
            path text NOT NULL,
            data bytea NOT NULL,
            size bigint NOT NULL,
            digest bytea NOT NULL,
            token bigint NOT NULL,
            saved_at timestamptz NOT NULL DEFAULT now()
        )""",
    ),
)
"""The statements of each version, from 1; ``{leases}`` and ``{threads}`` are the tables."""

_STATEMENTS = {
    # Takes a free or expired lease, or a thread's first: one row back, else none.
    "acquire": """INSERT INTO {leases} AS lease (thread_id, token, holder, expires_at)
        VALUES (%(thread)s, 1, %(holder)s, now() + make_interval(secs => %(seconds)s))
        ON CONFLICT (thread_id) DO UPDATE
        SET token = lease.token + 1, holder = excluded.holder, expires_at = excluded.expires_at
        WHERE lease.expires_at <= now()
        RETURNING token""",
    "renew": """UPDATE {leases} SET expires_at = now() + make_interval(secs => %(seconds)s)
        WHERE thread_id = %(thread)s AND token = %(token)s AND expires_at <> '-infinity' RETURNING 1""",
    "release": """UPDATE {leases} SET expires_at = '-infinity'
        WHERE thread_id = %(thread)s AND token = %(token)s""",
    "lock_lease": """SELECT token = %(token)s AND expires_at > now() FROM {leases}
        WHERE thread_id = %(thread)s FOR UPDATE""",
    "summary": "SELECT path, size, digest FROM {threads} WHERE thread_id = %(thread)s",
    "append": """UPDATE {threads} SET data = data || %(data)s, size = %(size)s, digest = %(digest)s,
        token = %(token)s, saved_at = now() WHERE thread_id = %(thread)s""",
    "put": """INSERT INTO {threads} (thread_id, path, data, size, digest, token)
        VALUES (%(thread)s, %(path)s, %(data)s, %(size)s, %(digest)s, %(token)s)
        ON CONFLICT (thread_id) DO UPDATE SET path = excluded.path, data = excluded.data,
        size = excluded.size, digest = excluded.digest, token = excluded.token, saved_at = now()""",
    "fetch": "SELECT path, data, false FROM {threads} WHERE thread_id = %(thread)s",
    # The rest of the archived rollout after a local copy of its first n bytes, else all of it.
    "fetch_after": """SELECT path, CASE WHEN appends THEN substring(data FROM %(n)s::integer + 1)
        ELSE data END, appends
        FROM (SELECT path, data, size >= %(n)s
            AND sha256(substring(data FROM 1 FOR %(n)s::integer)) = %(digest)s AS appends
            FROM {threads} WHERE thread_id = %(thread)s) AS archived""",
    "threads": "SELECT thread_id FROM {threads} ORDER BY thread_id",
    "delete": "DELETE FROM {threads} WHERE thread_id = %(thread)s RETURNING 1",
}

SCHEMA_VERSION = len(_MIGRATIONS)
"""The table layout this code makes, and the newest it reads."""


def statements(schema: str, prefix: str) -> tuple[dict[str, sql.Composed], list[list[sql.Composed]]]:
    """The archive's statements by name, and its migrations, with the tables of ``prefix`` in
    ``schema`` filled in as quoted identifiers; values are parameters."""
    from psycopg import sql

    names = {
        "leases": sql.Identifier(schema, f"{prefix}thread_leases"),
        "threads": sql.Identifier(schema, f"{prefix}threads"),
    }

    def compose(template: str) -> sql.Composed:
        return sql.SQL(template).format(**names)

    return (
        {name: compose(template) for name, template in _STATEMENTS.items()},
        [[compose(template) for template in version] for version in _MIGRATIONS],
    )
