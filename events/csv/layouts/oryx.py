"""The Oryx equipment-loss layout (oryx_data's `oryx_event_<status>.csv`: country, origin, system,
status, url, date_recorded, sysID, imageID, statusID, matID).

Each row is one visually confirmed item and becomes:
- a claim (external id `oryx:<matID>`) by the claimant "Oryx", carried by the Oryx list of the
  losing country (one document per country, external id `oryx:list:<country>`), dated
  date_recorded, with no event (Oryx does not say where or in which engagement);
- an equipment loss of one item (exact 1), status as Oryx gives it (destroyed, damaged,
  abandoned, captured), owner the losing country's armed forces, the evidence URL kept.
The equipment type is found by name, alias or a tracker system name listed on the type
(conflictdb.csvio.keys.KeyResolver, events.csv.keys); an unknown system becomes a new type named
as Oryx writes it, with that system name recorded and a category read from the name (tank, IFV,
drone …, else "other"), so a cataloguer can later merge it by adding an alias. Actors are the countries' armed forces
("Armed Forces of Russia"), created when missing.
"""

from __future__ import annotations


from conflictdb.csvio.importing import RowError
from conflictdb.csvio.keys import KeyResolver
from conflictdb.csvio.layouts import ADD, CHANGE, RowWriter, cell_error, check_header, permissions
from conflictdb.csvio.values import CellError, parse_date
from conflictdb.upsert import upsert
from events.equipment_categories import category_of
from events.models import Actor, Claim, EquipmentLoss, EquipmentType
from sources.models import Document, Source
from conflictdb.csvio.layouts import RowFailure

NAME = "oryx"  # --layout oryx
REQUIRED = ("country", "system", "status", "url", "date_recorded", "matID")
CLAIMANT = "Oryx"
ATTRIBUTION = "Equipment losses compiled by Oryx; tabulated by the oryx_data project (CC BY 4.0)"
# Every model an Oryx import writes (conflictdb.upsert.upsert); each upsert carries values, so an
# existing record may be updated. No event, place or alias is written.
WRITES = {
    Source: (ADD, CHANGE),  # the claimant "Oryx"
    Actor: (ADD, CHANGE),  # "Armed Forces of <country>"
    Document: (ADD, CHANGE),  # one Oryx list per country
    EquipmentType: (ADD, CHANGE),
    Claim: (ADD, CHANGE),
    EquipmentLoss: (ADD, CHANGE),
}
PERMISSIONS = permissions(WRITES)
class _Oryx:
    def __init__(self, user):
        self.resolver = KeyResolver(user)
        self.source, _ = upsert(Source, {"name": CLAIMANT}, {
            "kind": Source.Kind.MONITOR, "url": "https://www.oryxspioenkop.com/",
            "description": ATTRIBUTION})
        self.actors, self.documents, self.types = {}, {}, {}

    def owner(self, country):
        if country not in self.actors:
            name = f"Armed Forces of {country}"
            try:
                actor = Actor.objects.get(pk=self.resolver.resolve("actor", name))
            except CellError:
                actor, _ = upsert(Actor, {"name": name}, {"kind": Actor.Kind.STATE_FORCES})
            self.actors[country] = actor
        return self.actors[country]

    def document(self, country):
        if country not in self.documents:
            self.documents[country], _ = upsert(Document, {"external_id": f"oryx:list:{country.lower()}"}, {
                "publisher": self.source, "title": f"Oryx: visually confirmed equipment losses of {country}",
                "language": "en", "notes": ATTRIBUTION})
        return self.documents[country]

    def equipment_type(self, system):
        if system not in self.types:
            try:
                found = EquipmentType.objects.get(pk=self.resolver.resolve("equipment_type", system))
            except CellError:
                found, _ = upsert(EquipmentType, {"name": system[:200]}, {
                    "category": category_of(system), "tracker_system_names": system[:500]})
            self.types[system] = found
        return self.types[system]

    def row(self, writer, row):
        def value(name):
            return (row.get(name) or "").strip()

        mat_id, country, system = value("matID"), value("country"), " ".join(value("system").split())
        problems = [(name, "", "this field is required") for name in ("matID", "country", "system") if not value(name)]
        status = value("status").lower()
        if status not in EquipmentLoss.Status.values:
            problems.append(("status", value("status"), f"expected one of {', '.join(EquipmentLoss.Status.values)}"))
        try:
            day = parse_date(value("date_recorded"))
        except CellError as error:
            problems.append(("date_recorded", value("date_recorded"), str(error)))
            day = None
        if problems:
            raise cell_error(*problems[0]) if len(problems) == 1 else _many(problems)
        claim, status_claim = upsert(Claim, {"external_id": f"oryx:{mat_id}"}, {
            "document": self.document(country), "claimant": self.source,
            "statement": f"{system}: {status} ({country}), visually confirmed"[:2000],
            "date_start": day, "date_end": day})
        writer.note(status_claim)
        loss = {"claim": claim, "equipment_type": self.equipment_type(system), "status": status,
                "owner": self.owner(country)}
        writer.note(upsert(EquipmentLoss, loss, {"low": 1, "high": 1, "qualifier": "exact", "wording": "1",
                                                 "date": day, "evidence_url": value("url")[:1000]})[1])


def _many(problems):
    return RowFailure(problems)


def apply(table, outcome, *, user, dayfirst=False, progress=None):
    if not check_header(table.header, REQUIRED, outcome):
        return
    oryx = _Oryx(user)
    writer = RowWriter(outcome, progress)
    for number, cells in table.rows:
        row = dict(zip(table.header, cells, strict=False))
        writer.run(number, lambda row=row: oryx.row(writer, row))
    if not outcome.rows:
        outcome.add_error(RowError(2, "", "", "the file has a header but no data rows"))
    if progress:
        progress(outcome.rows)
