"""Grouped totals of what claims state — the domain rule behind the API's aggregate endpoints
(and their CSV). Two bases; the methodology page (docs/methodology.md, "Totals") explains them
for researchers and its worked examples run in the test suite (tests/docs/).

Both bases:
- Filters are those of the model's list endpoint; they choose which figures enter.
- A figure's date is its own date, else its claim's event start, else the claim's start date;
  its place is its own place (figures without a place fall in the null admin-area group).
- Unknown is never zero: `sum_low` is null when nothing in the cell has a low; `sum_high` is
  null when anything in the cell is open-ended or unknown ("more than 35", "dozens"), and
  `open_ended` counts those.
- Independent sources are derivation-aware: the claims behind the cell are joined into source
  groups by events.consensus's independence rule (same original document through
  `derived_from`, or same claimant); `independent_sources` = the number of groups.
- `explain` lists the claims and claimants behind each cell (claimants as the reader may see
  them: conflictdb.protection).

basis=claims (the default, what the endpoint always returned): the sum of what claims say.
- A cell sums the low and the high figures of every matching figure: the same deaths reported by
  two sources are summed twice (`claims` and `independent_sources` say how many stand behind it).
- A figure recorded as part of another (`part_of`: officers among the soldiers killed) is not
  added again when its whole — or a larger figure above it — is in the same cell; `parts` counts
  those. A part whose whole was filtered out or fell in another cell is summed (the 14 civilians
  of a mixed "27 people" count in category=civilian).

basis=consensus (UCDP-style; casualties only): one number per event and figure key.
- The matching figures name event figures: (event, party, category, subgroup, outcome), each
  with its consensus low / best / high (ConsensusFigure, events.consensus). A cell sums the
  consensus of each event figure once, however many claims (republications, translations, other
  outlets) stated it; figures of claims without an event have no consensus (`without_event`).
- An event figure recorded as part of another of the same event (a claim's `part_of`: the 14
  civilians among the 27 killed) is not added again where that one is in the cell (`parts`);
  where it is not (category=civilian), it is summed.
- An event figure whose claims put it in several cells (another day, place or perpetrator)
  counts once, in the cell of its earliest-recorded matching figure.
- An event figure none of whose claims the consensus could use (retracted, false, denials,
  improbable, unreliable claimant) is not summed (`excluded`).
- Inclusion (`Claim.includes_events`, a daily toll that contains the day's incidents): an event
  figure of an included event is not added again (`included`) where a figure of the including
  claim's event that covers it is counted in the same cell — same outcome, and the same party,
  category and subgroup unless the including figure leaves them open (no party, category
  unknown, no subgroup), followed through inclusions of inclusions.
- `claims` counts the claims the consensus used, `independent_sources` their source groups.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Case, Count, DateField, F, Min, Q, Sum, When
from django.db.models.functions import Coalesce, Trunc

from conflictdb import bulk, protection
from events import consensus
from events.models import Actor, CasualtyFigure, Claim, ClaimInclusion, ConsensusFigure, EquipmentType, Location
from sources.models import Source

CLAIMS, CONSENSUS = "claims", "consensus"
BASES = (CLAIMS, CONSENSUS)
CASUALTY_BASES = BASES
EQUIPMENT_BASES = (CLAIMS,)  # consensus figures are worked out per event for casualty figures only
# The default stays what the endpoint always returned (scripts written against it keep their
# numbers); researchers who want deduplicated totals ask for basis=consensus.
DEFAULT_BASIS = CLAIMS


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


def _key_names(group_by):
    return [f"_{name}" for name in group_by]


def _keys(group_by, dimensions):
    return {f"_{name}": dimensions[name]() for name in group_by}


def _claim_totals(queryset, group_by, dimensions):
    """basis=claims: the cells of the sums of what the claims say, keyed by their dimension values."""
    has_parts = hasattr(queryset.model, "part_of")
    whole = Q(part_of__isnull=True) if has_parts else Q(pk__isnull=False)
    keys, names = _keys(group_by, dimensions), _key_names(group_by)
    rows = (
        queryset.order_by()
        .values(**keys)
        .annotate(
            sum_low=Sum("low", filter=whole),
            known_high=Sum("high", filter=whole),
            records=Count("id"),
            open_ended=Count("id", filter=whole & Q(high__isnull=True)),
            unknown=Count("id", filter=whole & Q(low__isnull=True)),
            claims=Count("claim_id", distinct=True),
        )
        .order_by(*names)
    )
    cells = {}
    for row in rows:
        cells[tuple(row[name] for name in names)] = {
            "sum_low": row["sum_low"], "known_high": row["known_high"], "records": row["records"], "parts": 0,
            "open_ended": row["open_ended"], "unknown": row["unknown"], "claims": row["claims"]}
    if has_parts:
        _add_parts(queryset, keys, names, cells)
    return cells


def _add_parts(queryset, keys, names, cells):
    """Parts are summed unless a figure they are part of (their whole, or one above it) is in
    their own cell. Parts are few: they are read here, not in the GROUP BY."""
    parts = list(queryset.order_by().annotate(**keys).filter(part_of__isnull=False)
                 .values_list("pk", "part_of_id", "low", "high", *names))
    if not parts:
        return
    above, todo = {}, {row[1] for row in parts}
    while todo:  # the part_of chains, however deep (figures outside the filter included)
        rows = [row for chunk in _chunks(todo)
                for row in queryset.model.objects.filter(pk__in=chunk).values_list("pk", "part_of_id")]
        above.update(rows)
        todo = {parent for _, parent in rows if parent is not None and parent not in above}
    in_cell = {pk: tuple(cell) for chunk in _chunks(above) for pk, *cell in
               queryset.order_by().annotate(**keys).filter(pk__in=chunk).values_list("pk", *names)}
    for pk, parent, low, high, *cell in parts:
        cell, skipped, seen = tuple(cell), False, {pk}
        while parent is not None and parent not in seen:
            if in_cell.get(parent) == cell:
                skipped = True
                break
            seen.add(parent)
            parent = above.get(parent)
        totals = cells[cell]
        if skipped:
            totals["parts"] += 1
            continue
        if low is not None:
            totals["sum_low"] = (totals["sum_low"] or 0) + low
        else:
            totals["unknown"] += 1
        if high is not None:
            totals["known_high"] = (totals["known_high"] or 0) + high
        else:
            totals["open_ended"] += 1


def _claim_groups(queryset, keys, names):
    """cell → {claim id: (document id, claimant id)} of the claims behind each cell."""
    behind = defaultdict(dict)
    for *cell, claim, document, claimant in (queryset.order_by().annotate(**keys)
                                             .values_list(*names, "claim_id", "claim__document_id",
                                                          "claim__claimant_id").distinct()):
        behind[tuple(cell)][claim] = (document, claimant)
    return behind


def _independent_sources(claims: dict, roots: dict) -> int:
    """Source groups among these claims ({id: (document, claimant)}), by events.consensus's rule."""
    return consensus.count_source_groups(claims.values(), roots)


