"""Writing a claim from the desk's form: the form layer over events.claims.

`write_claim(document, data, user)` turns the posted form into resolved values and writes them
through events.claims (the one claim-writing path, which the seed loader uses too), or nothing:
names are resolved by events.naming (places by the matcher, actors, equipment types and events
by name or alias) and sources.naming, numbers read by events.quantities.find_quantity; then
events.claims validates every record by the model's own full_clean and writes excerpts, claim,
quote links and rows inside `acting(user, channel)` and one transaction. A desk save is always a
new claim (no external_id).

Errors come back keyed by the form's field paths ("equipment_losses.2.places") with the value and
what was expected, so the page shows them beside what was typed and keeps it.
"""

from __future__ import annotations

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date

from conflictdb import malformed
from conflictdb.provenance import Channel, acting
from events.quantities import PHRASE_EXPECTATION, Qualifier, QuantityError, find_quantity
from events import claims
from events.models import (
    Actor,
    Attack,
    CasualtyFigure,
    Claim,
    Displacement,
    EquipmentLoss,
    EquipmentType,
    Event,
    Location,
    TerritorialChange,
)
from events.naming import PlaceNotResolved, actors_named, equipment_types_named, events_named, places_named
from sources.models import Source
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
        if not malformed.valid_pk(by_id.model, pk):
            raise ValidationError(f"“{pk}” is not the id of a {what}: pick one from the list.")
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
    """Turns the posted form into resolved values for events.claims, collecting every error with
    its field path; `places[(part, index)]` remembers which form row each record comes from."""

    def __init__(self, document, data):
        self.document, self.data, self.errors = document, data, Errors()
        self.rows = {section: [] for section in claims.SECTIONS}
        self.form_keys = {}  # (part, index) → (form key, fields left out, renamed fields)

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
        try:  # parse_date raises on a well-formed impossible date (2026-13-45)
            parsed = parse_date(str(value)) if re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.errors.add(key, f"“{value}” is not a date: expected YYYY-MM-DD.")
        return parsed

    def quotes(self):
        quotes = self.data.get("quotes") or []
        if not quotes:
            self.errors.add("quote", "Select a passage of the text first: the claim rests on a quote.")
        if not isinstance(quotes, list):
            self.errors.add("quote", "Quotes must be a list of passages ({start, end, text}).")
            return []
        spans = []
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
            self.form_keys[(claims.QUOTES, len(spans))] = (key, (), {"start": key, "end": key, "text": key})
            spans.append({"start": start, "end": end, "text": text})
        return spans

    def report(self, problems):
        """The model's messages (events.claims' validation), each under the form field it concerns."""
        for problem in problems:
            key, _left_out, rename = self.form_keys[(problem.part, problem.index)]
            for name, messages in problem.error.message_dict.items():
                target = rename.get(name, key if name == NON_FIELD_ERRORS else f"{key}.{name}")
                if name in QUANTITY_MODEL_FIELDS:
                    target = f"{key}.quantity"
                for message in messages:
                    self.errors.add(target, message)

    def quantity(self, key, row) -> dict:
        """The row's number as written (events.quantities.find_quantity)."""
        written = (row.get("quantity", "") or "").strip()
        try:
            return find_quantity(written)
        except QuantityError:
            self.errors.add(f"{key}.quantity", f"“{written}” is not a number the desk can read: write "
                                               f"{PHRASE_EXPECTATION}." if written else
                            f"A number is required: {PHRASE_EXPECTATION}.")
            return {"low": None, "high": None, "qualifier": Qualifier.UNKNOWN, "wording": ""}

    def claim(self) -> dict:
        data = self.data
        fields = {
            "claimant": self.field("claimant", claimant_of, data.get("claimant")),
            "event": self.field("event", event_of, data.get("event")),
            "statement": (data.get("statement") or "").strip(),
            "stance": self.choice("stance", Claim, "stance", data.get("stance"), Claim.Stance.ASSERTS),
            "date_start": self.date("date_start", data.get("date_start")),
            "date_end": self.date("date_end", data.get("date_end") or data.get("date_start")),
            "credibility": self.choice("credibility", Claim, "credibility", data.get("credibility"),
                                       Claim.Credibility.CANNOT_BE_JUDGED),
        }
        left_out = [name for name in ("claimant", "event", "stance", "credibility") if f"{name}" in self.errors]
        self.form_keys[(claims.CLAIM, None)] = (
            "claim", left_out, {name: name for name in ("statement", "date_start", "date_end", "credibility", "stance")})
        return fields

    def add(self, section, key, values, left_out=(), rename=None):
        """One record of `section` from the form row at `key`."""
        self.form_keys[(section, len(self.rows[section]))] = (key, left_out, rename or {})
        self.rows[section].append(values)

    def form_rows(self, section):
        rows = self.data.get(section) or []
        if not isinstance(rows, list):
            self.errors.add(section, "Expected a list of rows.")
            return []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):  # refused, not dropped: nothing typed is lost silently
                self.errors.add(f"{section}.{index}", f"A row must be an object of fields; got {row!r:.80}.")
        return [(f"{section}.{index}", row) for index, row in enumerate(rows) if isinstance(row, dict)]

    def part_of(self, key, index, value):
        """A figure's whole: the form index of a figure row above it ("14 civilians" of "27 people")."""
        if value in (None, ""):
            return None
        try:
            whole = int(value)
        except (TypeError, ValueError):
            whole = -1
        if not 0 <= whole < index:
            self.errors.add(f"{key}.part_of", f"“{value}” is not a figure row above this one: pick the larger "
                                              "figure this one is part of from the list.")
            return None
        return whole

    def figures(self):
        for index, (key, row) in enumerate(self.form_rows("casualty_figures")):
            whole = self.part_of(key, index, row.get("part_of"))
            values = {
                **({"part_of": whole} if whole is not None else {}),
                "affiliation": self.field(f"{key}.affiliation", actor_of, row.get("affiliation")),
                "category": self.choice(f"{key}.category", CasualtyFigure, "category", row.get("category")),
                "subgroup": row.get("subgroup") or "",
                "outcome": self.choice(f"{key}.outcome", CasualtyFigure, "outcome", row.get("outcome")),
                "perpetrator": self.field(f"{key}.perpetrator", actor_of, row.get("perpetrator")),
                "place": self.field(f"{key}.place", place_of, row.get("place")),
            }
            self.add("casualty_figures", key, {**values, **self.quantity(key, row)})

    def per_place(self, key, row):
        """The places a row names (several treated alike: one record each); none named: [None]."""
        places = self.field(f"{key}.places", places_of, row.get("places"))
        if places is None:
            return []
        return places or [None]

    def equipment(self):
        for key, row in self.form_rows("equipment_losses"):
            equipment_type = self.field(f"{key}.equipment_type", equipment_type_of, row.get("equipment_type"))
            values = {"equipment_type": equipment_type,
                      "status": self.choice(f"{key}.status", EquipmentLoss, "status", row.get("status")),
                      "owner": self.field(f"{key}.owner", actor_of, row.get("owner")),
                      "captor": self.field(f"{key}.captor", actor_of, row.get("captor"))}
            for place in self.per_place(key, row):
                self.add("equipment_losses", key, {"place": place, **values, **self.quantity(key, row)},
                         left_out=["equipment_type"] if equipment_type is None else [],
                         rename={"place": f"{key}.places"})

    def territory(self):
        for key, row in self.form_rows("territorial_changes"):
            kind = self.choice(f"{key}.kind", TerritorialChange, "kind", row.get("kind"), TerritorialChange.Kind.CAPTURED)
            gaining = self.field(f"{key}.gaining", actor_of, row.get("gaining"))
            losing = self.field(f"{key}.losing", actor_of, row.get("losing"))
            places = self.field(f"{key}.places", places_of, row.get("places"))
            if places == [] and f"{key}.places" not in self.errors:
                self.errors.add(f"{key}.places", "Name at least one place that changed hands.")
            for place in places or []:
                self.add("territorial_changes", key, {"place": place, "kind": kind, "gaining": gaining, "losing": losing},
                         rename={"place": f"{key}.places"})

    def attacks(self):
        for key, row in self.form_rows("attacks"):
            values = {"kind": self.choice(f"{key}.kind", Attack, "kind", row.get("kind")),
                      "perpetrator": self.field(f"{key}.perpetrator", actor_of, row.get("perpetrator")),
                      "target": (row.get("target") or "").strip(), "weapon": (row.get("weapon") or "").strip()}
            for place in self.per_place(key, row):
                self.add("attacks", key, {"place": place, **values, **self.quantity(key, row)},
                         rename={"place": f"{key}.places"})

    def displacements(self):
        """Each displacement with its places of origin and destination."""
        for key, row in self.form_rows("displacements"):
            values = {"unit": self.choice(f"{key}.unit", Displacement, "unit", row.get("unit"), Displacement.Unit.PEOPLE),
                      **self.quantity(key, row)}
            for name in claims.PLACE_ROLES:
                values[name] = self.field(f"{key}.{name}", places_of, row.get(name)) or []
            self.add("displacements", key, values)


