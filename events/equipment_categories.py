"""An equipment type's category read from its name ("T-72B3" → tank, "'Orlan-10' UAV" → drone),
for types an import must create (the Oryx and flat equipment-losses layouts): first match wins,
specific words before general ones, else "other"."""

import re

from events.models import EquipmentType

_CATEGORIES = (  # first match wins: specific words before general ones
    (r"\b(uav|drone|orlan|shahed|geran|lancet|bayraktar|zala|eleron|forpost|orion)\b", EquipmentType.Category.DRONE),
    (r"\b(helicopter|mi-\d+|ka-\d+)\b", EquipmentType.Category.HELICOPTER),
    (r"\b(aircraft|su-\d+|mig-\d+|tu-\d+|il-\d+|an-\d+|yak-\d+|l-39)\b", EquipmentType.Category.AIRCRAFT),
    (r"\b(tank|t-\d+\w*|leopard|abrams|challenger|pt-91)\b", EquipmentType.Category.TANK),
    (r"\b(bmp|bmd|bradley|cv90|marder|infantry fighting vehicle|ifv)\b", EquipmentType.Category.IFV),
    (r"\b(btr|mt-lb|apc|armoured personnel carrier|m113|stryker)\b", EquipmentType.Category.APC),
    (r"\b(mrl|rocket launcher|grad|uragan|smerch|tornado|himars|bm-\d+|tos-\d+)\b", EquipmentType.Category.MRL),
    (r"\b(howitzer|artillery|gun|mortar|msta|gvozdika|akatsiya|pion|caesar|m777|krab)\b",
     EquipmentType.Category.ARTILLERY),
    (r"\b(sam|air defence|air defense|buk|tor|pantsir|osa|strela|tunguska|s-300|s-400|patriot|iris-t)\b",
     EquipmentType.Category.AIR_DEFENCE),
    (r"\b(atgm|kornet|javelin|stugna|konkurs|metis)\b", EquipmentType.Category.ATGM),
    (r"\b(truck|jeep|car|vehicle|tractor|bus|ural|kamaz|gaz|uaz|tigr)\b", EquipmentType.Category.VEHICLE),
)


def category_of(system: str) -> str:
    lowered = system.lower()
    for pattern, category in _CATEGORIES:
        if re.search(pattern, lowered):
            return category
    return EquipmentType.Category.OTHER