def _roots(behind):
    return consensus.original_documents({document for claims in behind.values() for document, _ in claims.values()})


_CHUNK = 5000  # ids per IN (...) list: under SQLite's variable limit


def _chunks(ids):
    ids = sorted(ids)
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _claimants(user, claimant_ids):
    """id → the claimant as this reader may see it (conflictdb.protection)."""
    return {pk: {"id": pk, "name": protection.source_name(user, name, protected, label)}
            for chunk in _chunks(claimant_ids) for pk, name, protected, label in
            Source.objects.filter(pk__in=chunk).values_list("pk", "name", "protected", "public_label")}


def _explained(claims: dict, claimants: dict) -> dict:
    return {"claims": sorted(claims),
            "claimants": sorted((claimants[c] for c in {c for _, c in claims.values()} if c in claimants),
                                key=lambda item: item["id"])}


def _claims_basis(queryset, group_by, dimensions, explain, user):
    keys, names = _keys(group_by, dimensions), _key_names(group_by)
    cells = _claim_totals(queryset, group_by, dimensions)
    behind = _claim_groups(queryset, keys, names)
    roots = _roots(behind)
    claimants = _claimants(user, {c for claims in behind.values() for _, c in claims.values()}) if explain else {}
    result = []
    for cell, totals in cells.items():
        row = {
            "sum_low": totals["sum_low"],
            "sum_high": None if totals["open_ended"] else totals["known_high"],
            "records": totals["records"],
            "parts": totals["parts"],
            "open_ended": totals["open_ended"],
            "unknown": totals["unknown"],
            "claims": totals["claims"],
            "independent_sources": _independent_sources(behind.get(cell, {}), roots),
        }
        if explain:
            row["explain"] = _explained(behind.get(cell, {}), claimants)
        result.append((cell, row))
    return result


