"""The editor's desk as an admin door: the page (a document's text, its claimed passages
highlighted, one form) and its JSON endpoints: the names and draft rows of a selected passage
(events.desk.drafting) and saving a claim (events.desk.service.write_claim).

The desk adds no rule of its own: names are resolved by events.naming, numbers read by
events.quantities, records validated and written by the service in one transaction.
"""

from __future__ import annotations

import datetime
import json

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from conflictdb import protection, readlog
from events.desk.drafting import Passage, draft_document, draft_rows, names_in_passage
from events.desk.service import ClaimRefused, write_claim
from events.models import Attack, CasualtyFigure, Claim, ClaimExcerpt, Displacement, EquipmentLoss, Event, TerritorialChange
from sources.models import Document

ADD_CLAIM = "events.add_claim"

# Which admin autocomplete endpoint (app, model, field) serves each kind of name in the form:
# the admin's own search, aliases and the place matcher included.
AUTOCOMPLETE = {
    "claimant": ("events", "claim", "claimant"),
    "event": ("events", "claim", "event"),
    "actor": ("events", "territorialchange", "gaining"),
    "place": ("events", "territorialchange", "place"),
    "equipment_type": ("events", "equipmentloss", "equipment_type"),
}


def desk_urls(model_admin):
    """URLs for ClaimAdmin.get_urls (claims are what the desk adds)."""
    wrap = model_admin.admin_site.admin_view
    return [
        path("desk/<int:document_id>/", wrap(lambda request, document_id: desk_view(model_admin, request, document_id)),
             name="events_claim_desk"),
        path("desk/<int:document_id>/claims/",
             wrap(lambda request, document_id: create_claim_view(request, document_id)),
             name="events_claim_desk_claims"),
        path("desk/<int:document_id>/passage/",
             wrap(lambda request, document_id: passage_names_view(request, document_id)),
             name="events_claim_desk_passage"),
        path("desk/<int:document_id>/drafts/",
             wrap(lambda request, document_id: document_drafts_view(request, document_id)),
             name="events_claim_desk_drafts"),
    ]


def _require_desk(request):
    if not request.user.has_perm(ADD_CLAIM):
        raise PermissionDenied("The desk adds claims: it needs permission to add claims.")


# --- reading the page -------------------------------------------------------------------------


def highlights(document) -> list[dict]:
    """Every quoted passage of the document with the claims resting on it, in text order."""
    links = (ClaimExcerpt.objects.filter(excerpt__document=document)
             .select_related("excerpt", "claim").order_by("excerpt__start", "excerpt__end", "claim_id"))
    by_span: dict[int, dict] = {}
    for link in links:
        excerpt = link.excerpt
        entry = by_span.setdefault(excerpt.pk, {"excerpt": excerpt.pk, "start": excerpt.start, "end": excerpt.end,
                                                "claims": []})
        entry["claims"].append({"id": link.claim_id, "label": str(link.claim),
                                "url": reverse("admin:events_claim_change", args=[link.claim_id])})
    return list(by_span.values())


RECENT_LIMIT = 10


EVENT_WINDOW = datetime.timedelta(days=3)


def _recent(document) -> dict:
    """One-click choices: the claimants and events of this document's claims (latest first), its
    publisher and the publishers it derives from, then events dated around its publication."""
    claims = (Claim.objects.filter(document=document).select_related("claimant", "event")
              .order_by("-created_at", "-pk")[:200])
    recent = {"claimant": {}, "event": {}}

    def offer(name, record):
        if record is not None and len(recent[name]) < RECENT_LIMIT:
            recent[name].setdefault(record.pk, {"id": record.pk, "text": str(record)})

    for claim in claims:
        offer("claimant", claim.claimant)
        offer("event", claim.event)
    for origin in document.provenance_chain():
        offer("claimant", origin.publisher)
    if document.published_on:
        day = document.published_on
        around = Event.objects.filter(date_start__lte=day + EVENT_WINDOW, date_end__gte=day - EVENT_WINDOW)
        for event in around.order_by("-date_start", "title")[:RECENT_LIMIT]:
            offer("event", event)
    return {name: list(records.values()) for name, records in recent.items()}


def _defaults(document) -> dict:
    """What the form starts with: the last claim entered on this document, else its date."""
    last = (Claim.objects.filter(document=document).select_related("claimant", "event")
            .order_by("-created_at", "-pk").first())
    day = document.published_on.isoformat() if document.published_on else ""
    if last is None:
        return {"claimant": None, "event": None, "date_start": day, "date_end": day, "credibility": 6,
                "recent": _recent(document)}
    return {
        "recent": _recent(document),
        "claimant": {"id": last.claimant_id, "text": str(last.claimant)},
        "event": {"id": last.event_id, "text": str(last.event)} if last.event_id else None,
        "date_start": last.date_start.isoformat() if last.date_start else day,
        "date_end": last.date_end.isoformat() if last.date_end else day,
        "credibility": last.credibility,
    }


def _choices(model, name):
    return [[value, label] for value, label in model._meta.get_field(name).choices]


