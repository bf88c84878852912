"""What the flat CSV layouts share (events/csv/layouts/flat_casualties.py, flat_equipment.py; kept
outside events.csv so that the layouts do not import the package that registers them): one row = one claimed item, and
the row finds or creates everything it names, by natural keys, through the naming homes:

- source: by name or alias as the importing user may name it (sources.naming); an unknown name
  becomes a new source (kind from `source kind`, else news outlet);
- document: by URL (sources.naming), else by publisher + title + published date; a new
  document takes the row's title, dates, text and derived-from;
- place: through the place matcher (the import's location key: events.naming.one_place_id),
  inside the row's `area` (governorate or district) when given; an unknown or ambiguous name
  is a row error naming the candidates, never a guess;
- actor: by name, short name or alias; a name no actor has becomes a new actor of kind
  "unknown" (a name several actors share is a row error);
- event: by its external, ACLED or UCDP id; else the event the row's claim already has (a
  re-import never moves a claim); else the one event at the place on the date (several: a row
  error naming them); a new event only when the row gives an event type;
- claim: by document + source + event id (or date + place), as the external id
  `flat:<document>:<source>:…`, so rows of one report share one claim;
- quote: anchored in the document's text (an excerpt at the offsets where it is found, linked to
  the claim); when the document has no text, kept unanchored in the item's note, marked
  "Unanchored quote" (docs/csv-import.md).
"""

from __future__ import annotations

import hashlib

from conflictdb.csvio import columns as c
from conflictdb.csvio.keys import KeyResolver
from conflictdb.csvio.layouts import RowFailure
from conflictdb.csvio.values import CellError, parse_date
from conflictdb.names import normalise_name
from conflictdb.upsert import WriteStatus, upsert
from events.models import Actor, Claim, ClaimExcerpt, Event, EventLocation, Location
from events.vocabularies import EventType, SubEventType
from sources.models import Document, Excerpt, Source
from sources.naming import documents_a_reader_names, sources_a_reader_names

UNANCHORED = "Unanchored quote (the document has no text)"
NOTE_LIMIT = 300


def choice(row, name, choices: dict, *, required=True, default=""):
    """A cell read against {stored value: (spellings…)} (case and spaces folded)."""
    text = row.value(name)
    if not text:
        if required:
            raise row.error(name, "this field is required", "")
        return default
    folded = " ".join(text.lower().replace("_", " ").split())
    for value, spellings in choices.items():
        if folded in {value.replace("_", " "), *spellings}:
            return value
    raise row.error(name, f"expected one of {', '.join(choices)}")


def date_of(row, name, dayfirst, *, required=False):
    try:
        day = parse_date(row.value(name), dayfirst=dayfirst)
    except CellError as error:
        raise row.error(name, str(error)) from error
    if day is None and required:
        raise row.error(name, "this field is required", "")
    return day


def _short_key(text: str) -> str:
    return text if len(text) <= 40 else hashlib.sha1(text.encode()).hexdigest()[:16]