# --- basis=consensus --------------------------------------------------------------------------------
#
# The bulk of a consensus total is one SQL statement (_CONSENSUS_SQL) over the filtered figures and
# the consensus table: where each event figure is placed, whether it is a part of another in its
# cell, whether the consensus could use a claim of it, the cell sums and counts, and the documents
# and claimants behind the cell. Event figures of events with inclusions (rare), and every event
# figure with `explain`, come back one by one and go through _consensus_cell in Python, which
# knows the inclusion rule and names each figure's state.

_PAIR_FIELDS = {"_ev": F("claim__event_id"), "_aff": F("affiliation_id"), "_cat": F("category"),
                "_sub": F("subgroup"), "_out": F("outcome")}
# Affiliation 0 stands for none (ids start at 1), so keys compare with = and hash joins work.
_KEY_OF = {"aff": "COALESCE({t}.affiliation_id, 0)", "cat": "{t}.category", "sub": "{t}.subgroup",
           "out": "{t}.outcome"}
_CELL, _SPECIAL_PAIR, _SOURCE = 0, 1, 2  # the kinds of rows the statement returns


def _same_key(a, b, a_prefix="", b_prefix=""):
    return " AND ".join(f"{a}.{a_prefix}{k} = {b}.{b_prefix}{k}" for k in _KEY_OF)


def _json_parts(vendor):
    """(does the consensus row use a claim, FROM items over its basis entries, an entry's claim, is it used)."""
    if vendor == "postgresql":
        return ("""cf.basis @> '[{"used": true}]'""", "CROSS JOIN LATERAL jsonb_array_elements(cf.basis) x",
                "(x->>'claim')::bigint", "(x->>'used')::boolean")
    return ("EXISTS (SELECT 1 FROM json_each(cf.basis) x WHERE json_extract(x.value, '$.used'))",
            "JOIN json_each(cf.basis) x", "json_extract(x.value, '$.claim')", "json_extract(x.value, '$.used')")


