"""The events app's CSV side: its models' columns and natural keys (columns.py, keys.py), the
"quantity" cell group (numbers as reported, read by events.quantities, the one reader), the
dataset layouts it imports (layouts/: UCDP GED, Oryx, ACLED and the flat casualty-figures and
equipment-losses layouts) and exports (exports.py: ACLED, UCDP GED,
HXL). register() hands them to the base CSV engines (conflictdb.csvio) through
conflictdb.registry; EventsConfig.ready() calls it.
"""

from conflictdb.csvio.values import CellError
from events.quantities import QUANTITY_PARTS, QuantityError, quantity_from_parts


def _read_quantity_cells(text: dict, columns: dict, choice) -> dict:
    """The import's "quantity" cell group: low / high / qualifier / wording as the file states them
    (`text`: field → cell, `columns`: field → header), read by the one quantity reader."""
    try:
        return quantity_from_parts(**text, labels=columns)
    except QuantityError as error:
        raise CellError(str(error), (columns.get(error.part, ""), error.text)) from error


def register():
    """Fill the CSV registry stores with what the events app declares (once, from ready())."""
    from conflictdb.csvio import columns, exporting, keys, layouts
    from events.csv import columns as event_columns
    from events.csv import exports
    from events.csv import keys as event_keys
    from events.csv.layouts import acled, flat_casualties, flat_equipment, oryx, ucdp_ged
    from events.models import Claim, Event

    columns.register(*event_columns.SPECS)
    columns.register_cell_group("quantity", columns.CellGroup(QUANTITY_PARTS, _read_quantity_cells))
    keys.register_external_ids({columns.EVENT: Event, columns.CLAIM: Claim})
    keys.register_resolvers({
        columns.LOCATION: event_keys.location, columns.LOCATION_REF: event_keys.location,
        columns.ACTOR: event_keys.actor, columns.EQUIPMENT_TYPE: event_keys.equipment_type,
        columns.DISPLACEMENT: event_keys.displacement,
    })
    for module in (ucdp_ged, oryx, acled, flat_casualties, flat_equipment):
        layouts.register(layouts.ImportLayout(module.NAME, module.apply, module.PERMISSIONS,
                                              getattr(module, "FIELDS", ())))
    for layout in exports.LAYOUTS:
        exporting.register_layout(layout)
