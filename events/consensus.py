"""Corroboration, conflicts and consensus figures: the one home of how claims about the same
event are weighed against each other. The methodology page (docs/methodology.md) explains
these rules for researchers; keep the two in step.

Independence. Two claims are *not* independent when they rest on the same original document
(a translation, republication, summary or excerpt is followed back through `derived_from` to
its original) or relay the same claimant (two outlets quoting one monitor are one source).
Claims linked by either relation, directly or through others, form one *source group*;
independent sources = the number of groups.

Comparable figures. Casualty figures compare when they share party (affiliation), category,
subgroup and outcome; equipment losses when they share equipment type and status; territorial
changes when they share place and kind. Two figures *agree* when their ranges overlap
([low, high], an open-ended figure reaching to infinity); a figure without a number agrees
with nothing and contradicts nothing.

Corroboration. A claim may be marked corroborated when, counting itself, at least two
independent source groups state an agreeing figure for one of its figures (same event).

Consensus (per event and casualty-figure key), recomputed whenever a claim, figure, document
or source that feeds it is saved:
- used: claims of the event that assert the figure, unless retracted or marked false, graded
  credibility 5 (improbable) or their claimant is graded E (unreliable) — each excluded claim is
  listed with its reason;
- low  = the lowest low among used figures with a number;
- high = the highest high, and unknown (null) when any used figure is open-ended;
- best = the figure of the best-graded used claim (reliability A→D, then F; credibility 1→4,
  then 6; verified before corroborated before unverified before disputed; exact before range
  before bounded; earliest recorded first): exact → the number, range → its midpoint rounded
  down, "about" / "at least" / "more than" → its low; words alone ("dozens") → unknown;
- conflicting when the used figures' ranges do not all overlap (some low above another's high).
Unknown stays unknown: with no number among the used figures low, best and high are null.

When it is recomputed. A single save (admin, API, desk, seed loader, a verification transition,
a regrade) recomputes the events it feeds at once, in its own transaction. An import (or a
dataset layout) only marks the events it touched *stale* (`mark_stale`, a `StaleConsensus` row
written in the import's transaction) and, once it commits, enqueues the background job
`events.tasks.refresh_consensus`, which runs `refresh_stale()`: recompute, then clear the mark.
Until then the API (`consensus_stale: true` on the event and its consensus) and the admin
(column and filter on events) say the figures are out of date. `manage.py refresh_consensus`
runs the same refresh by hand (or recomputes every event with --all).

Disagreement (per event, recomputed with its consensus): a claim *dissents* — and its event and
every consensus figure of it are *contested* — when it
- denies the event (stance `denies`) or explains it otherwise (stance `explains`: an accident, a
  different cause); it contradicts every asserting claim of the event;
- names another perpetrator for the same attack: two asserting claims of the event report
  attacks on the same place (or one names no place) by perpetrators that differ, neither a
  coalition the other belongs to; each of the two claims dissents, naming its perpetrator.
Retracted claims and claims marked false dissent from nothing; every other grade does (the
grade is shown beside it, the reader weighs it). Each dissent is kept as a `Dissent` row (claim,
kind, perpetrator, the claims it contradicts); who says it is the claim's claimant, shown to
each reader as conflictdb.protection allows. `conflicting` stays the range rule above.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connections, transaction
from django.utils import timezone

from conflictdb import bulk, signals, verification
from conflictdb.models import VerificationStatus as S
from events.quantities import best_estimate
from events.models import (
    ActorMembership,
    Attack,
    CasualtyFigure,
    Claim,
    ConsensusFigure,
    Dissent,
    EquipmentLoss,
    Event,
    StaleConsensus,
    TerritorialChange,
)
from events.vocabularies import Qualifier
from sources.models import Document, Source

EXCLUDED_STATUSES = {S.RETRACTED: "retracted", S.FALSE: "marked false"}
RELIABILITY_RANK = {grade: rank for rank, grade in enumerate("ABCDFE")}
CREDIBILITY_RANK = {grade: rank for rank, grade in enumerate((1, 2, 3, 4, 6, 5))}
STATUS_RANK = {S.VERIFIED: 0, S.CORROBORATED: 1, S.UNVERIFIED: 2, S.DISPUTED: 3}
PRECISION_RANK = {Qualifier.EXACT: 0, Qualifier.RANGE: 1, Qualifier.ABOUT: 2}
DISSENTING_STANCES = {Claim.Stance.DENIES: Dissent.Kind.DENIAL, Claim.Stance.EXPLAINS: Dissent.Kind.EXPLANATION}
DISSENT_REASON = {Claim.Stance.DENIES: "the claim denies it", Claim.Stance.EXPLAINS: "the claim explains it otherwise"}


# --- independence -------------------------------------------------------------------------------

def original_documents(document_ids) -> dict[int, int]:
    """document id → the id of the original it derives from (itself when it is an original)."""
    parent, todo = {}, set(document_ids)
    while todo:
        pending, rows = sorted(todo), []
        for start in range(0, len(pending), 5000):  # under SQLite's variable limit
            rows += Document.objects.filter(pk__in=pending[start : start + 5000]).values_list("pk", "derived_from_id")
        parent.update(rows)
        todo = {p for _, p in rows if p is not None and p not in parent}
    roots = {}
    for doc in document_ids:
        seen, current = set(), doc
        while parent.get(current) is not None and current not in seen:
            seen.add(current)
            current = parent[current]
        roots[doc] = current
    return roots


class _Groups:
    """Union-find over claims: same original document or same claimant → one source group."""

    def __init__(self, claims, roots):
        self.parent = {c.pk: c.pk for c in claims}
        self.why = {}
        by_root, by_claimant = {}, {}
        for claim in claims:
            root = roots[claim.document_id]
            if root in by_root:
                first = by_root[root]
                if claim.document_id == first.document_id:
                    why = f"claim #{claim.pk} comes from the same document as claim #{first.pk}"
                else:
                    why = (f"claim #{claim.pk}'s document and claim #{first.pk}'s derive from one original "
                           f"(a translation, republication, summary or excerpt)")
                self._join(first.pk, claim.pk, why)
            else:
                by_root[root] = claim
            if claim.claimant_id in by_claimant:
                first = by_claimant[claim.claimant_id]
                self._join(first.pk, claim.pk, f"claim #{claim.pk} relays the same claimant as claim #{first.pk}")
            else:
                by_claimant[claim.claimant_id] = claim

    def find(self, pk):
        while self.parent[pk] != pk:
            self.parent[pk] = self.parent[self.parent[pk]]
            pk = self.parent[pk]
        return pk

    def _join(self, a, b, why):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
        self.why.setdefault(b, why)

    def count(self, pks) -> int:
        if len(pks) <= 1:  # one claim is one group (most figures are stated by one claim)
            return len(pks)
        return len({self.find(pk) for pk in pks})


def count_source_groups(claims, roots) -> int:
    """Independent sources among claims given as (document id, claimant id) — the rule of
    _Groups without its reasons, for totals over many claims (events.aggregates). Claims sharing
    an original document (`roots`, from original_documents) or a claimant are one group; each
    claim links its original to its claimant, so the groups are the linked sets of both."""
    parent = {}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for document, claimant in claims:
        a, b = 2 * roots[document], 2 * claimant + 1  # originals even, claimants odd: one id space
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    return sum(1 for node in parent if parent[node] == node) if parent else 0


# --- comparable facts ---------------------------------------------------------------------------

class Fact(NamedTuple):  # a tuple: an import makes one per figure, and tuples are cheap to make
    claim_id: int
    kind: str
    key: tuple
    low: int | None
    high: int | None  # None with a low: open-ended
    qualifier: str
    figure_id: int

    @property
    def has_number(self):
        return self.low is not None or self.high is not None

    def agrees_with(self, other) -> bool:
        if not (self.has_number and other.has_number):
            return False
        lo1, hi1 = self.low or 0, self.high if self.high is not None else float("inf")
        lo2, hi2 = other.low or 0, other.high if other.high is not None else float("inf")
        return lo1 <= hi2 and lo2 <= hi1


def _values(queryset) -> list[tuple]:
    """A values_list queryset's rows straight from the cursor: its columns (ids, numbers, text)
    need no conversion, and an import reads one row per figure."""
    if (compiled := bulk.sql_of(queryset)) is None:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(*compiled)
        return cursor.fetchall()


def _facts(claim_ids=None, *, event_ids=None):
    """Comparable facts by claim id, for the given claims or for every claim of the given events."""
    scope = {"claim_id__in": claim_ids} if event_ids is None else {"claim__event_id__in": event_ids}
    facts = defaultdict(list)
    for claim, aff, cat, sub, out, low, high, qual, pk in _values(CasualtyFigure.objects.filter(**scope).values_list(
            "claim_id", "affiliation_id", "category", "subgroup", "outcome", "low", "high", "qualifier", "pk")):
        facts[claim].append(Fact(claim, "casualties", (aff, cat, sub or "", out), low, high, qual, pk))
    for claim, etype, status, low, high, qual, pk in _values(EquipmentLoss.objects.filter(**scope).values_list(
            "claim_id", "equipment_type_id", "status", "low", "high", "qualifier", "pk")):
        facts[claim].append(Fact(claim, "equipment", (etype, status), low, high, qual, pk))
    for claim, place, kind, pk in _values(TerritorialChange.objects.filter(**scope).values_list(
            "claim_id", "place_id", "kind", "pk")):
        facts[claim].append(Fact(claim, "territory", (place, kind), 1, 1, Qualifier.EXACT, pk))
    return facts


_CLAIM_FIELDS = ("pk", "event_id", "document_id", "claimant_id", "claimant__reliability", "credibility", "stance",
                 "verification_status")


def _event_claims(event_id):
    return list(Claim.objects.filter(event_id=event_id).select_related("claimant").only(*_CLAIM_FIELDS))


# --- corroboration ------------------------------------------------------------------------------

@dataclass
class Corroboration:
    claim_id: int
    supporting: list = field(default_factory=list)  # claim ids stating an agreeing figure
    independent_sources: int = 0
    not_independent: list = field(default_factory=list)  # reasons, for the verifier
    refusal: str | None = None

    def as_dict(self):
        return {"claim": self.claim_id, "supporting_claims": self.supporting,
                "independent_sources": self.independent_sources, "not_independent": self.not_independent,
                "can_be_corroborated": self.refusal is None, "reason": self.refusal or ""}


def corroboration(claim) -> Corroboration:
    """Which other claims of the same event agree with this one, and how many are independent."""
    result = Corroboration(claim.pk)
    if claim.event_id is None:
        result.refusal = "it is not attached to an event, so there is nothing to compare it with."
        return result
    # Supporters must be claims the consensus would count (not retracted/false, asserting,
    # credible enough, from a claimant not graded unreliable).
    claims = [c for c in _event_claims(claim.event_id) if c.pk == claim.pk or _exclusion(c) is None]
    facts = _facts([c.pk for c in claims])
    own = [f for f in facts.get(claim.pk, []) if f.has_number]
    if not own:
        result.refusal = ("it states no figure to compare (a casualty figure or equipment loss with a number, "
                          "or a territorial change).")
        return result
    supporting = sorted({other.claim_id for mine in own for others in facts.values() for other in others
                         if other.claim_id != claim.pk and other.kind == mine.kind and other.key == mine.key
                         and other.agrees_with(mine)})
    result.supporting = supporting
    considered = [c for c in claims if c.pk == claim.pk or c.pk in supporting]
    groups = _Groups(considered, original_documents({c.document_id for c in considered}))
    result.independent_sources = groups.count([claim.pk, *supporting])
    result.not_independent = [groups.why[pk] for pk in [claim.pk, *supporting] if pk in groups.why]
    if result.independent_sources < 2:
        why = "; ".join(result.not_independent)
        result.refusal = (
            f"corroboration needs agreeing figures from two independent sources, and it has "
            f"{result.independent_sources}" + (f" ({why})" if why else "") + "."
        )
    return result


# --- consensus ----------------------------------------------------------------------------------

def _best_value(fact):
    return best_estimate(fact.low, fact.high, fact.qualifier)  # the one reader's rule (events.quantities)


def _exclusion(claim):
    if claim.verification_status in EXCLUDED_STATUSES:
        return f"the claim is {EXCLUDED_STATUSES[claim.verification_status]}"
    if claim.stance != Claim.Stance.ASSERTS:
        return DISSENT_REASON.get(claim.stance, "the claim does not assert it")
    if claim.credibility == 5:
        return "credibility 5 (improbable)"
    if claim.claimant.reliability == "E":
        return "the claimant is graded E (unreliable)"
    return None


def _claim_rank(claim):
    """The claim's part of the best-figure order (the figure's precision and the claim id follow)."""
    return (RELIABILITY_RANK.get(claim.claimant.reliability, 9), CREDIBILITY_RANK.get(claim.credibility, 9),
            STATUS_RANK.get(claim.verification_status, 9))


# --- disagreement -------------------------------------------------------------------------------

class AttackFact(NamedTuple):
    claim_id: int
    place_id: int | None
    perpetrator_id: int | None


def _attack_facts(event_ids) -> dict[int, list[AttackFact]]:
    """Attacks by claim id, for every claim of the given events."""
    attacks = defaultdict(list)
    for claim, place, perpetrator in _values(Attack.objects.filter(claim__event_id__in=event_ids)
                                             .values_list("claim_id", "place_id", "perpetrator_id")):
        attacks[claim].append(AttackFact(claim, place, perpetrator))
    return attacks


def _coalition_pairs(attacks) -> set[tuple[int, int]]:
    """(member, coalition) pairs among the perpetrators named: a coalition and its member are not
    two different perpetrators."""
    actors = {a.perpetrator_id for facts in attacks.values() for a in facts} - {None}
    if len(actors) < 2:
        return set()
    return set(ActorMembership.objects.filter(member__in=actors, coalition__in=actors)
               .values_list("member_id", "coalition_id"))


def _different_perpetrators(a, b, coalitions) -> bool:
    return (a is not None and b is not None and a != b
            and (a, b) not in coalitions and (b, a) not in coalitions)


def _same_attack(a: AttackFact, b: AttackFact) -> bool:
    return a.place_id is None or b.place_id is None or a.place_id == b.place_id


def _dissents(event_id, claims, attacks, coalitions) -> list[dict]:
    """The dissent rows of one event (unsaved dicts): denials, other explanations, other perpetrators."""
    counted = [c for c in claims if c.verification_status not in EXCLUDED_STATUSES]
    asserting = [c.pk for c in counted if c.stance == Claim.Stance.ASSERTS]
    rows = [{"event_id": event_id, "claim_id": c.pk, "kind": DISSENTING_STANCES[c.stance], "perpetrator_id": None,
             "against": asserting} for c in counted if c.stance in DISSENTING_STANCES]
    named = [a for pk in asserting for a in attacks.get(pk, ()) if a.perpetrator_id is not None]
    against = defaultdict(set)  # (claim, its perpetrator) → claims naming another for the same attack
    for i, mine in enumerate(named):
        for other in named[i + 1:]:
            if (mine.claim_id != other.claim_id and _same_attack(mine, other)
                    and _different_perpetrators(mine.perpetrator_id, other.perpetrator_id, coalitions)):
                against[(mine.claim_id, mine.perpetrator_id)].add(other.claim_id)
                against[(other.claim_id, other.perpetrator_id)].add(mine.claim_id)
    rows += [{"event_id": event_id, "claim_id": claim, "kind": Dissent.Kind.PERPETRATOR, "perpetrator_id": actor,
              "against": sorted(others)} for (claim, actor), others in sorted(against.items())]
    return rows


def contested_events():
    """Ids of contested events (a subquery): some claim about them dissents."""
    return Dissent.objects.values("event_id")


def conflicting_events():
    """Ids of events with a conflicting consensus figure (a subquery)."""
    return ConsensusFigure.objects.filter(conflicting=True).values("event_id")


def of_event(event, dissents=None, figures=None) -> dict:
    """An event's consensus as the doors show it: contested, conflicting, its dissenting claims
    and its figures (querysets may be given with what their readers prefetch)."""
    dissents = list(event.dissents.all() if dissents is None else dissents)
    figures = list(event.consensus_figures.all() if figures is None else figures)
    return {"event": event.pk, "contested": bool(dissents), "conflicting": any(f.conflicting for f in figures),
            "consensus_stale": event.consensus_stale, "dissent": dissents, "figures": figures}


def _rows(event_id, claims, facts, roots, contested=False) -> list[dict]:
    """The consensus rows of one event (unsaved dicts), one per casualty-figure key."""
    # What depends only on the claim is worked out once per claim, not once per figure.
    excluded = {c.pk: _exclusion(c) for c in claims}
    grades = {c.pk: f"{c.claimant.reliability}{c.credibility}" for c in claims}
    ranks = {c.pk: _claim_rank(c) for c in claims}
    groups = _Groups(claims, roots)
    keyed = defaultdict(list)
    for claim in claims:
        for fact in facts.get(claim.pk, ()):
            if fact.kind == "casualties":
                keyed[fact.key].append(fact)
    rows = []
    for (affiliation, category, subgroup, outcome), key_facts in sorted(keyed.items(), key=lambda kv: str(kv[0])):
        basis, used = [], []
        if len(key_facts) > 1:
            key_facts.sort(key=lambda f: f.claim_id)
        for fact in key_facts:
            claim_id = fact.claim_id
            why_not = excluded[claim_id]
            has_number = fact.low is not None or fact.high is not None
            basis.append({"claim": claim_id, "figure": fact.figure_id, "grade": grades[claim_id], "low": fact.low,
                          "high": fact.high, "qualifier": fact.qualifier, "used": why_not is None,
                          "reason": why_not or ("used" if has_number else "no number stated")})
            if why_not is None and has_number:
                used.append(fact)
        if len(used) == 1:  # one figure (the common case): the rules below, worked out for one
            top = used[0] if _best_value(used[0]) is not None else None
            low, high, conflicting = used[0].low, used[0].high, False  # a figure's low never exceeds its high
        else:
            low = min((f.low for f in used if f.low is not None), default=None)
            high = None if not used or any(f.high is None for f in used) else max(f.high for f in used)
            ranked = [(ranks[f.claim_id] + (PRECISION_RANK.get(f.qualifier, 3), f.claim_id), f) for f in used
                      if _best_value(f) is not None]
            top = min(ranked, key=lambda pair: pair[0])[1] if ranked else None
            max_low = max((f.low or 0 for f in used), default=0)
            min_high = min((f.high for f in used if f.high is not None), default=None)
            conflicting = min_high is not None and max_low > min_high
        best = _best_value(top) if top is not None else None
        for entry in basis:
            if top is not None and entry["figure"] == top.figure_id:
                entry["reason"] = "used; best: the best-graded claim"
            if conflicting and entry["used"] and (entry["low"] is not None or entry["high"] is not None):
                fact = next(f for f in used if f.figure_id == entry["figure"])
                entry["conflict"] = any(not fact.agrees_with(other) for other in used)
        used_claims = {f.claim_id for f in used}
        rows.append({"event_id": event_id, "affiliation_id": affiliation, "category": category, "subgroup": subgroup,
                     "outcome": outcome, "low": low, "best": best, "high": high, "claims_used": len(used_claims),
                     "independent_sources": groups.count(used_claims), "conflicting": conflicting,
                     "contested": contested, "basis": basis})
    return rows


# Events per round of recomputation: keeps every IN (...) list under SQLite's variable limit.
_RECOMPUTE_CHUNK = 500


def recompute(event_ids):
    """Rewrite the consensus rows of these events (called on every relevant save, and once per
    import). A fixed number of queries per chunk of events, not per event."""
    event_ids = sorted({pk for pk in event_ids if pk is not None})
    if not event_ids:
        return
    fields = bulk.columns(ConsensusFigure, exclude=("id", "computed_at"))
    attnames = [field.attname for field in fields]
    dissent_fields = bulk.columns(Dissent, exclude=("id", "computed_at"))
    dissent_attnames = [field.attname for field in dissent_fields]
    with transaction.atomic():
        for start in range(0, len(event_ids), _RECOMPUTE_CHUNK):
            chunk = event_ids[start : start + _RECOMPUTE_CHUNK]
            claims = list(Claim.objects.filter(event_id__in=chunk).select_related("claimant").only(*_CLAIM_FIELDS)
                          .order_by("event_id", "pk"))
            facts = _facts(event_ids=chunk)
            roots = original_documents({c.document_id for c in claims})
            by_event = defaultdict(list)
            for claim in claims:
                by_event[claim.event_id].append(claim)
            attacks = _attack_facts(chunk)
            coalitions = _coalition_pairs(attacks)
            ConsensusFigure.objects.filter(event_id__in=chunk).delete()
            Dissent.objects.filter(event_id__in=chunk).delete()
            # Lists, not generators: nothing may query the connection while COPY writes to it.
            dissents = [row for event_id in chunk
                        for row in _dissents(event_id, by_event[event_id], attacks, coalitions)]
            contested = {row["event_id"] for row in dissents}
            rows = [row for event_id in chunk
                    for row in _rows(event_id, by_event[event_id], facts, roots, event_id in contested)]
            now = timezone.now()
            bulk.insert(ConsensusFigure, fields, ([row[name] for name in attnames] for row in rows),
                        shared={"computed_at": now})
            if dissents:
                bulk.insert(Dissent, dissent_fields, ([row[name] for name in dissent_attnames] for row in dissents),
                            shared={"computed_at": now})


def recompute_for_claims(claim_ids):
    recompute(set(Claim.objects.filter(pk__in=claim_ids).values_list("event_id", flat=True)))


def conflicting_claim_ids() -> set[int]:
    """Claims whose figure conflicts with another credible claim's (the verifiers' worklist)."""
    ids = set()
    for basis in ConsensusFigure.objects.filter(conflicting=True).values_list("basis", flat=True):
        ids.update(entry["claim"] for entry in basis if entry.get("conflict"))
    return ids


# --- keeping consensus current --------------------------------------------------------------------

def derived_documents(*document_ids) -> set[int]:
    """The documents and every document derived from them, however many steps down."""
    found, frontier = set(document_ids), set(document_ids)
    while frontier:
        frontier = set(Document.objects.filter(derived_from__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def events_of_documents(document_ids) -> set[int]:
    """Events whose claims rest on these documents or on documents derived from them."""
    return set(Claim.objects.filter(document__in=derived_documents(*document_ids)).exclude(event=None)
               .values_list("event_id", flat=True))


def _follow_writes(sender, records, deferred=False, **kwargs):
    """Recompute the events what was written feeds: claims (and the event a claim moved from),
    figures (and the claim a figure moved from), changed documents (their origin decides which
    claims are independent) and regraded sources. One recompute per delivery, however many
    records: a single save, a bulk write, or a whole import (conflictdb.signals.collecting, which
    delivers deferred: the events are marked stale and refreshed by a background job)."""
    events = set()
    if sender is Claim:
        for claim in records:
            events |= {claim.event_id, getattr(claim, "_loaded_event_id", None)}
            claim._loaded_event_id = claim.event_id
    elif sender in (CasualtyFigure, Attack):  # attacks: who is named as perpetrator may contest the event
        claims = set()
        for figure in records:
            claims |= {figure.claim_id, getattr(figure, "_loaded_claim_id", None)}  # a moved figure leaves one event
            figure._loaded_claim_id = figure.claim_id
        claims.discard(None)
        if claims:
            events = set(Claim.objects.filter(pk__in=claims).values_list("event_id", flat=True))
    elif sender is ActorMembership:  # a coalition and its member are one perpetrator
        actors = {pk for m in records for pk in (m.member_id, m.coalition_id)}
        events = set(Claim.objects.filter(attacks__perpetrator__in=actors).exclude(event=None)
                     .values_list("event_id", flat=True))
    elif sender is Document:  # a new document has no claims yet: events_of_documents finds none
        events = events_of_documents([document.pk for document in records if document.pk is not None])
    elif sender is Source:
        regraded = [source.pk for source in records if getattr(source, "_regrading", False)]  # only regrade() changes a reliability
        if regraded:
            events = set(Claim.objects.filter(claimant__in=regraded).exclude(event=None)
                         .values_list("event_id", flat=True))
    if deferred:  # an import: marked now, recomputed by the background job after the commit
        mark_stale(events)
    else:
        recompute(events)


# --- stale consensus: the background refresh after an import -------------------------------------

def mark_stale(event_ids) -> int:
    """Mark these events' consensus out of date (in the caller's transaction) and, once that
    transaction commits, enqueue the background refresh. Returns how many events were marked."""
    event_ids = sorted({pk for pk in event_ids if pk is not None})
    if not event_ids:
        return 0
    now = timezone.now()
    # A mark that exists already is moved to now: a refresh running meanwhile must not clear it.
    StaleConsensus.objects.bulk_create([StaleConsensus(event_id=pk, marked_at=now) for pk in event_ids],
                                       batch_size=_RECOMPUTE_CHUNK, update_conflicts=True,
                                       unique_fields=["event"], update_fields=["marked_at"])
    transaction.on_commit(_refresh_later)
    return len(event_ids)


def refresh_stale(limit: int | None = None) -> int:
    """Recompute every event marked stale and clear its mark; returns how many were refreshed.

    One transaction per chunk of events; the chunk's marks are locked first (PostgreSQL: another
    worker skips them, and an import marking one of them again waits and marks it anew after
    this commit; SQLite: the transaction holds the write lock), so a mark is cleared only by the
    recomputation that saw its writes."""
    done = 0
    while limit is None or done < limit:
        size = _RECOMPUTE_CHUNK if limit is None else min(_RECOMPUTE_CHUNK, limit - done)
        with transaction.atomic():
            marks = list(StaleConsensus.objects.select_for_update(skip_locked=True).order_by("event_id")
                         .values_list("event_id", flat=True)[:size])
            if not marks:
                break
            recompute(marks)
            StaleConsensus.objects.filter(event_id__in=marks).delete()
        done += len(marks)
    return done


def recompute_all() -> int:
    """Recompute every event's consensus (manage.py refresh_consensus --all) and clear every mark."""
    event_ids = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(event_ids), _RECOMPUTE_CHUNK):
        chunk = event_ids[start : start + _RECOMPUTE_CHUNK]
        with transaction.atomic():
            recompute(chunk)
            StaleConsensus.objects.filter(event_id__in=chunk).delete()
    return len(event_ids)


def stale_count() -> int:
    return StaleConsensus.objects.count()


def corroboration_refusal(claim, to_status):
    """Why `claim` may not take `to_status` on the evidence (None when it may): corroborated
    needs two independent sources. Registered with conflictdb.verification by connect()."""
    if to_status == S.CORROBORATED:
        return corroboration(claim).refusal
    return None


def _refresh_now():
    refresh_stale()


_refresh_later = _refresh_now  # until connect() is given the background job (events.tasks)


def connect(refresh_later=None):
    """Consensus figures follow every write of what feeds them (conflictdb.signals); the
    verification workflow asks corroboration before a claim is marked corroborated;
    `refresh_later()` (events.tasks.enqueue_refresh) is called after a commit that marked
    events stale."""
    global _refresh_later
    if refresh_later is not None:
        _refresh_later = refresh_later
    verification.register_evidence(Claim, corroboration_refusal)
    signals.records_written.connect(_follow_writes, dispatch_uid="consensus")
