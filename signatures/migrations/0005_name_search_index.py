"""On PostgreSQL, a trigram index so that searching signers by part of a name
stays fast at a million rows. Elsewhere (SQLite) there is nothing to do."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

# Matches the expression Django's icontains lookup produces.
INDEX = (
    "CREATE INDEX IF NOT EXISTS signature_name_trgm_idx ON signatures_signature "
    "USING gin ((UPPER(full_name::text)) gin_trgm_ops)"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(INDEX)
            # Statistics for the new expression, so the planner knows when to use it.
            schema_editor.execute("ANALYZE signatures_signature")
    except DatabaseError:
        # pg_trgm is a trusted extension, but a locked-down server may still
        # refuse it: name search then works, only slower.
        logger.warning("No trigram index for name search: pg_trgm unavailable")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS signature_name_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("signatures", "0004_organizers_group")]

    operations = [migrations.RunPython(create_index, drop_index)]