def _consensus_sql(inner, names, vendor, quote, everything_special):
    """The one statement of a consensus total. `inner` groups the filtered figures by event figure
    and cell (columns _ev … _out, the cell's, first = the earliest figure id, n)."""
    figure, claim, inclusion, consensus_table = (quote(model._meta.db_table) for model in (
        CasualtyFigure, Claim, ClaimInclusion, ConsensusFigure))
    cell_columns = ", ".join(quote(name) for name in names)
    used, expand, entry_claim, entry_used = _json_parts(vendor)
    part_key = ", ".join(f"{_KEY_OF[k].format(t='pf')} AS {k}" for k in _KEY_OF)
    whole_key = ", ".join(f"{_KEY_OF[k].format(t='w')} AS w{k}" for k in _KEY_OF)
    special = "1 = 1" if everything_special else "p.ev IN (SELECT ev FROM involved)"
    pad = lambda n: ", ".join(["NULL"] * n)  # noqa: E731
    dims = len(names)
    return f"""
WITH RECURSIVE
g AS ({inner}),
gc AS MATERIALIZED (SELECT g.*, DENSE_RANK() OVER (ORDER BY {cell_columns}) AS cell FROM g),
placed AS MATERIALIZED (
    SELECT ev, aff, cat, sub, out, cell FROM (
        SELECT "_ev" AS ev, COALESCE("_aff", 0) AS aff, "_cat" AS cat, COALESCE("_sub", '') AS sub, "_out" AS out,
               cell, ROW_NUMBER() OVER (PARTITION BY "_ev", "_aff", "_cat", "_sub", "_out" ORDER BY "first") AS rn
        FROM gc WHERE "_ev" IS NOT NULL) ranked
    WHERE rn = 1),
edges AS (
    SELECT DISTINCT c.event_id AS ev, {part_key}, {whole_key}
    FROM {figure} pf JOIN {claim} c ON c.id = pf.claim_id JOIN {figure} w ON w.id = pf.part_of_id
    WHERE c.event_id IN (SELECT ev FROM placed)),
reach AS (
    SELECT ev, aff, cat, sub, out, waff, wcat, wsub, wout FROM edges
    UNION
    SELECT r.ev, r.aff, r.cat, r.sub, r.out, e.waff, e.wcat, e.wsub, e.wout
    FROM reach r JOIN edges e ON e.ev = r.ev AND {_same_key('e', 'r', '', 'w')}),
parts AS (  -- event figures with a whole (or one above it) placed in their cell
    SELECT DISTINCT r.ev, r.aff, r.cat, r.sub, r.out, w.cell
    FROM reach r JOIN placed w ON w.ev = r.ev AND {_same_key('w', 'r', '', 'w')}
    WHERE NOT ({_same_key('r', 'r', 'w')})),
involved AS (
    SELECT c.event_id AS ev FROM {inclusion} ci JOIN {claim} c ON c.id = ci.claim_id
    UNION SELECT ci.event_id FROM {inclusion} ci),
state AS MATERIALIZED (
    SELECT p.ev, p.aff, p.cat, p.sub, p.out, p.cell, cf.id AS cf_id, cf.low, cf.best, cf.high,
           CASE WHEN cf.conflicting THEN 1 ELSE 0 END AS conflicting,
           CASE WHEN {used} THEN 1 ELSE 0 END AS used,
           CASE WHEN pp.ev IS NULL THEN 0 ELSE 1 END AS is_part,
           CASE WHEN {special} THEN 1 ELSE 0 END AS special
    FROM placed p
    LEFT JOIN {consensus_table} cf ON cf.event_id = p.ev AND COALESCE(cf.affiliation_id, 0) = p.aff
         AND cf.category = p.cat AND cf.subgroup = p.sub AND cf.outcome = p.out
    LEFT JOIN parts pp ON pp.ev = p.ev AND {_same_key('pp', 'p')} AND pp.cell = p.cell),
counted AS MATERIALIZED (SELECT * FROM state WHERE special = 0 AND is_part = 0 AND used = 1),
behind AS MATERIALIZED (
    SELECT DISTINCT s.cell, c.id AS claim, c.document_id, c.claimant_id
    FROM counted s JOIN {consensus_table} cf ON cf.id = s.cf_id {expand}
         JOIN {claim} c ON c.id = {entry_claim} AND c.event_id = s.ev
    WHERE {entry_used}),
sums AS (
    SELECT cell, SUM(low) AS sum_low, SUM(best) AS sum_best, SUM(high) AS known_high, COUNT(*) AS event_figures,
           COUNT(DISTINCT ev) AS events, SUM(CASE WHEN high IS NULL THEN 1 ELSE 0 END) AS open_ended,
           SUM(CASE WHEN low IS NULL THEN 1 ELSE 0 END) AS unknown, SUM(conflicting) AS conflicting
    FROM counted GROUP BY cell),
skipped AS (
    SELECT cell, SUM(is_part) AS parts, SUM(CASE WHEN is_part = 0 AND used = 0 THEN 1 ELSE 0 END) AS excluded
    FROM state WHERE special = 0 GROUP BY cell),
claim_counts AS (SELECT cell, COUNT(*) AS claims FROM behind GROUP BY cell),
behind_sources AS (SELECT DISTINCT cell, document_id, claimant_id FROM behind),
cells AS (
    SELECT cell, {cell_columns}, SUM(n) AS records, SUM(CASE WHEN "_ev" IS NULL THEN n ELSE 0 END) AS without_event
    FROM gc GROUP BY cell, {cell_columns})
SELECT {_CELL} AS kind, cells.cell, {", ".join(f"cells.{quote(name)}" for name in names)},
       cells.records, cells.without_event, sums.sum_low, sums.sum_best, sums.known_high,
       COALESCE(sums.event_figures, 0), COALESCE(sums.events, 0), COALESCE(sums.open_ended, 0),
       COALESCE(sums.unknown, 0), COALESCE(sums.conflicting, 0), COALESCE(skipped.parts, 0),
       COALESCE(skipped.excluded, 0), COALESCE(claim_counts.claims, 0), NULL, NULL, NULL
FROM cells LEFT JOIN sums ON sums.cell = cells.cell LEFT JOIN skipped ON skipped.cell = cells.cell
     LEFT JOIN claim_counts ON claim_counts.cell = cells.cell
UNION ALL
SELECT {_SPECIAL_PAIR}, cell, {pad(dims)}, ev, aff, low, best, high, conflicting, used, {pad(6)}, cat, sub, out
FROM state WHERE special = 1
UNION ALL
SELECT {_SOURCE}, cell, {pad(dims)}, document_id, claimant_id, {pad(11)}, NULL, NULL, NULL
FROM behind_sources
ORDER BY 1, 2"""


