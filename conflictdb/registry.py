"""The registry: what the apps tell the base about their models.

The base package (`conflictdb`) never imports an app. Whatever it needs to know about the
domain — which fields are protected, which are graded, which columns a model has in a CSV file,
which dataset layouts exist, which apps hold the domain models — the apps declare (on their
models, or in their own modules) and register here in their AppConfig.ready(). The base reads
these stores at run time. Modelled on NetBox's netbox/registry.py: a dict whose stores are fixed
when the project starts, so a typo in a store's name fails loudly instead of making a new one.
"""

from __future__ import annotations


class Registry(dict):
    """A dict of named stores. Stores are filled, never replaced or added to at run time."""

    def __getitem__(self, key):
        try:
            return super().__getitem__(key)
        except KeyError as error:
            raise KeyError(f"Unknown registry store {key!r}; the stores are: {', '.join(self)}.") from error

    def __setitem__(self, key, value):
        raise TypeError("Registry stores cannot be replaced; fill the store instead.")

    def __delitem__(self, key):
        raise TypeError("Registry stores cannot be removed.")


registry = Registry({
    # App labels whose models are the domain (roles give their permissions to the groups).
    "domain_apps": [],
    # model class → {field name: conflictdb.protection.Mask}: the model's PROTECTED_FIELDS.
    "protected_fields": {},
    # model class → the flag path (e.g. "source__protected") of its records hidden whole from
    # users who may not see protected sources: the model's PROTECTED_ROWS (conflictdb.protection).
    "protected_rows": {},
    # model class → its conflictdb.grading.Grade: the model's GRADED_FIELD.
    "graded_fields": {},
    # model class → function(record, to_status) → why the record may not take that status on its
    # evidence, or None (conflictdb.verification.register_evidence; e.g. a claim is corroborated
    # only with two independent sources, events.consensus)
    "verification_evidence": {},
    # model name (e.g. "casualtyfigure") → its CSV spec (conflictdb.csvio.columns.ModelSpec)
    "csv_models": {},
    # natural-key kind (e.g. "actor") → function(resolver, value) → id; the location kinds take
    # (resolver, name, ref, within) (conflictdb.csvio.keys.KeyResolver calls them)
    "csv_key_resolvers": {},
    # natural-key kind named by one model's external_id (e.g. "claim") → that model: loaded many
    # at a time (conflictdb.csvio.keys.KeyResolver.prefetch)
    "csv_external_id_models": {},
    # group name (e.g. "quantity") → fields an import reads together (conflictdb.csvio.columns.CellGroup)
    "csv_cell_groups": {},
    # layout name (e.g. "ucdp-ged") → an import layout (conflictdb.csvio.layouts.ImportLayout)
    "import_layouts": {},
    # model class → (function(value, user) → queryset of the records `value` names, hint): how a
    # filter on a foreign key to that model reads a name (conflictdb.filtersets.NamedFilter).
    # `user` is the reader: a name they may not see never matches.
    "name_resolvers": {},
    # layout name (e.g. "acled") → an export layout class (conflictdb.csvio.exporting.register_layout)
    "export_layouts": {},
})


def register_domain_app(app_config) -> None:
    """Register an app as domain: its label, and what its models declare for the base —
    PROTECTED_FIELDS, PROTECTED_ROWS (conflictdb.protection), GRADED_FIELD (conflictdb.grading).
    Called from the app's AppConfig.ready()."""
    if app_config.label not in registry["domain_apps"]:
        registry["domain_apps"].append(app_config.label)
    for model in app_config.get_models():
        if (protected := getattr(model, "PROTECTED_FIELDS", None)) is not None:
            registry["protected_fields"][model] = dict(protected)
        if (rows := getattr(model, "PROTECTED_ROWS", None)) is not None:
            registry["protected_rows"][model] = rows
        if (grade := getattr(model, "GRADED_FIELD", None)) is not None:
            registry["graded_fields"][model] = grade