def desk_view(model_admin, request, document_id):
    _require_desk(request)
    document = get_object_or_404(Document.objects.select_related("publisher"), pk=document_id)
    config = {
        "document": {"id": document.pk, "title": document.title, "language": document.language,
                     # as this editor may see it: personal passages masked, same offsets (conflictdb.protection)
                     "text": protection.personal_text_of(request.user, document, "text")},
        "urls": {
            "claims": reverse("admin:events_claim_desk_claims", args=[document.pk]),
            "passage": reverse("admin:events_claim_desk_passage", args=[document.pk]),
            "drafts": reverse("admin:events_claim_desk_drafts", args=[document.pk]),
            "autocomplete": reverse("admin:autocomplete"),
        },
        "autocomplete": {kind: dict(zip(("app_label", "model_name", "field_name"), spec, strict=True))
                         for kind, spec in AUTOCOMPLETE.items()},
        "highlights": highlights(document),
        "defaults": _defaults(document),
        "choices": {
            "credibility": _choices(Claim, "credibility"),
            "stance": _choices(Claim, "stance"),
            "category": _choices(CasualtyFigure, "category"),
            "subgroup": _choices(CasualtyFigure, "subgroup"),
            "outcome": _choices(CasualtyFigure, "outcome"),
            "equipment_status": _choices(EquipmentLoss, "status"),
            "territory_kind": _choices(TerritorialChange, "kind"),
            "attack_kind": _choices(Attack, "kind"),
            "displacement_unit": _choices(Displacement, "unit"),
        },
    }
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Desk: {document.title}",
        "document": document,
        "text_direction": "rtl" if document.language.split("-")[0] in RTL_LANGUAGES else "ltr",
        "desk_config": config,
        "opts": Claim._meta,
        "document_url": reverse("admin:sources_document_change", args=[document.pk]),
    }
    # The desk shows the document (its publisher's identity) and its claims' claimants.
    readlog.note_request(request, Document, [document.pk], readlog.Door.DESK)
    readlog.note_request(request, Claim, Claim.objects.filter(document=document).values("pk"), readlog.Door.DESK)
    return TemplateResponse(request, "admin/desk/desk.html", context)


RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "ku", "ckb", "syr", "dv", "yi"}


# --- names and drafts for a selected passage ----------------------------------------------------


def passage_names_view(request, document_id):
    _require_desk(request)
    document = get_object_or_404(Document, pk=document_id)
    try:
        spans = list(zip(map(int, request.GET.getlist("start")), map(int, request.GET.getlist("end")), strict=True))
    except ValueError:
        spans = []
    if not spans:
        return JsonResponse({"errors": {"quote": ["Give start and end as whole numbers."]}}, status=400)
    passages = [document.text[max(0, start):max(0, end)] for start, end in spans]
    # Chips for the last passage selected; drafts from all the claim's passages together
    # ("in the areas of A, B and C" … "heavy shelling has been reported in these areas").
    passage = Passage(" … ".join(passages))
    chips = names_in_passage(passages[-1], passage.names if len(passages) == 1 else None)
    return JsonResponse({**chips, "drafts": draft_rows(passage)})


def document_drafts_view(request, document_id):
    """Draft claims for the whole document (events.desk.drafting.draft_document); writes nothing.
    A passage already quoted by a claim is marked "claimed" so the editor can skip it."""
    _require_desk(request)
    document = get_object_or_404(Document, pk=document_id)
    claimed = [(entry["start"], entry["end"]) for entry in highlights(document)]
    drafts = draft_document(document.text)
    for draft in drafts:
        draft["claimed"] = any(start < draft["end"] and draft["start"] < end for start, end in claimed)
    return JsonResponse({"drafts": drafts})


# --- saving a claim -----------------------------------------------------------------------------


@require_POST
def create_claim_view(request, document_id):
    _require_desk(request)
    document = get_object_or_404(Document, pk=document_id)
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"errors": {"claim": ["The request body is not JSON."]}}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"errors": {"claim": ["Expected a JSON object."]}}, status=400)
    try:
        claim = write_claim(document, data, request.user)
    except ClaimRefused as refused:
        return JsonResponse({"errors": refused.errors}, status=400)
    return JsonResponse({
        "claim": {"id": claim.pk, "label": str(claim), "url": reverse("admin:events_claim_change", args=[claim.pk])},
        "defaults": _defaults(document),
        "highlights": highlights(document),
    }, status=201)


# --- the claim page: its quotes in their surrounding text --------------------------------------

CONTEXT_CHARS = 300


def quotes_in_context(claim) -> list[dict]:
    """Each quote of the claim with up to CONTEXT_CHARS of the document text either side."""
    body = protection.personal_text_of(protection.viewer(), claim.document, "text")  # the claim page's reader
    result = []
    for link in claim.claim_excerpts.select_related("excerpt").order_by("excerpt__start"):
        excerpt = link.excerpt
        before_start = max(0, excerpt.start - CONTEXT_CHARS)
        result.append({
            "before": ("…" if before_start else "") + body[before_start:excerpt.start],
            "quote": body[excerpt.start:excerpt.end],
            "after": body[excerpt.end:excerpt.end + CONTEXT_CHARS] + ("…" if excerpt.end + CONTEXT_CHARS < len(body) else ""),
            "start": excerpt.start, "end": excerpt.end,
        })
    return result
