"""Writing a claim with its quotes and rows: the one path under every door that states claims.

`record_claim(document, claim_fields, rows, quotes, external_id=...)` takes RESOLVED values
(records, whole numbers, qualifiers): each door first reads its own input (the desk its form by
events.naming and events.quantities, the seed loader its file's keys) and then writes here.

- Without an external_id the claim and every row are new (a desk save is a new claim).
- With one, the claim is found by it and each row by its identifying fields within the claim
  (IDENTIFYING_FIELDS), and only what differs is saved (conflictdb.upsert.staged, as upsert):
  writing the same claim twice creates nothing, bumps no version and writes no history. Fields a
  row leaves out stay as stored.

Every record to be written is first validated by the model's own full_clean (an excerpt also by
its anchoring in the text); any problem refuses the claim whole, before anything is written
(`ClaimRecordsRefused`, each problem with its part, index, record and the model's error). Then
excerpts, claim, quote links and rows are saved in one transaction; a save the models or the
database refuse raises the same exception, and the transaction leaves nothing behind.

This lives beside the models rather than in events/desk/: the desk is one door of several.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from conflictdb.upsert import WriteStatus, staged
from events.models import (
    Attack,
    CasualtyFigure,
    Claim,
    ClaimExcerpt,
    Displacement,
    DisplacementPlace,
    EquipmentLoss,
    TerritorialChange,
)
from sources.models import Excerpt

# The rows a claim carries, in the order they are written.
SECTIONS = {
    "casualty_figures": CasualtyFigure,
    "equipment_losses": EquipmentLoss,
    "territorial_changes": TerritorialChange,
    "attacks": Attack,
    "displacements": Displacement,
}
# What tells a row apart from the claim's other rows of its kind: with an external_id, a row is
# found again by these fields (the others are its values).
IDENTIFYING_FIELDS = {
    "casualty_figures": ("affiliation", "category", "subgroup", "outcome", "place"),
    "equipment_losses": ("equipment_type", "status", "owner", "place"),
    "territorial_changes": ("place", "kind"),
    "attacks": ("kind", "place", "perpetrator"),
    "displacements": ("unit",),
}
# A displacement row's place lists (lists of Locations), written as DisplacementPlace links.
PLACE_ROLES = {"origins": DisplacementPlace.Role.ORIGIN, "destinations": DisplacementPlace.Role.DESTINATION}
QUOTES = "quotes"
CLAIM = "claim"


@dataclass
class Problem:
    """One record refused: where it is in the call (part: "claim", "quotes" or a section; index
    in that list), the record, and the model's ValidationError or the database's IntegrityError."""

    part: str
    index: int | None
    record: models.Model
    error: ValidationError | IntegrityError


class ClaimRecordsRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.part}[{p.index}]: {p.error}" for p in problems))
        self.problems = problems


@dataclass
class _Record:
    part: str
    index: int | None
    record: models.Model
    status: WriteStatus
    places: list = field(default_factory=list)  # a displacement's (location, role), in order


@dataclass
class RecordedClaim:
    claim: Claim
    writes: list[tuple[type[models.Model], WriteStatus]]  # every record looked at, and what happened to it


def _stage(model, lookup, values, find: bool):
    """Find and update (when `find`), else a new record."""
    if not find:
        return model(**lookup, **values), WriteStatus.CREATED
    record, status = staged(model, lookup, values)
    if status == WriteStatus.UNCHANGED and any(isinstance(v, models.Model) and v.pk is None for v in values.values()):
        status = WriteStatus.UPDATED  # it points to a record this call creates (part_of)
    return record, status


class ClaimWrite:
    """A claim and its records, staged (found and changed in memory, or new), validated, written."""

    def __init__(self, document, claim_fields: dict, rows: dict[str, list[dict]], quotes=(), *,
                 external_id: str | None = None):
        self.upserting = external_id is not None
        self.quote_problems: list[Problem] = []
        self.excerpts = [self._excerpt(document, index, quote) for index, quote in enumerate(quotes)]
        values = {"document": document, **claim_fields}
        claim, status = (_stage(Claim, {"external_id": external_id}, values, True) if self.upserting
                         else (Claim(**values), WriteStatus.CREATED))
        self.claim = _Record(CLAIM, None, claim, status)
        self.rows: list[_Record] = []
        figures = []
        for section, model in SECTIONS.items():
            for index, row in enumerate(rows.get(section) or []):
                values = {name: value for name, value in row.items() if name not in PLACE_ROLES}
                if "part_of" in values and isinstance(values["part_of"], int):
                    values["part_of"] = figures[values["part_of"]]
                identity = {name: values.pop(name) for name in IDENTIFYING_FIELDS[section]
                            if self.upserting and name in values}
                record, status = _stage(model, {"claim": claim, **identity}, values,
                                        self.upserting and claim.pk is not None)
                places = {}
                for name, role in PLACE_ROLES.items():
                    for place in row.get(name) or []:
                        places.setdefault((place.pk, role), (place, role))
                self.rows.append(_Record(section, index, record, status, list(places.values())))
                if model is CasualtyFigure:
                    figures.append(record)

    def _excerpt(self, document, index, quote) -> _Record:
        """A quote {start, end, text}: the excerpt already at that span, else a new one."""
        start, end, text = quote["start"], quote["end"], quote["text"]
        existing = Excerpt.objects.filter(document=document, start=start, end=end).first()
        if existing is None:
            return _Record(QUOTES, index, Excerpt(document=document, start=start, end=end, text=text),
                           WriteStatus.CREATED)
        if existing.text != text:
            self.quote_problems.append(Problem(QUOTES, index, existing, ValidationError(
                {NON_FIELD_ERRORS: [f"The quote does not match the document at {start}–{end}."]})))
        return _Record(QUOTES, index, existing, WriteStatus.UNCHANGED)

    def problems(self, exclude: dict | None = None) -> list[Problem]:
        """The model validation of every record to be written (unchanged records are not).

        `exclude` maps (part, index) to fields left out, e.g. those a door could not resolve and
        already reported; a record's link to its parent is checked when it is saved.
        """
        exclude = exclude or {}
        found = list(self.quote_problems)
        parents = {QUOTES: ["document"], CLAIM: []}
        for item in [*self.excerpts, self.claim, *self.rows]:
            if item.status == WriteStatus.UNCHANGED:
                continue
            left_out = [*parents.get(item.part, ["claim"]), *exclude.get((item.part, item.index), ())]
            error = model_errors(item.record, left_out)
            if error is not None:
                found.append(Problem(item.part, item.index, item.record, error))
        return found

    def write(self) -> RecordedClaim:
        """Save what differs, in one transaction; raises ClaimRecordsRefused on a refused save."""
        writes = []
        with transaction.atomic():
            for item in self.excerpts:
                self._save(item, writes)
            self._save(self.claim, writes)
            claim = self.claim.record
            for item in self.excerpts:
                find = self.upserting and self.claim.status != WriteStatus.CREATED and item.record.pk is not None
                link, status = _stage(ClaimExcerpt, {"claim": claim, "excerpt": item.record}, {}, find)
                self._save(_Record(QUOTES, item.index, link, status), writes, validate=True)
            for item in self.rows:
                item.record.claim = claim
                existed = item.status != WriteStatus.CREATED
                self._save(item, writes)
                for place, role in item.places:
                    link, status = _stage(DisplacementPlace, {"displacement": item.record, "location": place,
                                                              "role": role}, {}, existed)
                    self._save(_Record(item.part, item.index, link, status), writes)
        return RecordedClaim(claim, writes)

    @staticmethod
    def _save(item: _Record, writes: list, validate=False):
        writes.append((type(item.record), item.status))
        if item.status == WriteStatus.UNCHANGED:
            return
        try:
            with transaction.atomic():  # a savepoint: after a refusal the database still answers
                if validate:
                    item.record.full_clean()
                item.record.save()
        except (ValidationError, IntegrityError) as error:
            raise ClaimRecordsRefused([Problem(item.part, item.index, item.record, error)]) from error


def model_errors(record, exclude=()) -> ValidationError | None:
    """The model's own full_clean (and an excerpt's anchoring), as one ValidationError or None.

    A new excerpt's "already an excerpt" is no problem: the span's excerpt is reused."""
    try:
        record.full_clean(exclude=list(exclude))
        if isinstance(record, Excerpt):
            errors = record.anchor_errors()
            if errors:
                raise ValidationError(errors)
    except ValidationError as error:
        messages = {}
        for name, listed in error.message_dict.items():
            kept = [m for m in listed if not (isinstance(record, Excerpt) and "already an excerpt" in m)]
            if kept:
                messages[name] = kept
        return ValidationError(messages) if messages else None
    return None


def record_claim(document, claim_fields: dict, rows: dict[str, list[dict]], quotes=(), *,
                 external_id: str | None = None) -> RecordedClaim:
    """Validate, then write the claim, its quotes and rows whole, or raise ClaimRecordsRefused."""
    write = ClaimWrite(document, claim_fields, rows, quotes, external_id=external_id)
    problems = write.problems()
    if problems:
        raise ClaimRecordsRefused(problems)
    return write.write()