def _covers(including, included) -> bool:
    """Does an including event figure's key (party, category, subgroup, outcome) cover this one?"""
    party, category, subgroup, outcome = including
    return (included[3] == outcome and (party is None or included[0] == party)
            and (category == CasualtyFigure.Category.UNKNOWN or included[1] == category)
            and (not subgroup or included[2] == subgroup))


def _inclusions(event_ids):
    """(event, key) of an including claim's figure → the events its claim includes."""
    direct = defaultdict(set)
    links = defaultdict(set)
    for chunk in _chunks(event_ids):
        for claim, event in ClaimInclusion.objects.filter(claim__event_id__in=chunk).values_list("claim_id",
                                                                                               "event_id"):
            links[claim].add(event)
    for chunk in _chunks(links):
        for claim, event, *key in CasualtyFigure.objects.filter(claim_id__in=chunk).values_list(
                "claim_id", "claim__event_id", "affiliation_id", "category", "subgroup", "outcome"):
            direct[(event, tuple(key))] |= links[claim]
    return direct


def _consensus_basis(figures, group_by, dimensions, explain, user):
    keys, names = _keys(group_by, dimensions), _key_names(group_by)
    grouped = figures.order_by().values(**_PAIR_FIELDS, **keys).annotate(first=Min("id"), n=Count("id"))
    inner = bulk.sql_of(grouped)
    if inner is None:
        return []
    connection = connections[figures.db]
    # The cursor's raw cells, converted as the ORM would (PostgreSQL's date_trunc gives a timestamp).
    converters = []
    for name in names:
        expression = grouped.query.annotations[name]
        converters.append(connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
    sql = _consensus_sql(inner[0], names, connection.vendor, connection.ops.quote_name, everything_special=explain)
    with transaction.atomic(using=figures.db), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner guesses the CTEs' rows ten times too low at a million claims and picks
            # nested loops over them (quadratic); hash joins are right at every size.
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, inner[1])
        rows = cursor.fetchall()
    dims = len(names)
    cells, special, sources = {}, defaultdict(list), defaultdict(list)
    for row in rows:
        kind, number, values = row[0], row[1], row[2 + dims:]
        if kind == _CELL:
            cell = []
            for value, (expression, convert) in zip(row[2 : 2 + dims], (
                    (grouped.query.annotations[name], converters[i]) for i, name in enumerate(names)), strict=True):
                for converter in convert:
                    value = converter(value, expression, connection)
                cell.append(value)
            cells[number] = (tuple(cell), [int(value) if value is not None else None for value in values[:13]])
        elif kind == _SPECIAL_PAIR:
            ev, aff, low, best, high, conflicting, used, *_, cat, sub, out = values
            special[number].append(((ev, (aff or None, cat, sub, out)), (low, best, high, bool(conflicting),
                                                                       bool(used))))
        else:
            sources[number].append((values[0], values[1]))
    details = _special_details({pair[0] for pairs in special.values() for pair, _ in pairs})
    claim_refs = details["claims"]
    roots = consensus.original_documents({document for pairs in sources.values() for document, _ in pairs}
                                         | {document for document, _ in claim_refs.values()})
    claimants = _claimants(user, {c for _, c in claim_refs.values()}) if explain else {}
    result = []
    for number, (cell, values) in cells.items():
        (records, without_event, sum_low, sum_best, known_high, event_figures, events, open_ended, unknown,
         conflicting, parts, excluded, claims) = values[:13]
        bulk_totals = {"sum_low": sum_low, "sum_best": sum_best, "known_high": known_high,
                       "event_figures": event_figures, "events": events, "open_ended": open_ended,
                       "unknown": unknown, "conflicting": conflicting, "parts": parts, "excluded": excluded,
                       "included": 0, "claims": claims}
        result.append((cell, _consensus_cell(bulk_totals, records, without_event, special.get(number, []),
                                             sources.get(number, []), details, roots, explain, claimants)))
    return result


