"""Sources, documents and excerpts: where every claim comes from.

`sources` never imports `events` (a claim rests on a document, not the other way round).
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length

from conflictdb import grading, protection
from conflictdb.models import AliasBase, TrackedModel
from sources import personal

# How many characters around a quote are kept to re-anchor it (as W3C text-quote selectors do).
ANCHOR_CONTEXT = 32


class Reliability(models.TextChoices):
    """NATO Admiralty code for the reliability of a source."""

    A = "A", "A — completely reliable"
    B = "B", "B — usually reliable"
    C = "C", "C — fairly reliable"
    D = "D", "D — not usually reliable"
    E = "E", "E — unreliable"
    F = "F", "F — reliability cannot be judged"


class Source(TrackedModel):
    class Kind(models.TextChoices):
        NEWS_OUTLET = "news_outlet", "News outlet"
        MONITOR = "monitor", "Monitoring organisation"
        OFFICIAL = "official", "Official / government"
        STATE_MEDIA = "state_media", "State media"
        ARMED_GROUP = "armed_group", "Armed group statement"
        INTERNATIONAL_ORG = "international_org", "International organisation"
        SOCIAL_MEDIA = "social_media", "Social-media account"
        INDIVIDUAL = "individual", "Individual"
        ANONYMOUS = "anonymous", "Anonymous source"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    languages = models.CharField(max_length=100, blank=True, help_text="BCP 47 tags, comma separated.")
    reliability = models.CharField(max_length=1, choices=Reliability.choices, default=Reliability.F)
    protected = models.BooleanField(
        default=False, help_text="The identity must not be shown to users without permission."
    )
    public_label = models.CharField(
        max_length=200, blank=True, help_text='What others see instead, e.g. "Anonymous local source".'
    )

    # A protected source's identity (conflictdb.protection): its name shows as the public label.
    PROTECTED_FIELDS = {
        "name": protection.SOURCE_NAME, "description": protection.SOURCE_DETAIL, "url": protection.SOURCE_DETAIL,
    }
    # Changed only through conflictdb.grading.regrade once set.
    GRADED_FIELD = grading.Grade("reliability", tuple(Reliability.values), "reliability")

    class Meta:
        ordering = ["name"]
        permissions = [("view_protected_source", "Can see the identity of protected sources")]
        constraints = [
            models.CheckConstraint(
                condition=Q(reliability__in=Reliability.values),
                name="source_reliability_a_to_f",
                violation_error_message="Reliability must be one of the Admiralty grades A–F.",
            ),
            models.CheckConstraint(
                condition=Q(protected=False) | ~Q(public_label=""),
                name="source_protected_has_public_label",
                violation_error_message="A protected source needs a public label to show instead of its name.",
            ),
        ]

    def __str__(self):
        # Shown in select options, autocomplete, history and other records' pages: the reader's
        # view of the name (conflictdb.protection).
        return protection.source_label(protection.viewer(), self)

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        grading.remember_loaded_grade(record)
        return record

    def prepare_write(self):
        super().prepare_write()
        grading.refuse_ungraded_change(self)


class SourceAlias(AliasBase):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="aliases")

    # A protected source's aliases are nothing but its identity: hidden, and left out whole.
    PROTECTED_FIELDS = {"name": protection.ALIAS_DETAIL, "normalised": protection.ALIAS_DETAIL}
    PROTECTED_ROWS = "source__protected"

    class Meta:
        verbose_name_plural = "source aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["normalised"], name="source_alias_one_source",
                violation_error_message="This spelling already names a source.",
            ),
        ]


class Document(TrackedModel):
    class DatePrecision(models.TextChoices):
        DAY = "day", "Exact day"
        WEEK = "week", "Within a week"
        MONTH = "month", "Within a month"
        YEAR = "year", "Within a year"

    class Derivation(models.TextChoices):
        TRANSLATION = "translation", "Translation"
        REPUBLICATION = "republication", "Republication"
        SUMMARY = "summary", "Summary"
        EXCERPT = "excerpt", "Excerpt"

    publisher = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="documents")
    author = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=1000, blank=True)
    published_on = models.DateField(null=True, blank=True)
    published_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    retrieved_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=35, default="en", help_text="BCP 47 tag, e.g. en, ar, ar-SY.")
    text = models.TextField(blank=True, help_text="The full body. Fixed once excerpts point into it.")
    text_sha256 = models.CharField(max_length=64, editable=False, db_index=True)
    # The text with its personal passages masked (sources.personal keeps it; conflictdb.protection
    # shows and searches it for readers who may not see personal data).
    masked_text = models.TextField(blank=True, default="", editable=False)
    archive_url = models.URLField(max_length=1000, blank=True)
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derivatives",
        help_text="The document this one translates, republishes or summarises.",
    )
    derivation = models.CharField(max_length=15, choices=Derivation.choices, blank=True)
    notes = models.TextField(blank=True, help_text="Disclaimers and editorial notes.")
    external_id = models.CharField(
        max_length=100, blank=True, help_text="Stable id from a seed or import file, for idempotent re-import."
    )

    # They name a protected publisher: a private channel's address, an informant's by-line.
    # The text's personal passages (PersonalSpan) are masked for readers without the permission.
    PROTECTED_FIELDS = {
        "url": protection.PUBLISHER_DETAIL, "archive_url": protection.PUBLISHER_DETAIL,
        "author": protection.PUBLISHER_DETAIL, "text": protection.personal_text("masked_text"),
    }
    derived_fields = {"masked_text": ("text",)}  # written whenever the text is (conflictdb.models.with_derived)

    class Meta:
        ordering = ["-published_on", "title"]
        indexes = [models.Index(fields=["url"], name="document_url_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["url"], condition=~Q(url=""), name="document_url_unique",
                violation_error_message="Another document already has this URL.",
            ),
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""),
                                    name="document_external_id_unique"),
            models.CheckConstraint(
                condition=Q(derived_from__isnull=True, derivation="") | Q(derived_from__isnull=False) & ~Q(derivation=""),
                name="document_derivation_with_origin",
                violation_error_message="A derived document needs both the original and the kind of derivation.",
            ),
            models.CheckConstraint(
                condition=~Q(derived_from=F("pk")),
                name="document_not_derived_from_itself",
                violation_error_message="A document cannot be derived from itself.",
            ),
        ]

    def __str__(self):
        return self.title

    @staticmethod
    def hash_text(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def clean(self):
        super().clean()
        self._check_text_is_fixed()

    def _check_text_is_fixed(self):
        if self.pk is None:
            return
        old_sha = Document.objects.filter(pk=self.pk).values_list("text_sha256", flat=True).first()
        if old_sha and old_sha != self.hash_text(self.text) and self.excerpts.exists():
            raise ValidationError(
                {"text": "The text cannot change: excerpts are anchored in it. Create a new document version instead."}
            )

    def prepare_write(self):
        super().prepare_write()
        self._check_text_is_fixed()
        self.text_sha256 = self.hash_text(self.text)
        self.masked_text = personal.shadow(self.text, self.pk)

    def provenance_chain(self):
        """This document, then what it derives from, to the original (cycle-safe)."""
        chain, seen, doc = [], set(), self
        while doc is not None and doc.pk not in seen:
            chain.append(doc)
            seen.add(doc.pk)
            doc = doc.derived_from
        return chain


class Excerpt(TrackedModel):
    """An exact quote, anchored by character offsets into its document's text."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="excerpts")
    start = models.PositiveIntegerField(help_text="Offset of the first character (0-based).")
    end = models.PositiveIntegerField(help_text="Offset after the last character.")
    text = models.TextField(help_text="Must equal document.text[start:end].")
    prefix = models.CharField(max_length=ANCHOR_CONTEXT, blank=True, editable=False)
    suffix = models.CharField(max_length=ANCHOR_CONTEXT, blank=True, editable=False)
    # The same passages cut from the document's masked text (sources.personal keeps them).
    masked_text = models.TextField(blank=True, default="", editable=False)
    masked_prefix = models.CharField(max_length=ANCHOR_CONTEXT, blank=True, default="", editable=False)
    masked_suffix = models.CharField(max_length=ANCHOR_CONTEXT, blank=True, default="", editable=False)

    # A quote shows the document's personal passages masked, at the same offsets.
    PROTECTED_FIELDS = {
        "text": protection.personal_text("masked_text"), "prefix": protection.personal_text("masked_prefix"),
        "suffix": protection.personal_text("masked_suffix"),
    }
    derived_fields = dict.fromkeys(("masked_text", "masked_prefix", "masked_suffix", "prefix", "suffix"),
                                   ("document", "start", "end", "text"))

    class Meta:
        ordering = ["document", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="excerpt_end_after_start",
                violation_error_message="An excerpt must end after it starts (end > start).",
            ),
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("text")),
                name="excerpt_length_matches_offsets",
                violation_error_message="The quote's length must equal end − start.",
            ),
            models.UniqueConstraint(
                fields=["document", "start", "end"], name="excerpt_unique_span",
                violation_error_message="This passage of the document is already an excerpt.",
            ),
        ]

    def __str__(self):
        text = protection.personal_text_of(protection.viewer(), self, "text")
        quote = text if len(text) <= 80 else text[:77] + "…"
        return f"“{quote}”"

    def anchor_errors(self) -> dict:
        """What is wrong with the anchoring, by field; empty when the quote matches the text."""
        if self.document_id is None:
            return {}
        body = self.document.text
        if self.start is None or self.end is None:
            return {}
        if self.end > len(body):
            return {"end": f"The document text has {len(body)} characters; end={self.end} lies outside it."}
        if self.start >= self.end:
            return {"end": "An excerpt must end after it starts (end > start)."}
        actual = body[self.start : self.end]
        if actual != self.text:
            return {
                "text": f"The quote does not match the document at {self.start}–{self.end}: the text there is “{actual}”."
            }
        return {}

    def clean(self):
        super().clean()
        errors = self.anchor_errors()
        if errors:
            raise ValidationError(errors)

    def prepare_write(self):
        super().prepare_write()
        errors = self.anchor_errors()
        if errors:
            raise ValidationError(errors)
        body = self.document.text
        self.prefix = body[max(0, self.start - ANCHOR_CONTEXT) : self.start]
        self.suffix = body[self.end : self.end + ANCHOR_CONTEXT]
        personal.cut_excerpt_shadows(self, personal.shadow(body, self.document_id))

    @classmethod
    def for_quote(cls, document: Document, quote: str, occurrence: int = 1) -> "Excerpt":
        """An (unsaved) excerpt for the n-th occurrence of an exact quote in the document."""
        position = -1
        for _ in range(occurrence):
            position = document.text.find(quote, position + 1)
            if position < 0:
                raise ValidationError(
                    {"text": f"Quote not found in “{document}” (occurrence {occurrence}): “{quote[:120]}”."}
                )
        return cls(document=document, start=position, end=position + len(quote), text=quote)


