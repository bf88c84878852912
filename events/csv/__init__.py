"""The events app's CSV side: its models' columns and natural keys (columns.py, keys.py), numbers
as reports state them (quantities.py), the dataset layouts it imports (layouts/: UCDP GED, Oryx)
and exports (exports.py: ACLED, UCDP GED, HXL). register() hands them to the base CSV engines
(conflictdb.csvio) through conflictdb.registry; EventsConfig.ready() calls it.
"""


def register():
    """Fill the CSV registry stores with what the events app declares (once, from ready())."""
    from conflictdb.csvio import columns, exporting, keys, layouts
    from events.csv import columns as event_columns
    from events.csv import exports, quantities
    from events.csv import keys as event_keys
    from events.csv.layouts import oryx, ucdp_ged
    from events.models import Claim, Event

    columns.register(*event_columns.SPECS)
    columns.register_cell_group("quantity", columns.CellGroup(quantities.QUANTITY_FIELDS, quantities.read_quantity))
    keys.register_external_ids({columns.EVENT: Event, columns.CLAIM: Claim})
    keys.register_resolvers({
        columns.LOCATION: event_keys.location, columns.LOCATION_REF: event_keys.location,
        columns.ACTOR: event_keys.actor, columns.EQUIPMENT_TYPE: event_keys.equipment_type,
        columns.DISPLACEMENT: event_keys.displacement,
    })
    for module in (ucdp_ged, oryx):
        layouts.register(layouts.ImportLayout(module.NAME, module.apply, module.PERMISSIONS))
    for layout in exports.LAYOUTS:
        exporting.register_layout(layout)