def _special_details(events):
    """What the Python side of the rules reads of the events whose figures come back one by one:
    their claims, which claims each event figure's consensus used, inclusions and parts."""
    used, claims, wholes = {}, {}, defaultdict(set)
    for chunk in _chunks(events):
        for event, party, category, subgroup, outcome, basis in ConsensusFigure.objects.filter(
                event_id__in=chunk).values_list("event_id", "affiliation_id", "category", "subgroup", "outcome",
                                                "basis"):
            used[(event, (party, category, subgroup, outcome))] = [entry["claim"] for entry in basis
                                                                   if entry.get("used")]
        claims.update((pk, (document, claimant)) for pk, document, claimant in Claim.objects.filter(
            event_id__in=chunk).values_list("pk", "document_id", "claimant_id"))
        for event, *keys in CasualtyFigure.objects.filter(claim__event_id__in=chunk, part_of__isnull=False).values_list(
                "claim__event_id", "affiliation_id", "category", "subgroup", "outcome", "part_of__affiliation_id",
                "part_of__category", "part_of__subgroup", "part_of__outcome"):
            wholes[(event, tuple(keys[:4]))].add((event, tuple(keys[4:])))
    return {"used": used, "claims": claims, "wholes": wholes, "includes": _inclusions(events)}


def _covered_pairs(pairs, includes):
    """The pairs of the cell that an including pair of the same cell already contains."""
    in_cell, includes_of_event = defaultdict(list), defaultdict(list)
    for event, key in pairs:
        in_cell[event].append(key)
    for (event, key), events in includes.items():
        includes_of_event[event].append((key, events))
    covered = {}
    for including in pairs:
        if including not in includes:
            continue
        reached, todo = set(), set(includes[including])
        while todo:  # inclusions of inclusions, within the including figure's cover
            event = todo.pop()
            if event in reached:
                continue
            reached.add(event)
            for other_key, more in includes_of_event.get(event, ()):
                if _covers(including[1], other_key):
                    todo |= more
        for event in reached:
            for key in in_cell.get(event, ()):
                if (event, key) != including and _covers(including[1], key):
                    covered.setdefault((event, key), including)
    return covered


def _parts_in_cell(pairs, wholes):
    """Event figures that are part of another event figure of the same event in the cell (the 14
    civilians of the 27 killed, recorded with part_of by the claims), through wholes of wholes."""
    in_cell, parts = set(pairs), {}
    for pair in pairs:
        seen, todo = set(), set(wholes.get(pair, ()))
        while todo:
            whole = todo.pop()
            if whole in seen or whole == pair:
                continue
            seen.add(whole)
            if whole in in_cell:
                parts[pair] = whole
                break
            todo |= wholes.get(whole, set())
    return parts