class PersonalSpan(TrackedModel):
    """A passage of a document that is personal data (a victim's name, "aged 34"): masked, with
    every other occurrence of its words, in the document's text, its quotes and its claims'
    statements for readers without `events.view_personal_data` (sources.personal keeps the masked
    shadows; the rule is conflictdb.protection.mask_personal_text). Recorded victims' names are
    suggested automatically; a suggestion masks until an editor confirms or drops it."""

    class State(models.TextChoices):
        SUGGESTED = "suggested", "Suggested (masked until confirmed or dropped)"
        CONFIRMED = "confirmed", "Confirmed"
        DROPPED = "dropped", "Dropped (not personal data, not masked)"

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="personal_spans")
    start = models.PositiveIntegerField(
        blank=True, help_text="Offset of the first character (0-based); left empty, the first unmarked occurrence "
                              "of the text is found.")
    end = models.PositiveIntegerField(blank=True, help_text="Offset after the last character.")
    text = models.CharField(max_length=500, help_text="The passage; must equal document.text[start:end].")
    state = models.CharField(max_length=9, choices=State.choices, default=State.CONFIRMED)
    suggested_by = models.CharField(max_length=200, blank=True, editable=False,
                                    help_text="The individual record whose name suggested this span.")

    # The span is itself personal data.
    PROTECTED_FIELDS = {"text": protection.PERSONAL}

    class Meta:
        ordering = ["document", "start"]
        verbose_name = "personal passage"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="personal_span_end_after_start",
                violation_error_message="A personal passage must end after it starts (end > start).",
            ),
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("text")), name="personal_span_length_matches_offsets",
                violation_error_message="The passage's length must equal end − start.",
            ),
            models.UniqueConstraint(
                fields=["document", "start", "end"], name="personal_span_unique",
                violation_error_message="This passage of the document is already marked.",
            ),
        ]

    def __str__(self):
        text = protection.personal_value(protection.viewer(), self.text)
        return f"{text} ({self.start}–{self.end}, {self.get_state_display().split(' (')[0].lower()})"

    def anchor_errors(self) -> dict:
        """What is wrong with the anchoring, by field; locates the text first when no offsets are given."""
        if self.document_id is None or not self.text:
            return {}
        body = self.document.text
        if self.start is None and self.end is None:
            taken = set(PersonalSpan.objects.filter(document_id=self.document_id).exclude(pk=self.pk)
                        .values_list("start", "end"))
            free = [(start, end) for start, end in protection.phrase_occurrences(body, self.text)
                    if (start, end) not in taken]
            if not free:
                return {"text": f"“{self.text[:120]}” does not occur in the document's text (or every occurrence is "
                                "already marked); give start and end, or the words exactly as the text has them."}
            self.start, self.end = free[0]
            self.text = body[self.start:self.end]
            return {}
        if self.start is None or self.end is None:
            return {"end" if self.end is None else "start": "Give both start and end, or neither (to find the text)."}
        if self.end > len(body):
            return {"end": f"The document text has {len(body)} characters; end={self.end} lies outside it."}
        if body[self.start:self.end] != self.text:
            return {"text": f"The passage does not match the document at {self.start}–{self.end}: "
                            f"the text there is “{body[self.start:self.end]}”."}
        return {}

    def clean(self):
        super().clean()
        errors = self.anchor_errors()
        if errors:
            raise ValidationError(errors)

    def prepare_write(self):
        super().prepare_write()
        errors = self.anchor_errors()
        if errors:
            raise ValidationError(errors)
