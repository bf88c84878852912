"""Grouped totals of what claims state — the domain rule behind the API's aggregate endpoints.

Rules (written down here, tested in tests/events/api/test_seed_data.py):
- A cell sums the low and the high figures of every matching figure. Figures are *claims*: the
  same deaths reported by two sources are summed twice, which is why each cell also says how
  many claims and how many independent sources stand behind it. Consensus figures per event
  (which de-duplicate) are a separate rule.
- A figure recorded as part of another (officers among the soldiers killed) is not added again:
  sums cover figures that are not `part_of` another; `parts` counts the others.
- Unknown is never zero: `sum_low` is null when no figure in the cell has a low; `sum_high` is
  null when any figure in the cell is open-ended or unknown ("more than 35", "dozens"), and
  `open_ended` counts those figures.
- Independent sources = distinct claimants: two documents (an original and its translation)
  relaying one claimant count once.
- A figure's date is its own date, else its claim's event start, else the claim's start date;
  its place is its own place (figures without a place fall in the null admin-area group).
"""

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, DateField, F, Q, Sum, When
from django.db.models.functions import Coalesce, Trunc

from events.models import Actor, EquipmentType, Location


def _date(prefix=""):
    return Coalesce(F(f"{prefix}date"), F(f"{prefix}claim__event__date_start"), F(f"{prefix}claim__date_start"),
                    output_field=DateField())


def _period(kind):
    return Trunc(_date(), kind, output_field=DateField())


def _admin(kind, level_field):
    # A place that *is* the area counts for itself; otherwise its derived admin1/admin2.
    return Case(When(place__kind=kind, then=F("place_id")), default=F(f"place__{level_field}_id"))


COMMON_DIMENSIONS = {
    "day": lambda: _period("day"),
    "week": lambda: _period("week"),
    "month": lambda: _period("month"),
    "year": lambda: _period("year"),
    "admin1": lambda: _admin(Location.Kind.GOVERNORATE, "admin1"),
    "admin2": lambda: _admin(Location.Kind.DISTRICT, "admin2"),
    "location": lambda: F("place_id"),
    "event_type": lambda: F("claim__event__event_type"),
}
CASUALTY_DIMENSIONS = {
    **COMMON_DIMENSIONS,
    "actor": lambda: F("affiliation_id"),
    "perpetrator": lambda: F("perpetrator_id"),
    "category": lambda: F("category"),
    "subgroup": lambda: F("subgroup"),
    "outcome": lambda: F("outcome"),
}
EQUIPMENT_DIMENSIONS = {
    **COMMON_DIMENSIONS,
    "type": lambda: F("equipment_type_id"),
    "category": lambda: F("equipment_type__category"),
    "status": lambda: F("status"),
    "actor": lambda: F("owner_id"),
    "captor": lambda: F("captor_id"),
}
# Dimensions whose values are ids, shown as {id, name, ...} records.
_LABELLED = {
    "admin1": (Location, ("id", "name", "pcode")),
    "admin2": (Location, ("id", "name", "pcode")),
    "location": (Location, ("id", "name", "pcode")),
    "actor": (Actor, ("id", "name")),
    "perpetrator": (Actor, ("id", "name")),
    "captor": (Actor, ("id", "name")),
    "type": (EquipmentType, ("id", "name", "category")),
}


def parse_group_by(value: str, allowed: dict) -> list[str]:
    names = [part.strip() for part in (value or "").split(",") if part.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise ValidationError(
            f"group_by must name one or more of: {', '.join(sorted(allowed))} (comma separated); got {value!r}."
        )
    return list(dict.fromkeys(names))


def _totals(queryset, group_by, dimensions):
    # Figures that are part of another are counted, not summed; equipment rows are all whole.
    whole = Q(part_of__isnull=True) if hasattr(queryset.model, "part_of") else Q(pk__isnull=False)
    keys = {name: dimensions[name]() for name in group_by}
    rows = (
        queryset.order_by()
        .values(**{f"_{name}": expression for name, expression in keys.items()})
        .annotate(
            sum_low=Sum("low", filter=whole),
            known_high=Sum("high", filter=whole),
            records=Count("id"),
            parts=Count("id", filter=~whole),
            open_ended=Count("id", filter=whole & Q(high__isnull=True)),
            unknown=Count("id", filter=whole & Q(low__isnull=True)),
            claims=Count("claim_id", distinct=True),
            independent_sources=Count("claim__claimant_id", distinct=True),
        )
        .order_by(*(f"_{name}" for name in group_by))
    )
    rows = list(rows)
    labels = _labels(rows, group_by)
    result = []
    for row in rows:
        cell = {name: labels.get(name, {}).get(row[f"_{name}"], row[f"_{name}"]) for name in group_by}
        cell.update(
            sum_low=row["sum_low"],
            sum_high=None if row["open_ended"] else row["known_high"],
            records=row["records"],
            parts=row["parts"],
            open_ended=row["open_ended"],
            unknown=row["unknown"],
            claims=row["claims"],
            independent_sources=row["independent_sources"],
        )
        result.append(cell)
    return result


def _labels(rows, group_by):
    labels = {}
    for name in group_by:
        if name not in _LABELLED:
            continue
        model, fields = _LABELLED[name]
        ids = {row[f"_{name}"] for row in rows} - {None}
        labels[name] = {record["id"]: record for record in model.objects.filter(id__in=ids).values(*fields)}
    return labels


def casualty_totals(figures, group_by):
    """Totals of casualty figures (a filtered CasualtyFigure queryset) per cell of `group_by`."""
    return _totals(figures, group_by, CASUALTY_DIMENSIONS)


def equipment_totals(losses, group_by):
    """Totals of equipment losses (a filtered EquipmentLoss queryset) per cell of `group_by`."""
    return _totals(losses, group_by, EQUIPMENT_DIMENSIONS)
