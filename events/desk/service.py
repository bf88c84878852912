"""Writing a claim from the desk's form: the claim-writing service.

`write_claim(document, data, user)` turns the posted form into records and writes them, or none:
names are resolved by events.naming (places by the matcher, actors, equipment types and events
by name or alias) and sources.naming, numbers read by events.quantities.find_quantity, every
record validated by the model's own full_clean and written by save() (prepare_write anchors the
quote), inside `acting(user, channel)` and one transaction: a claim is saved whole or not at all.

Errors come back keyed by the form's field paths ("equipment_losses.2.places") with the value and
what was expected, so the page shows them beside what was typed and keeps it.
"""

from __future__ import annotations

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date

from conflictdb.provenance import Channel, acting
from events.quantities import PHRASE_EXPECTATION, Qualifier, QuantityError, find_quantity
from events.models import (
    Actor,
    Attack,
    CasualtyFigure,
    Claim,
    ClaimExcerpt,
    Displacement,
    DisplacementPlace,
    EquipmentLoss,
    EquipmentType,
    Event,
    Location,
    TerritorialChange,
)
from events.naming import PlaceNotResolved, actors_named, equipment_types_named, events_named, places_named
from sources.models import Excerpt, Source
from sources.naming import sources_named

class Errors(dict):
    """Messages by form field path ("equipment_losses.2.places"), as the page shows them."""

    def add(self, key, message):
        self.setdefault(key, []).append(message)


# --- naming the records a claim refers to --------------------------------------------------


def _reference(value) -> tuple[int | None, str]:
    if isinstance(value, dict):
        return value.get("id"), str(value.get("text") or "").strip()
    return None, str(value or "").strip()


def _one(queryset, what, text):
    found = list(queryset[:6])
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationError(f"“{text}” names no {what} in the database: pick one from the list, or add it first.")
    names = "; ".join(str(record) for record in found[:5])
    raise ValidationError(f"“{text}” names {len(found)} {what}s ({names}): pick one from the list.")


def _record(value, what, by_id, named, required=None):
    """The one record a form value names: {"id", "text"} by id, else its text by the naming rule."""
    pk, text = _reference(value)
    if not pk and not text:
        if required:
            raise ValidationError(required)
        return None
    if pk:
        return _one(by_id.filter(pk=pk), what, text or pk)
    return _one(named(text), what, text)


def claimant_of(value):
    return _record(value, "source", Source.objects, sources_named, required="Who makes this claim? Pick the claimant.")


def event_of(value):
    return _record(value, "event", Event.objects, events_named)


def actor_of(value):
    return _record(value, "actor", Actor.objects, actors_named)


def equipment_type_of(value):
    return _record(value, "equipment type", EquipmentType.objects, equipment_types_named,
                   required="Name the equipment type.")


def place_of(value):
    try:
        return _record(value, "place", Location.objects, places_named)
    except PlaceNotResolved as error:
        raise ValidationError(f"“{_reference(value)[1]}”: {error.resolution.message}") from None


def places_of(value) -> list:
    """A list of places: [{"id", "text"}, …] or one comma-separated string of names."""
    items = value if isinstance(value, list) else [part for part in str(value or "").split(",")]
    places, problems = [], []
    for item in items:
        pk, text = _reference(item)
        if not pk and not text:
            continue
        try:
            places.append(place_of(item))
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems)
    return places


# --- writing a claim --------------------------------------------------------------------------

QUANTITY_MODEL_FIELDS = {"low", "high", "qualifier", "wording"}


