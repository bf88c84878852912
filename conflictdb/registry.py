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
    # model class → {field name: conflictdb.protection.Mask}
    "protected_fields": {},
    # model class → the model's grade declaration (conflictdb.grading)
    "graded_fields": {},
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
    # layout name (e.g. "acled") → an export layout class (conflictdb.csvio.exporting.register_layout)
    "export_layouts": {},
})
