"""Control over time, derived from territorial-change claims.

Rules (one home; the API and the admin call these):
- A change's date is its own date, else its claim's latest date, else its claim's earliest
  date, else its event's latest date. Changes without any date are left out (and counted).
- Claims and changes that are retracted or false are left out; disputed ones count but are
  flagged.
- "Who controlled X on D": the latest dated change of X on or before D decides. A capture or
  recapture gives control to the gaining actor; a withdrawal takes it from the losing actor
  (controller unknown unless a gaining actor is named); "contested" means nobody clearly.
  When claims on that latest date disagree about the controller, the answer is "disputed" and
  every claim is listed.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import DateField, F, Q
from django.db.models.functions import Coalesce

from conflictdb.models import VerificationStatus
from events.models import Actor, Location, TerritorialChange
from events.selectors import area_and_descendants

_EXCLUDED = [VerificationStatus.RETRACTED, VerificationStatus.FALSE]


def dated_changes():
    return (
        TerritorialChange.objects.exclude(verification_status__in=_EXCLUDED)
        .exclude(claim__verification_status__in=_EXCLUDED)
        .annotate(effective_date=Coalesce(F("date"), F("claim__date_end"), F("claim__date_start"),
                                          F("claim__event__date_end"), output_field=DateField()))
        .select_related("place", "gaining", "losing", "claim__claimant", "claim__document")
        .prefetch_related("claim__excerpts")
    )


def _controller_after(change) -> Actor | None:
    if change.kind in (TerritorialChange.Kind.CAPTURED, TerritorialChange.Kind.RECAPTURED):
        return change.gaining
    if change.kind == TerritorialChange.Kind.WITHDRAWN:
        return change.gaining  # usually None: the loser left, the new holder is not named
    return None


@dataclass
class ControlAnswer:
    place: Location
    date: datetime.date
    status: str  # "controlled", "disputed", "contested" or "unknown"
    controller: Actor | None
    deciding: list = field(default_factory=list)  # the changes of the deciding date
    earlier: list = field(default_factory=list)  # the changes before it, newest first

    @property
    def summary(self) -> str:
        if self.status == "controlled":
            sources = ", ".join(sorted({c.claim.claimant.public_label or c.claim.claimant.name for c in self.deciding}))
            return (f"{self.place} was held by {self.controller} on {self.date:%Y-%m-%d}, according to "
                    f"{len(self.deciding)} claim(s) of {self.deciding[0].effective_date:%Y-%m-%d} ({sources}).")
        if self.status == "disputed":
            return f"Claims of {self.deciding[0].effective_date:%Y-%m-%d} disagree about who held {self.place}."
        if self.status == "contested":
            return f"{self.place} was reported contested on {self.deciding[0].effective_date:%Y-%m-%d}."
        return f"No dated territorial claim about {self.place} on or before {self.date:%Y-%m-%d}."


def control_of(place: Location, on: datetime.date) -> ControlAnswer:
    """Who controlled `place` on `on`, according to which claims."""
    changes = list(dated_changes().filter(place=place, effective_date__lte=on).order_by("-effective_date", "-id"))
    if not changes:
        return ControlAnswer(place, on, "unknown", None)
    latest = changes[0].effective_date
    deciding = [c for c in changes if c.effective_date == latest]
    earlier = [c for c in changes if c.effective_date != latest]
    controllers = {(_controller_after(c).pk if _controller_after(c) else None) for c in deciding
                   if c.kind != TerritorialChange.Kind.CONTESTED}
    if not controllers:
        return ControlAnswer(place, on, "contested", None, deciding, earlier)
    if len(controllers) > 1:
        return ControlAnswer(place, on, "disputed", None, deciding, earlier)
    controller = _controller_after(deciding[0]) if None not in controllers else None
    status = "controlled" if controller is not None else "unknown"
    return ControlAnswer(place, on, status, controller, deciding, earlier)


def changes_between(date_from: datetime.date, date_to: datetime.date, *, within: Location | None = None):
    """Territorial changes dated within [date_from, date_to] (optionally inside an area), by place."""
    changes = dated_changes().filter(effective_date__gte=date_from, effective_date__lte=date_to)
    if within is not None:
        changes = changes.filter(Q(place_id__in=area_and_descendants([within.pk])))
    by_place: dict[int, list] = {}
    for change in changes.order_by("place__name", "effective_date", "id"):
        by_place.setdefault(change.place_id, []).append(change)
    return by_place