def _consensus_cell(totals, records, without_event, special, sources, details, roots, explain, claimants):
    """One cell: the totals the statement summed, plus the event figures that came back one by one
    (inclusions, parts, the states `explain` lists) and the independent sources of all of them."""
    pairs = [pair for pair, _ in special]
    covered = _covered_pairs(pairs, details["includes"])
    parts = _parts_in_cell(pairs, details["wholes"])
    used_claims, counted_events, listed = {}, set(), []
    for pair, (low, best, high, conflicting, _) in sorted(special, key=lambda item: (item[0][0], str(item[0][1]))):
        used = details["used"].get(pair, [])
        if pair in parts:
            totals["parts"] += 1
            state = "part of the event's figure " + "/".join(str(value) for value in parts[pair][1] if value)
        elif pair in covered:
            totals["included"] += 1
            state = f"included in event {covered[pair][0]}'s figure"
        elif not used:
            totals["excluded"] += 1
            state = "no claim the consensus could use"
        else:
            state = "counted"
            totals["event_figures"] += 1
            counted_events.add(pair[0])
            totals["conflicting"] += conflicting
            for name, value in (("sum_low", low), ("sum_best", best), ("known_high", high)):
                if value is not None:
                    totals[name] = (totals[name] or 0) + value
            totals["open_ended"] += high is None
            totals["unknown"] += low is None
            used_claims.update((pk, details["claims"][pk]) for pk in used if pk in details["claims"])
        if explain:
            party, category, subgroup, outcome = pair[1]
            listed.append({"event": pair[0], "affiliation": party, "category": category, "subgroup": subgroup,
                           "outcome": outcome, "low": low, "best": best, "high": high, "state": state})
    # The events and claims summed in SQL and here are of different events: their counts add up.
    row = {
        "sum_low": totals["sum_low"], "sum_best": totals["sum_best"],
        "sum_high": None if totals["open_ended"] else totals["known_high"],
        "event_figures": totals["event_figures"], "events": totals["events"] + len(counted_events),
        "open_ended": totals["open_ended"], "unknown": totals["unknown"], "conflicting": totals["conflicting"],
        "parts": totals["parts"], "excluded": totals["excluded"], "included": totals["included"],
        "without_event": without_event, "records": records,
        "claims": totals["claims"] + len(used_claims),
        "independent_sources": consensus.count_source_groups([*sources, *used_claims.values()], roots),
    }
    if explain:
        row["explain"] = {**_explained(used_claims, claimants), "event_figures": listed}
    return row


def _labels(rows, group_by):
    labels = {}
    for name in group_by:
        if name not in _LABELLED:
            continue
        model, fields = _LABELLED[name]
        ids = {row[f"_{name}"] for row in rows} - {None}
        labels[name] = {record["id"]: record for record in model.objects.filter(id__in=ids).values(*fields)}
    return labels


def parse_basis(value, allowed=BASES) -> str:
    """The basis asked for (the default when none), refused unless it is one of `allowed` — the
    one check of a basis, for every door and both totals below."""
    basis = (value or DEFAULT_BASIS).strip()
    if basis in allowed:
        return basis
    if basis in BASES:  # consensus for equipment
        raise ValidationError(f"basis={basis} is available for casualty totals only (consensus figures are "
                              f"worked out per event for casualty figures); use basis={', '.join(allowed)}.")
    raise ValidationError(f"basis must be one of: {', '.join(allowed)}; got {value!r}.")


def _labelled(result, group_by):
    """The cells as the API shows them: the keys by name (ids as {id, name, ...}), then the totals."""
    names = _key_names(group_by)
    labels = _labels([dict(zip(names, cell, strict=True)) for cell, _ in result], group_by)
    return [{**{name: labels.get(name, {}).get(value, value) for name, value in zip(group_by, cell, strict=True)},
             **totals}
            for cell, totals in result]


def casualty_totals(figures, group_by, basis=CLAIMS, explain=False, user=None):
    """Totals of casualty figures (a filtered CasualtyFigure queryset) per cell of `group_by`."""
    totals = _consensus_basis if parse_basis(basis, CASUALTY_BASES) == CONSENSUS else _claims_basis
    return _labelled(totals(figures, group_by, CASUALTY_DIMENSIONS, explain, user), group_by)


def equipment_totals(losses, group_by, basis=CLAIMS, explain=False, user=None):
    """Totals of equipment losses (a filtered EquipmentLoss queryset) per cell of `group_by`;
    consensus figures are worked out for casualties only (EQUIPMENT_BASES)."""
    parse_basis(basis, EQUIPMENT_BASES)
    return _labelled(_claims_basis(losses, group_by, EQUIPMENT_DIMENSIONS, explain, user), group_by)
