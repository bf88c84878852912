"""The flat equipment-losses layout (`--layout equipment-losses`): one row per lost item, as an
Oryx-like tracker sheet has it (type, status, owner, captor, place, date, evidence URL), plus the
source and report that state it.

How it differs from the Oryx layout (events.csv.layouts.oryx), which reads oryx_data's own
export: Oryx rows carry a stable item id (matID) and no place, one claim per item by the
claimant Oryx; here the columns are the user's (matched by synonyms, mappable), the claimant is
the row's source, rows of one report share one claim (events.flat_layouts), and each item
has a place and may have a captor. What is reused: the equipment type found by name, alias or
tracker system name, else created under the category read from its name (events.equipment_categories.category_of),
and the owner / captor as actors.

A loss is found again within its claim by its type, status, owner, place and evidence URL, so
two items of one type in one report are told apart by their evidence; its count defaults to 1.
"""

from __future__ import annotations

from conflictdb.csvio import columns as c
from conflictdb.csvio.headers import HeaderField
from conflictdb.csvio.layouts import ADD, CHANGE, apply_flat, permissions
from conflictdb.csvio.values import CellError
from conflictdb.names import normalise_name
from conflictdb.upsert import WriteStatus, upsert
from events.flat_layouts import FlatContext, choice, date_of
from events.equipment_categories import category_of
from events.models import Actor, Claim, ClaimExcerpt, EquipmentLoss, EquipmentType, Event, EventLocation
from events.quantities import QuantityError, read_quantity
from sources.models import Document, Excerpt, Source

NAME = "equipment-losses"
F = HeaderField
FIELDS = (
    F("type", ("equipment", "equipment type", "system", "model", "item", "weapon"), required=True),
    F("status", ("fate", "loss", "condition", "state"), required=True),
    F("owner", ("country", "lost by", "side", "party", "affiliation", "operator")),
    F("captor", ("captured by", "taken by")),
    F("area", ("admin area", "governorate", "district", "admin1", "admin2", "region", "province")),
    F("place", ("location", "where", "town", "site")),
    F("date", ("day", "date recorded", "date_recorded", "loss date"), required=True),
    F("evidence_url", ("url", "evidence", "proof", "image", "photo", "video", "link")),
    F("count", ("number", "quantity", "items", "n")),
    F("category", ("equipment category", "class")),
    F("source", ("claimant", "reported by", "according to", "tracker"), required=True),
    F("source_kind", ("source type",)),
    F("publisher", ("outlet", "published by")),
    F("document_url", ("report url", "list url", "article url", "source url")),
    F("document_title", ("title", "report title", "list title")),
    F("published_date", ("published", "publication date")),
    F("document_text", ("text", "full text", "body", "report text", "article text")),
    F("derived_from", ("original url",)),
    F("derivation", ()),
    F("quote", ("excerpt", "quotation")),
    F("note", ("notes", "comment", "comments")),
    F("event_id", ("event", "incident id")),
    F("event_type", ()),
    F("event_title", ()),
)
WRITES = {
    Source: (ADD,),
    Actor: (ADD,),
    Document: (ADD, CHANGE),
    Excerpt: (ADD,),
    Event: (ADD,),  # found by its id, or created; never changed
    EventLocation: (ADD,),
    EquipmentType: (ADD,),
    Claim: (ADD, CHANGE),
    ClaimExcerpt: (ADD,),
    EquipmentLoss: (ADD, CHANGE),
}
PERMISSIONS = permissions(WRITES)
STATUSES = {
    EquipmentLoss.Status.DESTROYED: ("destroyed", "lost", "destruction"),
    EquipmentLoss.Status.DAMAGED: ("damaged", "damage", "hit"),
    EquipmentLoss.Status.ABANDONED: ("abandoned", "abandoned and destroyed"),
    EquipmentLoss.Status.CAPTURED: ("captured", "captured by", "seized", "taken"),
}
CATEGORIES = {value: (str(label).lower(),) for value, label in EquipmentType.Category.choices}


class _Losses:
    def __init__(self, user, dayfirst):
        self.context = FlatContext(user, dayfirst)
        self.seen: dict[tuple, int] = {}

    def row(self, writer, number, row):
        try:
            self._row(writer, number, row)
        except Exception:
            self.context.forget()
            raise

    def equipment_type(self, row, statuses):
        name = " ".join(row.value("type").split())
        resolver = self.context.resolver
        table = resolver.named(c.EQUIPMENT_TYPE, _type_spellings, "equipment type")
        if table["spellings"].get(normalise_name(name)):
            try:
                return EquipmentType.objects.get(pk=resolver.resolve(c.EQUIPMENT_TYPE, name))
            except CellError as error:
                raise row.error("type", str(error)) from error
        category = choice(row, "category", CATEGORIES, required=False, default="") or category_of(name)
        found = EquipmentType.objects.create(name=name[:200], category=category)
        statuses.append(WriteStatus.CREATED)
        resolver.forget()
        return found

    def _row(self, writer, number, row):
        context, statuses = self.context, []
        if not row.value("type"):
            raise row.error("type", "this field is required", "")
        status = choice(row, "status", STATUSES)
        day = date_of(row, "date", context.dayfirst, required=True)
        try:
            quantity = read_quantity(row.value("count") or "1")
        except QuantityError as error:
            raise row.error("count", str(error)) from error
        place = context.place(row, "place")
        source = context.source(row, "source", statuses=statuses)
        owner = context.actor(row, "owner", statuses)
        captor = context.actor(row, "captor", statuses)
        if captor is not None and status != EquipmentLoss.Status.CAPTURED:
            raise row.error("captor", f"only captured equipment has a captor (the status is {status})")
        equipment_type = self.equipment_type(row, statuses)
        document = context.document(row, source, statuses, default_title=f"{source}: equipment losses")
        claim_id = context.claim_id(document, source, context.event_key(row, day, place))
        event = context.event(row, day, place, statuses, claim_id)
        where = f" at {place}" if place else ""
        claim, claim_status = upsert(Claim, {"external_id": claim_id}, {
            "event": event, "document": document, "claimant": source,
            "statement": f"Equipment losses reported by {source}{where} on {day}."[:2000],
            "date_start": day, "date_end": day})
        statuses.append(claim_status)
        unanchored = context.quote(row, document, claim, statuses)
        if unanchored:
            raise row.error("quote", "an equipment loss has no note to keep an unanchored quote: give the "
                                     "document's text (document text) so it is anchored")
        identity = {"claim": claim, "equipment_type": equipment_type, "status": status, "owner": owner,
                    "place": place, "evidence_url": row.value("evidence_url")[:1000]}
        key = tuple(getattr(value, "pk", value) for value in identity.values())
        if key in self.seen:
            raise row.error("evidence_url", f"the same item as row {self.seen[key]} (same report, type, status, "
                                            "owner, place and evidence): one row per item; give each its evidence")
        self.seen[key] = number
        _loss, loss_status = upsert(EquipmentLoss, identity, {
            **quantity, "wording": quantity["wording"][:300], "captor": captor, "date": day})
        for noted in (loss_status, *statuses):
            writer.note(noted)


def _type_spellings():
    from events import naming

    return naming.equipment_type_spellings()


def apply(table, outcome, *, user, dayfirst=False, progress=None, mapping=None):
    losses = _Losses(user, dayfirst)
    apply_flat(table, outcome, FIELDS, mapping=mapping, progress=progress, write_row=losses.row)