class _Builder:
    """Turns the posted form into unsaved records, collecting every error with its field path."""

    def __init__(self, document, data):
        self.document, self.data, self.errors = document, data, Errors()

    def field(self, key, resolve, value):
        try:
            return resolve(value)
        except ValidationError as error:
            for message in error.messages:
                self.errors.add(key, message)
            return None

    def choice(self, key, model, name, value, default=None):
        value = value if value not in (None, "") else default
        allowed = [str(v) for v, _label in model._meta.get_field(name).choices]
        if value is None or str(value) not in allowed:
            self.errors.add(key, f"“{value or ''}” is not one of: {', '.join(allowed)}.")
            return None
        return value

    def date(self, key, value):
        if not value:
            return None
        parsed = parse_date(str(value)) if re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)) else None
        if parsed is None:
            self.errors.add(key, f"“{value}” is not a date: expected YYYY-MM-DD.")
        return parsed

    def quotes(self):
        quotes = self.data.get("quotes") or []
        if not quotes:
            self.errors.add("quote", "Select a passage of the text first: the claim rests on a quote.")
        excerpts = []
        if not isinstance(quotes, list):
            self.errors.add("quote", "Quotes must be a list of passages ({start, end, text}).")
            return []
        for index, quote in enumerate(quotes):
            key = "quote" if len(quotes) == 1 else f"quotes.{index}"
            if not isinstance(quote, dict):
                self.errors.add(key, f"A quote must be an object with start, end and text; got {quote!r:.80}.")
                continue
            try:
                start, end = int(quote["start"]), int(quote["end"])
            except (KeyError, TypeError, ValueError):
                self.errors.add(key, f"Offsets must be whole numbers: got start={quote.get('start')!r}, "
                                     f"end={quote.get('end')!r}.")
                continue
            text = quote.get("text", self.document.text[start:end] if 0 <= start < end else "")
            existing = Excerpt.objects.filter(document=self.document, start=start, end=end).first()
            excerpt = existing or Excerpt(document=self.document, start=start, end=end, text=text)
            if existing is not None and existing.text != text:
                self.errors.add(key, f"The quote does not match the document at {start}–{end}.")
            self.validate(excerpt, key, exclude=["document"], rename={"start": key, "end": key, "text": key})
            excerpts.append(excerpt)
        return excerpts

    def validate(self, record, key, exclude=(), rename=None):
        """The model's own full_clean; each message filed under the form field it concerns."""
        rename = rename or {}
        try:
            record.full_clean(exclude=list(exclude))
            if isinstance(record, Excerpt):
                errors = record.anchor_errors()
                if errors:
                    raise ValidationError(errors)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                target = rename.get(name, key if name == NON_FIELD_ERRORS else f"{key}.{name}")
                if name in QUANTITY_MODEL_FIELDS:
                    target = f"{key}.quantity"
                for message in messages:
                    if isinstance(record, Excerpt) and "already an excerpt" in message:
                        continue  # the desk reuses the existing excerpt
                    self.errors.add(target, message)

    def quantity(self, key, row, target):
        """The row's number as written (events.quantities.find_quantity), onto the record."""
        written = (row.get("quantity", "") or "").strip()
        try:
            values = find_quantity(written)
        except QuantityError:
            self.errors.add(f"{key}.quantity", f"“{written}” is not a number the desk can read: write "
                                               f"{PHRASE_EXPECTATION}." if written else
                            f"A number is required: {PHRASE_EXPECTATION}.")
            values = {"low": None, "high": None, "qualifier": Qualifier.UNKNOWN, "wording": ""}
        for name, value in values.items():
            setattr(target, name, value)

    def claim(self):
        data = self.data
        claim = Claim(
            document=self.document,
            claimant=self.field("claimant", claimant_of, data.get("claimant")),
            event=self.field("event", event_of, data.get("event")),
            statement=(data.get("statement") or "").strip(),
            stance=self.choice("stance", Claim, "stance", data.get("stance"), Claim.Stance.ASSERTS),
            date_start=self.date("date_start", data.get("date_start")),
            date_end=self.date("date_end", data.get("date_end") or data.get("date_start")),
            credibility=self.choice("credibility", Claim, "credibility", data.get("credibility"),
                                    Claim.Credibility.CANNOT_BE_JUDGED),
        )
        exclude = [name for name in ("claimant", "event", "stance", "credibility") if f"{name}" in self.errors]
        self.validate(claim, "claim", exclude=exclude,
                      rename={name: name for name in ("statement", "date_start", "date_end", "credibility", "stance")})
        return claim

    def rows(self, section):
        rows = self.data.get(section) or []
        if not isinstance(rows, list):
            self.errors.add(section, "Expected a list of rows.")
            return []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):  # refused, not dropped: nothing typed is lost silently
                self.errors.add(f"{section}.{index}", f"A row must be an object of fields; got {row!r:.80}.")
        return [(f"{section}.{index}", row) for index, row in enumerate(rows) if isinstance(row, dict)]

    def figures(self):
        records = []
        for key, row in self.rows("casualty_figures"):
            figure = CasualtyFigure(
                affiliation=self.field(f"{key}.affiliation", actor_of, row.get("affiliation")),
                category=self.choice(f"{key}.category", CasualtyFigure, "category", row.get("category")),
                subgroup=row.get("subgroup") or "",
                outcome=self.choice(f"{key}.outcome", CasualtyFigure, "outcome", row.get("outcome")),
                perpetrator=self.field(f"{key}.perpetrator", actor_of, row.get("perpetrator")),
                place=self.field(f"{key}.place", place_of, row.get("place")),
            )
            self.quantity(key, row, figure)
            self.validate(figure, key, exclude=["claim"])
            records.append(figure)
        return records

    def per_place(self, key, row, model, values):
        """One record per named place (a row may name several places treated alike); none named: one row."""
        places = self.field(f"{key}.places", places_of, row.get("places"))
        if places is None:
            return []
        return [model(place=place, **values) for place in places] or [model(place=None, **values)]

    def equipment(self):
        records = []
        for key, row in self.rows("equipment_losses"):
            equipment_type = self.field(f"{key}.equipment_type", equipment_type_of, row.get("equipment_type"))
            status = self.choice(f"{key}.status", EquipmentLoss, "status", row.get("status"))
            owner = self.field(f"{key}.owner", actor_of, row.get("owner"))
            captor = self.field(f"{key}.captor", actor_of, row.get("captor"))
            values = {"equipment_type": equipment_type, "status": status, "owner": owner, "captor": captor}
            for loss in self.per_place(key, row, EquipmentLoss, values):
                self.quantity(key, row, loss)
                self.validate(loss, key, exclude=["claim"] + (["equipment_type"] if equipment_type is None else []),
                              rename={"place": f"{key}.places"})
                records.append(loss)
        return records

    def territory(self):
        records = []
        for key, row in self.rows("territorial_changes"):
            kind = self.choice(f"{key}.kind", TerritorialChange, "kind", row.get("kind"), TerritorialChange.Kind.CAPTURED)
            gaining = self.field(f"{key}.gaining", actor_of, row.get("gaining"))
            losing = self.field(f"{key}.losing", actor_of, row.get("losing"))
            places = self.field(f"{key}.places", places_of, row.get("places"))
            if places == [] and f"{key}.places" not in self.errors:
                self.errors.add(f"{key}.places", "Name at least one place that changed hands.")
            for place in places or []:
                change = TerritorialChange(place=place, kind=kind, gaining=gaining, losing=losing)
                self.validate(change, key, exclude=["claim"], rename={"place": f"{key}.places"})
                records.append(change)
        return records

    def attacks(self):
        records = []
        for key, row in self.rows("attacks"):
            kind = self.choice(f"{key}.kind", Attack, "kind", row.get("kind"))
            perpetrator = self.field(f"{key}.perpetrator", actor_of, row.get("perpetrator"))
            values = {"kind": kind, "perpetrator": perpetrator, "target": (row.get("target") or "").strip(),
                      "weapon": (row.get("weapon") or "").strip()}
            for attack in self.per_place(key, row, Attack, values):
                self.quantity(key, row, attack)
                self.validate(attack, key, exclude=["claim"], rename={"place": f"{key}.places"})
                records.append(attack)
        return records


    def displacements(self):
        """Each displacement with its places of origin and destination: (record, [place links])."""
        records = []
        for key, row in self.rows("displacements"):
            displacement = Displacement(unit=self.choice(f"{key}.unit", Displacement, "unit", row.get("unit"),
                                                         Displacement.Unit.PEOPLE))
            self.quantity(key, row, displacement)
            self.validate(displacement, key, exclude=["claim"])
            links = {}
            for role, name in ((DisplacementPlace.Role.ORIGIN, "origins"),
                               (DisplacementPlace.Role.DESTINATION, "destinations")):
                for place in self.field(f"{key}.{name}", places_of, row.get(name)) or []:
                    links.setdefault((place.pk, role), DisplacementPlace(location=place, role=role))
            records.append((displacement, list(links.values())))
        return records


