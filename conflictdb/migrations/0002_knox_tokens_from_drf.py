"""API tokens move from DRF's authtoken (the key in plain text, no expiry) to django-rest-knox (a
digest, an expiry). Every old token becomes a knox token carrying the digest of the same key, so a
script that still sends its old key keeps working until the new expiry (settings.API_TOKEN_TTL
from this migration on); then the old table, with its plain keys, is dropped.

rest_framework.authtoken is no longer installed, so its table is read with plain SQL, and only
where it exists: a fresh database never had it.
"""

from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"


def convert_drf_tokens(token_model, connection):
    """Copy every row of DRF's token table into `token_model` (knox's AuthToken) as a digest, then
    drop the old table. Returns how many tokens were converted; 0 where there is no old table."""
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    if OLD_TABLE not in connection.introspection.table_names():
        return 0
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('key')}, {quote('created')}, {quote('user_id')} FROM {quote(OLD_TABLE)}")
        rows = cursor.fetchall()
    expiry = timezone.now() + settings.API_TOKEN_TTL
    tokens = token_model.objects.using(connection.alias)
    for key, created, user_id in rows:
        token = tokens.create(digest=hash_token(key), token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH],
                              user_id=user_id, expiry=expiry)
        if isinstance(created, str):  # SQLite hands back text
            created = parse_datetime(created)
        if created is not None:  # keep when it was made (created is auto_now_add)
            if timezone.is_naive(created):
                created = timezone.make_aware(created, dt_timezone.utc)
            tokens.filter(pk=token.pk).update(created=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {quote(OLD_TABLE)}")
        # Forget the app's migrations too, so that installing it again would create its table.
        cursor.execute(f"DELETE FROM {quote('django_migrations')} WHERE app = %s", ["authtoken"])
    return len(rows)


def forwards(apps, schema_editor):
    convert_drf_tokens(apps.get_model("knox", "AuthToken"), schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("conflictdb", "0001_audit_tables_from_sources"),
        ("knox", "0009_extend_authtoken_field"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # Not reversible: the plain keys are gone (that is the point), so there is nothing to go back to.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
