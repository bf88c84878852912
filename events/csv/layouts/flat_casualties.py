"""The flat casualty-figures layout (`--layout casualty-figures`): the spreadsheet a data manager
keeps, one reported casualty figure per row, written whole in one step.

Each row finds or creates what it names (events.flat_layouts: source, document, place,
actors, event, claim, quote) and writes one casualty figure of the claim, found again by its
party, category, subgroup, outcome and place, so a re-import changes nothing and a corrected
file updates the figure. The count is read as written ("at least 11", "about 30", "12-15",
"dozens") by events.quantities, the one reader.
"""

from __future__ import annotations

from conflictdb.csvio.headers import HeaderField
from conflictdb.csvio.layouts import ADD, CHANGE, FlatRow, apply_flat, permissions
from conflictdb.upsert import upsert
from events.flat_layouts import FlatContext, choice, date_of
from events.models import Actor, CasualtyFigure, Claim, ClaimExcerpt, Event, EventLocation
from events.quantities import QuantityError, read_quantity
from sources.models import Document, Excerpt, Source

NAME = "casualty-figures"
F = HeaderField
# The documented columns (docs/csv-import.md "Flat layouts") and the synonyms they are read from.
FIELDS = (
    F("date", ("day", "event date", "date of incident", "incident date"), required=True),
    F("area", ("admin area", "governorate", "district", "admin1", "admin2", "region", "province")),
    F("place", ("location", "place name", "town", "village", "where", "site")),
    F("party", ("affiliation", "side", "actor", "belligerent", "force", "whose")),
    F("category", ("casualty type", "type", "victim type", "civilian/combatant", "status"), required=True),
    F("subgroup", ("sub group", "group", "victims")),
    F("outcome", ("result", "casualty", "harm", "killed/injured"), required=True),
    F("count", ("number", "figure", "total", "casualties", "quantity", "how many", "n"), required=True),
    F("perpetrator", ("by", "inflicted by", "responsible", "attacker")),
    F("source", ("claimant", "reported by", "reporter", "according to"), required=True),
    F("source_kind", ("source type",)),
    F("publisher", ("outlet", "published by", "media")),
    F("document_url", ("url", "link", "source url", "report url", "article url")),
    F("document_title", ("title", "headline", "report title", "article title")),
    F("published_date", ("published", "publication date", "date published", "report date")),
    F("document_text", ("text", "full text", "body", "article text", "report text")),
    F("derived_from", ("original url", "derived from url", "translation of")),
    F("derivation", ()),
    F("quote", ("excerpt", "quotation", "citation", "passage")),
    F("note", ("notes", "comment", "comments", "remarks")),
    F("event_id", ("event", "event external id", "incident id")),
    F("event_type", ()),
    F("event_title", ()),
)
WRITES = {
    Source: (ADD,),  # a source the file names that the database does not know
    Actor: (ADD,),  # a party or perpetrator no actor is called
    Document: (ADD, CHANGE),
    Excerpt: (ADD,),
    Event: (ADD,),  # found by its id, or created; never changed
    EventLocation: (ADD,),
    Claim: (ADD, CHANGE),
    ClaimExcerpt: (ADD,),
    CasualtyFigure: (ADD, CHANGE),
}
PERMISSIONS = permissions(WRITES)

CATEGORIES = {
    CasualtyFigure.Category.CIVILIAN: ("civilian", "civilians", "civ", "non-combatant", "noncombatant"),
    CasualtyFigure.Category.COMBATANT: ("combatant", "combatants", "fighter", "fighters", "soldier", "soldiers",
                                        "military", "armed"),
    CasualtyFigure.Category.UNKNOWN: ("unknown", "unclear", "?", "n/a"),
}
OUTCOMES = {
    CasualtyFigure.Outcome.KILLED: ("dead", "death", "deaths", "died", "fatalities", "fatality", "kill"),
    CasualtyFigure.Outcome.INJURED: ("wounded", "injuries", "injury", "hurt", "wound"),
    CasualtyFigure.Outcome.CAPTURED: ("detained", "arrested", "captured/detained", "prisoners", "detention",
                                      "capture"),
    CasualtyFigure.Outcome.MISSING: ("disappeared",),
    CasualtyFigure.Outcome.ABDUCTED: ("kidnapped", "abduction"),
}
SUBGROUPS = {value: (str(label).lower(), value + "s", str(label).lower() + "s")
             for value, label in CasualtyFigure.Subgroup.choices if value}
SUBGROUPS[CasualtyFigure.Subgroup.CHILD] += ("children",)
SUBGROUPS[CasualtyFigure.Subgroup.WOMAN] += ("women",)
SUBGROUPS[CasualtyFigure.Subgroup.MAN] += ("men",)
SUBGROUPS[CasualtyFigure.Subgroup.FAMILY] += ("family",)


class _Figures:
    def __init__(self, user, dayfirst):
        self.context = FlatContext(user, dayfirst)
        self.seen: dict[tuple, int] = {}  # a figure's identity → the row that wrote it

    def row(self, writer, number, row: FlatRow):
        try:
            self._row(writer, number, row)
        except Exception:
            self.context.forget()
            raise

    def _row(self, writer, number, row):
        context, statuses = self.context, []
        day = date_of(row, "date", context.dayfirst, required=True)
        try:
            quantity = read_quantity(row.value("count"))
        except QuantityError as error:
            raise row.error("count", str(error)) from error
        if quantity is None:
            raise row.error("count", "this field is required", "")
        category = choice(row, "category", CATEGORIES)
        outcome = choice(row, "outcome", OUTCOMES)
        subgroup = choice(row, "subgroup", SUBGROUPS, required=False)
        place = context.place(row, "place")
        source = context.source(row, "source", statuses=statuses)
        party = context.actor(row, "party", statuses)
        perpetrator = context.actor(row, "perpetrator", statuses)
        document = context.document(row, source, statuses,
                                    default_title=f"{source}: report of {day}")
        claim_id = context.claim_id(document, source, context.event_key(row, day, place))
        event = context.event(row, day, place, statuses, claim_id)
        where = f" at {place}" if place else ""
        claim, status = upsert(Claim, {"external_id": claim_id}, {
            "event": event, "document": document, "claimant": source,
            "statement": f"Casualty figures reported by {source}{where} on {day}."[:2000],
            "date_start": day, "date_end": day})
        statuses.append(status)
        note = context.note(row, context.quote(row, document, claim, statuses))
        identity = {"claim": claim, "affiliation": party, "category": category, "subgroup": subgroup,
                    "outcome": outcome, "place": place}
        key = tuple(getattr(value, "pk", value) for value in identity.values())
        if key in self.seen:
            raise row.error("count", f"the same figure as row {self.seen[key]} (same report, party, category, "
                                     "subgroup, outcome and place): one row per figure", row.value("count"))
        self.seen[key] = number
        _figure, figure_status = upsert(CasualtyFigure, identity, {
            **quantity, "wording": quantity["wording"][:300], "perpetrator": perpetrator, "date": day, "note": note})
        # The row's own item first: RowWriter counts the row by its first status.
        for status in (figure_status, *statuses):
            writer.note(status)


def apply(table, outcome, *, user, dayfirst=False, progress=None, mapping=None):
    figures = _Figures(user, dayfirst)
    apply_flat(table, outcome, FIELDS, mapping=mapping, progress=progress, write_row=figures.row)