class ClaimRefused(Exception):
    """A claim not written: `errors` by form field path, each with what was expected."""

    def __init__(self, errors: Errors):
        super().__init__("; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items()))
        self.errors = errors


def write_claim(document, data: dict, user, *, channel=Channel.ADMIN) -> Claim:
    """Validate the whole form, then write excerpt(s), claim, quote links and rows in one transaction.

    Returns the claim; raises ClaimRefused with every error by field path, and then writes nothing.
    """
    builder = _Builder(document, data)
    excerpts = builder.quotes()
    claim = builder.claim()
    children = [*builder.figures(), *builder.equipment(), *builder.territory(), *builder.attacks()]
    displacements = builder.displacements()
    if builder.errors:
        raise ClaimRefused(builder.errors)
    try:
        with transaction.atomic(), acting(user=user, channel=channel):
            for excerpt in excerpts:
                if excerpt.pk is None:
                    excerpt.save()
            claim.save()
            for excerpt in excerpts:
                link = ClaimExcerpt(claim=claim, excerpt=excerpt)
                link.full_clean()
                link.save()
            for child in children:
                child.claim = claim
                child.save()
            for displacement, links in displacements:
                displacement.claim = claim
                displacement.save()
                for link in links:
                    link.displacement = displacement
                    link.save()
    except ValidationError as error:
        errors = Errors()
        for name, messages in error.message_dict.items():
            for message in messages:
                errors.add("claim" if name == NON_FIELD_ERRORS else name, message)
        raise ClaimRefused(errors) from error
    except IntegrityError as error:
        raise ClaimRefused(Errors({"claim": [f"The database refused the claim: {error}"]})) from error
    return claim
