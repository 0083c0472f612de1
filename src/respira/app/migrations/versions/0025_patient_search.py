"""patients: search index and duplicate statements

The registry's search index, for accent- and case-insensitive substring and fuzzy
search at the size of a busy registry, and what the duplicate check looks candidates
up by:

- ``patients.name_key``: first and last name in Latin letters reduced to their
  spelling skeleton (filled here for the existing patients);
- indexes on date of birth, email and phone (the duplicate check's candidates);
- on PostgreSQL the ``pg_trgm`` extension and trigram GIN indexes on ``search_key``
  and ``name_key`` (they serve ``LIKE '%…%'`` and the similarity operators);
- on SQLite an FTS5 table with the trigram tokenizer (SQLite 3.34 or later) over the
  two keys, an external-content table of ``patients`` kept in step by triggers.

The SQLite triggers live on ``patients``: a later migration that rebuilds that table
(``batch_alter_table`` with a copy) must create them again.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# A copy of respira.patients.matching.skeleton as written with this migration (a
# migration never imports the application, so that it never changes with it).
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ә": "a", "ғ": "g", "қ": "k",
    "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
}  # fmt: skip
_LATIN_EXTRA = {
    "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
    "ħ": "h", "ŀ": "l", "ŧ": "t",
}  # fmt: skip
_VARIANTS = tuple(
    (re.compile(p), r)
    for p, r in (
        ("tsch", "ch"), ("sch", "sh"), ("ae", "a"), ("oe", "o"), ("ue", "u"), ("kh", "h"),
        ("ph", "f"), ("ck", "k"), ("x", "ks"), ("w", "v"),
        ("(?<=[bcdfgklmnprstvz])yo", "e"), ("y", "i"), ("j", "i"),
    )
)  # fmt: skip


def _skeleton(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFC", text).casefold():
        if ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch in _LATIN_EXTRA:
            out.append(_LATIN_EXTRA[ch])
        else:
            out.append(
                "".join(
                    c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
                )
            )
    words = []
    for word in re.split(r"[^a-z0-9]+", "".join(out).casefold()):
        for pattern, replacement in _VARIANTS:
            word = pattern.sub(replacement, word)
        word = re.sub(r"(.)\1+", r"\1", word)
        if word:
            words.append(word)
    return " ".join(words)


_SQLITE_TRIGGERS = {
    "patient_search_insert": """
        CREATE TRIGGER patient_search_insert AFTER INSERT ON patients BEGIN
          INSERT INTO patient_search (rowid, search_key, name_key)
          VALUES (new.id, new.search_key, new.name_key);
        END""",
    "patient_search_delete": """
        CREATE TRIGGER patient_search_delete AFTER DELETE ON patients BEGIN
          INSERT INTO patient_search (patient_search, rowid, search_key, name_key)
          VALUES ('delete', old.id, old.search_key, old.name_key);
        END""",
    "patient_search_update": """
        CREATE TRIGGER patient_search_update AFTER UPDATE OF search_key, name_key
        ON patients BEGIN
          INSERT INTO patient_search (patient_search, rowid, search_key, name_key)
          VALUES ('delete', old.id, old.search_key, old.name_key);
          INSERT INTO patient_search (rowid, search_key, name_key)
          VALUES (new.id, new.search_key, new.name_key);
        END""",
}


def upgrade() -> None:
    op.add_column("patients", sa.Column("name_key", sa.String(length=400), nullable=True))
    op.create_index("ix_patients_date_of_birth", "patients", ["date_of_birth"])
    op.create_index("ix_patients_email_lower", "patients", [sa.text("lower(email)")])
    op.create_index("ix_patients_phone", "patients", ["phone"])

    conn = op.get_bind()
    patients = sa.table(
        "patients",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("name_key", sa.String),
    )
    update = (
        patients.update()
        .where(patients.c.id == sa.bindparam("pid"))
        .values(name_key=sa.bindparam("key"))
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(patients.c.id, patients.c.first_name, patients.c.last_name)
            .where(patients.c.id > last)
            .order_by(patients.c.id)
            .limit(5000)
        ).all()
        if not rows:
            break
        conn.execute(
            update,
            [{"pid": r.id, "key": _skeleton(f"{r.first_name} {r.last_name}")} for r in rows],
        )
        last = rows[-1].id

    if conn.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in ("search_key", "name_key"):
            op.execute(
                f"CREATE INDEX ix_patients_{column}_trgm ON patients "
                f"USING gin ({column} gin_trgm_ops)"
            )
    elif conn.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE patient_search USING fts5(search_key, name_key, "
            "content='patients', content_rowid='id', tokenize='trigram')"
        )
        for ddl in _SQLITE_TRIGGERS.values():
            op.execute(ddl)
        op.execute("INSERT INTO patient_search (patient_search) VALUES ('rebuild')")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for column in ("search_key", "name_key"):
            op.execute(f"DROP INDEX IF EXISTS ix_patients_{column}_trgm")
        # The pg_trgm extension stays: other databases' objects may use it.
    elif conn.dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS patient_search")
    op.drop_index("ix_patients_phone", table_name="patients")
    op.drop_index("ix_patients_email_lower", table_name="patients")
    op.drop_index("ix_patients_date_of_birth", table_name="patients")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("name_key")