class ClaimRefused(Exception):
    """A claim not written: `errors` by form field path, each with what was expected."""

    def __init__(self, errors: Errors):
        super().__init__("; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items()))
        self.errors = errors


def write_claim(document, data: dict, user, *, channel=Channel.ADMIN) -> Claim:
    """Resolve the whole form, validate every record (events.claims), then write excerpt(s),
    claim, quote links and rows in one transaction through events.claims.

    Returns the claim; raises ClaimRefused with every error by field path, and then writes nothing.
    """
    builder = _Builder(document, data)
    quotes = builder.quotes()
    claim_fields = builder.claim()
    builder.figures()
    builder.equipment()
    builder.territory()
    builder.attacks()
    builder.displacements()
    write = claims.ClaimWrite(document, claim_fields, builder.rows, quotes)
    builder.report(write.problems(exclude={place: left_out for place, (_key, left_out, _rename)
                                           in builder.form_keys.items()}))
    if builder.errors:
        raise ClaimRefused(builder.errors)
    try:
        with transaction.atomic(), acting(user=user, channel=channel):
            return write.write().claim
    except claims.ClaimRecordsRefused as refused:
        error = refused.problems[0].error
        if isinstance(error, IntegrityError):
            raise ClaimRefused(Errors({"claim": [f"The database refused the claim: {error}"]})) from error
        errors = Errors()
        for name, messages in error.message_dict.items():
            for message in messages:
                errors.add("claim" if name == NON_FIELD_ERRORS else name, message)
        raise ClaimRefused(errors) from error
