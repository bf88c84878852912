"""django-import-export resources for every model, built from conflictdb.csvio.columns.

`resource_for(model)` is a ModelResource whose fields are the CSV columns, foreign keys written
and read by natural key, with the natural key as `import_id_fields`. It is the library's own
import path, row by row (`Resource.import_data`). bench/bench_import.py measures it as the
baseline the engine is compared with, and tests use it. The admin's import screen does not: it is
conflictdb.csvio.admin_import.CsvImportAdminMixin, which hands the uploaded file to
conflictdb.csvio.importing, so the admin door gets the same all-or-nothing rule, natural keys,
batch and row provenance as the command line.
"""

from __future__ import annotations

from functools import cache

from import_export import fields, resources, widgets

from conflictdb.csvio import columns as c
from conflictdb.names import normalise_name

# The field a natural key of each kind is looked up by, for the library's ForeignKeyWidget.
_LOOKUP = {c.LOCATION: "name", c.LOCATION_REF: "pcode", c.ACTOR: "name", c.SOURCE: "name", c.DOCUMENT: "url",
           c.EQUIPMENT_TYPE: "name", c.EVENT: "external_id", c.CLAIM: "external_id"}


class AliasKeyWidget(widgets.ForeignKeyWidget):
    """Name or alias, compared by the normalised key (as keys.KeyResolver does)."""

    def get_queryset(self, value, row, *args, **kwargs):
        return self.model.objects.all()

    def clean(self, value, row=None, **kwargs):
        if not value:
            return None
        key = normalise_name(value)
        found = self.model.objects.filter(aliases__normalised=key).distinct()
        if found.count() == 1:
            return found.get()
        return super().clean(value, row, **kwargs)


@cache
def resource_for(model_or_name) -> type[resources.ModelResource]:
    spec = c.spec_for(model_or_name)
    model = spec.model
    declared = {}
    names = []
    for column in spec.columns:
        if column.key == c.DISPLACEMENT or "__" in column.path:
            continue  # compound keys: only the engine reads them
        names.append(column.name)
        if column.key:
            related = model._meta.get_field(column.field_name).related_model
            widget_class = AliasKeyWidget if column.key in (c.ACTOR, c.EQUIPMENT_TYPE) else widgets.ForeignKeyWidget
            declared[column.name] = fields.Field(attribute=column.field_name, column_name=column.name,
                                                 widget=widget_class(related, _LOOKUP[column.key]))
        else:
            declared[column.name] = fields.Field(attribute=column.path, column_name=column.name,
                                                 readonly=not column.importable)
    key_columns = [name for name in spec.natural_key if name in names]
    # A place is one field written as two cells: the id lookup uses the name cell only.
    key_columns = [name for name in key_columns if not name.endswith("_ref")]
    meta = type("Meta", (), {"model": model, "fields": tuple(names), "import_id_fields": tuple(key_columns),
                             "skip_unchanged": True, "report_skipped": True, "use_transactions": True})
    declared = {name: field for name, field in declared.items() if not name.endswith("_ref")}
    meta.fields = tuple(name for name in names if not name.endswith("_ref"))
    return type(f"{model.__name__}Resource", (resources.ModelResource,), {**declared, "Meta": meta})
