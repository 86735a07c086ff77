"""Indexes for the contact search and the leads' duplicate check, on PostgreSQL only (issue 7).

The contact search (the API's ``?search=``, the contact list's ``q``) is an OR of ``icontains``
over no., name, e-mail, phone and city (the list compares the no. with ``iexact``). On PostgreSQL
Django writes both as ``UPPER("col"::text) LIKE UPPER(%s)`` / ``= UPPER(%s)``, which no B-tree
index can serve for a pattern with a leading ``%``: every search read all contacts. A trigram GIN
index on exactly that expression serves ``LIKE '%…%'`` (and, since pg_trgm 1.6, ``=``), and with
one on each searched column the planner combines them in a ``BitmapOr``.

The duplicate check of ``leads.services.find_duplicates`` filters on ``LOWER("email") IN (…)``:
a B-tree index on that expression.

SQLite (``make run``, the second test pass) needs none of this; the migration does nothing there.
Model state is unchanged (``makemigrations --check`` stays clean). Reversing drops the indexes
and keeps the ``pg_trgm`` extension, which other objects may use and which may have been there
before.
"""

from django.db import migrations

# (name, indexed expression, access method)
INDEXES = [
    ("contact_no_upper_trgm_idx", 'UPPER(("no")::text) gin_trgm_ops', "gin"),
    ("contact_name_upper_trgm_idx", 'UPPER(("name")::text) gin_trgm_ops', "gin"),
    ("contact_email_upper_trgm_idx", 'UPPER(("email")::text) gin_trgm_ops', "gin"),
    ("contact_phone_upper_trgm_idx", 'UPPER(("phone")::text) gin_trgm_ops', "gin"),
    ("contact_city_upper_trgm_idx", 'UPPER(("city")::text) gin_trgm_ops', "gin"),
    ("contact_email_lower_idx", 'LOWER("email")', "btree"),
]
TABLE = "contacts_contact"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression, method in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{TABLE}" USING {method} ({expression})')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _expression, _method in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