class FlatContext:
    """One file's look-ups (memoised) and the finding-or-creating of what rows name."""

    def __init__(self, user, dayfirst=False):
        self.user, self.dayfirst = user, dayfirst
        self.resolver = KeyResolver(user)
        self.sources: dict[str, Source] = {}

    def forget(self):
        """After a refused row (its savepoint rolled back): nothing it created may be reused."""
        self.sources.clear()
        self.resolver.forget()

    # --- sources and documents ------------------------------------------------------------------

    def source(self, row, name, kinds_field="source_kind", statuses=None):
        text = " ".join(row.value(name).split())
        if not text:
            return None
        if text in self.sources:
            return self.sources[text]
        found = list(sources_a_reader_names(text, self.user)[:2])
        if len(found) > 1:
            raise row.error(name, f"{text!r} names several sources ({'; '.join(map(str, found))}); use the full name")
        if found:
            source = found[0]
        elif Source.objects.filter(name__iexact=text).exists():
            raise row.error(name, "this name is taken by a protected source you may not name; use its public label")
        else:
            kind = choice(row, kinds_field, {k: (str(label).lower(),) for k, label in Source.Kind.choices},
                          required=False, default=Source.Kind.NEWS_OUTLET) if row.has(kinds_field) \
                else Source.Kind.NEWS_OUTLET
            source = Source.objects.create(name=text[:200], kind=kind)
            if statuses is not None:
                statuses.append(WriteStatus.CREATED)
        self.sources[text] = source
        return source

    def document_by_url(self, row, name):
        url = row.value(name)
        if not url:
            return None
        found = documents_a_reader_names(url, self.user).first()
        if found is None and Document.objects.filter(url=url).exists():
            raise row.error(name, "a document you may not see has this URL")
        if found is None:
            raise row.error(name, "no document has this URL (import it first, or give it in an earlier row)")
        return found

    def document(self, row, claimant, statuses, *, default_title=""):
        """The row's document: by URL, else by publisher + title + published date."""
        url = row.value("document_url")
        publisher = self.source(row, "publisher", statuses=statuses) or claimant
        published = date_of(row, "published_date", self.dayfirst)
        values = {}
        if row.value("document_title"):
            values["title"] = row.value("document_title")[:500]
        if published:
            values["published_on"] = published
        if row.value("document_text"):
            values["text"] = row.value("document_text")
        origin = self.document_by_url(row, "derived_from")
        if origin is not None:
            derivations = {k: (str(label).lower(),) for k, label in Document.Derivation.choices}
            values["derived_from"] = origin
            values["derivation"] = choice(row, "derivation", derivations, required=False,
                                          default=Document.Derivation.REPUBLICATION)
        if url:
            found = documents_a_reader_names(url, self.user).first()
            if found is None and Document.objects.filter(url=url).exists():
                raise row.error("document_url", "a document you may not see has this URL")
            if found is None:
                values.setdefault("title", default_title or url)
                values["publisher"] = publisher
                document, status = upsert(Document, {"url": url[:1000]}, values)
            else:
                if row.value("publisher"):
                    values["publisher"] = publisher
                document, status = upsert(Document, {"pk": found.pk}, values)
        else:
            title = values.pop("title", "") or default_title
            values.pop("published_on", None)
            if not title:
                raise row.error("document_url", "give the document's URL, or its title (document title)", "")
            document, status = upsert(Document, {"publisher": publisher, "title": title, "url": "",
                                                 "published_on": published}, values)
        statuses.append(status)
        return document

    def quote(self, row, document, claim, statuses) -> str:
        """Anchor the row's quote in the document text (returns ""), or the unanchored note text."""
        quote = row.value("quote")
        if not quote:
            return ""
        if not document.text:
            return f"{UNANCHORED}: “{quote}”"
        start = document.text.find(quote)
        if start < 0:
            raise row.error("quote", f"the quote is not in the document's text ({len(document.text)} characters): "
                                     "quote it exactly, or leave it out")
        excerpt, status = upsert(Excerpt, {"document": document, "start": start, "end": start + len(quote)},
                                 {"text": quote})
        statuses.append(status)
        statuses.append(upsert(ClaimExcerpt, {"claim": claim, "excerpt": excerpt}, {})[1])
        return ""

    @staticmethod
    def note(row, unanchored: str) -> str:
        note = " — ".join(part for part in (row.value("note"), unanchored) if part)
        if len(note) > NOTE_LIMIT:
            column = "quote" if unanchored else "note"
            raise row.error(column, f"the note with the unanchored quote has {len(note)} characters, more than "
                                    f"{NOTE_LIMIT}: give the document's text (document text) so the quote is "
                                    "anchored, or shorten it")
        return note

    # --- places, actors, events -----------------------------------------------------------------

    def place(self, row, name, area="area"):
        """The place a cell names, inside the row's admin area (`area`: a governorate or district
        by name or P-code) when it gives one, so that homonyms are told apart."""
        text = row.value(name)
        if not text:
            return None
        within = None
        if row.value(area):
            try:
                within = self.resolver.resolve(c.LOCATION, row.value(area))
            except CellError as error:
                raise row.error(area, str(error)) from error
        try:
            return Location.objects.get(pk=self.resolver.resolve(c.LOCATION, text, within=within))
        except CellError as error:
            raise row.error(name, str(error)) from error

    def actor(self, row, name, statuses):
        text = " ".join(row.value(name).split())
        if not text:
            return None
        table = self.resolver.named(c.ACTOR, _actor_spellings, "actor")
        if not table["spellings"].get(normalise_name(text)):
            actor = Actor.objects.create(name=text[:200], kind=Actor.Kind.UNKNOWN)
            statuses.append(WriteStatus.CREATED)
            self.resolver.forget()
            return actor
        try:
            return Actor.objects.get(pk=self.resolver.resolve(c.ACTOR, text))
        except CellError as error:
            raise row.error(name, str(error)) from error

    @staticmethod
    def event_key(row, day, place) -> str:
        """The claim key's event part: the row's event id, else its date and place."""
        ident = row.value("event_id")
        return f"e:{_short_key(ident)}" if ident else f"{day or '-'}:{place.pk if place else '-'}"

    def event(self, row, day, place, statuses, claim_id):
        """The row's event: by its id (created when missing and an event type is given); else the
        event its claim already has, so that a re-import never moves a claim; else the one event
        at the place on the date; else a new one when an event type is given; else none."""
        ident = row.value("event_id")
        event_type = self.event_type(row)
        if ident:
            found = Event.objects.filter(external_id=ident).first() or Event.objects.filter(
                acled_id=ident).first() or Event.objects.filter(ucdp_id=ident).first()
            if found is not None:
                return found
            if event_type is None:
                raise row.error("event_id", "no event has this id; give an event type to create it")
            return self.new_event(row, ident, event_type, day, place, statuses)
        claim = Claim.objects.filter(external_id=claim_id).select_related("event").first()
        if claim is not None:
            return claim.event
        if day is None or place is None:
            return None
        own = Event.objects.filter(external_id=f"flat:{day}:{place.pk}").first()
        if own is not None:
            return own
        found = list(Event.objects.filter(event_places__location=place, date_start__lte=day, date_end__gte=day)
                     .distinct()[:6])
        if len(found) > 1:
            raise row.error("event_id", f"several events at {place} on {day} ({'; '.join(map(str, found))}): give "
                                        "the event id", "")
        if found:
            return found[0]
        if event_type is None:
            return None
        return self.new_event(row, f"flat:{day}:{place.pk}", event_type, day, place, statuses)

    def event_type(self, row):
        text = row.value("event_type")
        if not text:
            return None
        for value, label in EventType.choices:
            if text.lower() in (value.replace("_", " "), value, str(label).lower()):
                return value
        raise row.error("event_type", f"expected one of {', '.join(str(label) for _v, label in EventType.choices)}")

    def new_event(self, row, ident, event_type, day, place, statuses):
        if day is None:
            raise row.error("date", "a new event needs its date", "")
        title = row.value("event_title") or f"{place or 'Unknown place'}, {day}"
        sub = SubEventType.ATTACK if event_type == EventType.VIOLENCE_AGAINST_CIVILIANS else ""
        event, status = upsert(Event, {"external_id": ident}, {
            "title": title[:300], "event_type": event_type, "sub_event_type": sub,
            "date_start": day, "date_end": day})
        statuses.append(status)
        if place is not None:
            statuses.append(upsert(EventLocation, {"event": event, "location": place,
                                                   "role": EventLocation.Role.SITE}, {})[1])
        return event

    @staticmethod
    def claim_id(document, source, event_key) -> str:
        return f"flat:{document.pk}:{source.pk}:{event_key}"[:100]


def _actor_spellings():
    from events import naming

    return naming.actor_spellings()


def fail(problems):
    return RowFailure(problems)
