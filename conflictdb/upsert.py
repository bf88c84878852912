"""Idempotent writes shared by every door (admin, API, import, seed loader, commands): upsert."""

from django.core.exceptions import FieldDoesNotExist
from django.db import models


class WriteStatus(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "Unchanged"


def stored_lookup(model, lookup: dict) -> dict:
    """The natural key as the database stores it: a part left None (a column the file does not
    have) of a text field that is never NULL means '' — the value a record created without it
    holds — so a re-import without that column finds the record again instead of duplicating it."""
    result = dict(lookup)
    for name, value in lookup.items():
        if value is None and "__" not in name:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:  # a lookup such as claim__external_id: left as given
                continue
            if getattr(field, "concrete", False) and not field.null and field.empty_strings_allowed \
                    and not field.is_relation:
                result[name] = field.get_default()
    return result


def staged(model, lookup: dict, values: dict):
    """The record `upsert` would write, not saved: found by its natural key with `values` applied
    (or new), and whether saving it creates, updates or changes nothing. Returns (record, WriteStatus)."""
    lookup = stored_lookup(model, lookup)
    record = model.objects.filter(**lookup).first()
    if record is None:
        return model(**lookup, **values), WriteStatus.CREATED
    changed = False
    for field, value in values.items():
        current = getattr(record, field)
        if isinstance(current, models.Model) or isinstance(value, models.Model):
            current_id = getattr(record, model._meta.get_field(field).attname)
            differs = current_id != (value.pk if value is not None else None)
        else:
            differs = current != value
        if differs:
            setattr(record, field, value)
            changed = True
    return record, WriteStatus.UPDATED if changed else WriteStatus.UNCHANGED


def upsert(model, lookup: dict, values: dict):
    """Find a record by its natural key and make it carry `values`.

    Saves only when something differs, so repeating a load leaves versions and history
    untouched. Returns (record, WriteStatus).
    """
    record, status = staged(model, lookup, values)
    if status != WriteStatus.UNCHANGED:
        record.save()
    return record, status
