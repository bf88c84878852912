"""The tracked base every ConflictDB record shares: provenance, verification status, version
and a complete change history (bulk writes included).

Rule homes:
- stamping (who, when, which door, which import batch/row) — stamp_values(), read by
  TrackedModel.save, TrackedQuerySet.update/bulk_create and the import's bulk path
  (conflictdb.bulk), from conflictdb.provenance;
- history — django-simple-history, fed by the same context; `queryset.update()` and
  `bulk_create()` write historical rows too, so no bulk path bypasses it;
- derived data — every write path announces what it wrote (conflictdb.signals.written), so
  what is computed from records follows single saves and bulk writes alike.

Also the base's own tables, which every app's records point into: the audit trail of import
batches, verification transitions and grade changes.
"""

import contextlib
import threading

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from conflictdb import concurrency, provenance, signals
from conflictdb.names import normalise_name
from conflictdb.provenance import Channel

# Chunk size for history written after bulk writes (keeps SQLite under its variable limit).
_HISTORY_CHUNK = 500

# Set while bulk_update() runs its queryset updates: it announces the records itself.
_bulk_updating = threading.local()


@contextlib.contextmanager
def _announced_by_caller():
    _bulk_updating.active = True
    try:
        yield
    finally:
        _bulk_updating.active = False


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    CORROBORATED = "corroborated", "Corroborated"
    VERIFIED = "verified", "Verified"
    DISPUTED = "disputed", "Disputed"
    RETRACTED = "retracted", "Retracted"
    FALSE = "false", "False"


def stamp_values(*, adding: bool) -> dict:
    """The provenance a write in the current context sets, attname → value: who, when, which door,
    which import batch and row. The one home of stamping: save(), queryset.update() and the bulk
    paths (conflictdb.bulk) all take their values from here."""
    ctx = provenance.current()
    now = timezone.now()
    user_id = ctx.user.pk if ctx.user is not None and getattr(ctx.user, "pk", None) else None
    values = {"updated_at": now, "updated_by_id": user_id, "last_channel": ctx.channel}
    if adding:
        values |= {"created_at": now, "created_by_id": user_id, "channel": ctx.channel, "version": 1}
    if ctx.batch is not None:
        values |= {"import_batch_id": ctx.batch.pk, "import_row": ctx.row}
    return values


def with_derived(model, fields):
    """`fields` and the derived fields computed from any of them (TrackedModel.derived_fields): a
    partial write of a text writes its masked shadow too."""
    names = list(fields)
    given = set(names)
    for derived, sources in getattr(model, "derived_fields", {}).items():
        if derived not in given and given.intersection(sources):
            names.append(derived)
    return names


class TrackedQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes are stamped, recorded in the history and announced
    (conflictdb.signals.written) like saves."""

    def update(self, **kwargs):
        ctx = provenance.current()
        # The caller's values win over the stamp's, whether named by field (updated_by) or column (updated_by_id).
        given = {self.model._meta.get_field(name).attname for name in kwargs}
        stamp = {attname: value for attname, value in stamp_values(adding=False).items() if attname not in given}
        values = {**stamp, **kwargs, "version": F("version") + 1}
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            if not pks:
                return 0
            count = super().update(**values)
            history = self.model.history
            written = []
            for start in range(0, len(pks), _HISTORY_CHUNK):
                chunk = list(self.model._base_manager.using(self.db).filter(pk__in=pks[start : start + _HISTORY_CHUNK]))
                history.bulk_history_create(
                    chunk,
                    update=True,
                    default_user=provenance.history_user(),
                    default_change_reason=ctx.reason or "bulk update",
                )
                written.extend(chunk)
            if not getattr(_bulk_updating, "active", False):
                signals.written(self.model, written)
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        """Announced once, as the given records: they know what they were loaded as (a claim's
        former event), which the rows read back after each update no longer do."""
        objs = list(objs)
        fields = with_derived(self.model, fields)
        with _announced_by_caller():
            count = super().bulk_update(objs, fields, batch_size=batch_size)
        signals.written(self.model, objs)
        return count

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.prepare_write()
            obj.stamp()
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            if created and all(obj.pk is not None for obj in created):
                self.model.history.bulk_history_create(
                    created,
                    default_user=provenance.history_user(),
                    default_change_reason=provenance.current().reason or "bulk create",
                )
            signals.written(self.model, created)
        return created


class TrackedManager(models.Manager.from_queryset(TrackedQuerySet)):
    pass


class TrackedModel(models.Model):
    """Abstract base: provenance, verification status, optimistic-concurrency version, history."""

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.SYSTEM, editable=False,
        help_text="The door this record came in through.",
    )
    last_channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.SYSTEM, editable=False,
        help_text="The door of the latest change.",
    )
    import_batch = models.ForeignKey(
        "conflictdb.ImportBatch", null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="+",
        help_text="The import batch that created or last changed this record.",
    )
    import_row = models.PositiveIntegerField(null=True, blank=True, editable=False)
    verification_status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords(inherit=True, get_user=provenance.history_user)

    objects = TrackedManager()

    PROVENANCE_FIELDS = (
        "created_at", "created_by", "channel", "updated_at", "updated_by", "last_channel",
        "import_batch", "import_row", "version",
    )

    class Meta:
        abstract = True

    def stamp(self):
        """Set provenance from the current context; called on every save and bulk create."""
        ctx = provenance.current()
        values = stamp_values(adding=self._state.adding)
        if not self._state.adding:
            values["version"] = (self.version or 0) + 1
        if ctx.batch is not None and ctx.row is None:
            # A bulk import writes many rows under one context: each record brings its own row.
            values["import_row"] = getattr(self, "_import_row", None)
        for attname, value in values.items():
            setattr(self, attname, value)
        if ctx.reason:
            self._change_reason = ctx.reason

    # Derived field → the fields it is computed from (by prepare_write). Model validation then
    # checks constraints on the derived field whenever its sources are being validated, so a
    # form or serializer reports e.g. a duplicate alias instead of failing at the database.
    derived_fields: dict[str, tuple[str, ...]] = {}

    def validate_constraints(self, exclude=None):
        if exclude:
            exclude = set(exclude)
            for derived, sources in self.derived_fields.items():
                if derived in exclude and not exclude.intersection(sources):
                    exclude.discard(derived)
        self.prepare_write()
        super().validate_constraints(exclude=exclude)

    def prepare_write(self):
        """Validate cross-record rules and derive computed fields before any write.

        Called by save() and by bulk_create(), so bulk paths obey the same rules.
        Subclasses extend it (alias keys, text hashes, quote anchoring).
        """

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is not None and not self._state.adding and self.pk is not None:
            # A partial save (verification transition, regrade) writes the in-memory version + 1:
            # refuse it if the stored record moved on, so a version never goes backwards.
            with concurrency.editing(self, self.version):
                return self._stamped_save(*args, **kwargs)
        return self._stamped_save(*args, **kwargs)

    def _stamped_save(self, *args, **kwargs):
        self.prepare_write()
        self.stamp()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(with_derived(type(self), update_fields)) | {
                "updated_at", "updated_by", "last_channel", "import_batch", "import_row", "version"
            }
        super().save(*args, **kwargs)
        signals.written(type(self), [self])

    def field_changes(self):
        """[(history record, [(field, old, new), ...])] newest first: who changed what, when."""
        records = list(self.history.select_related("history_user").order_by("-history_date", "-history_id"))
        result = []
        for newer, older in zip(records, records[1:] + [None], strict=True):
            if older is None:
                result.append((newer, []))
                continue
            delta = newer.diff_against(older, excluded_fields=["updated_at", "version"])
            result.append((newer, [(c.field, c.old, c.new) for c in delta.changes]))
        return result


class AliasBase(TrackedModel):
    """A spelling of a name met in a source; `normalised` is the exact-match key."""

    name = models.CharField(max_length=200)
    normalised = models.CharField(max_length=200, editable=False, db_index=True)

    derived_fields = {"normalised": ("name",)}

    class Meta:
        abstract = True

    def prepare_write(self):
        super().prepare_write()
        self.normalised = normalise_name(self.name)

    def clean(self):
        super().clean()
        self.normalised = normalise_name(self.name)
        if not self.normalised:
            raise ValidationError({"name": "An alias needs at least one letter or digit."})

    def __str__(self):
        return self.name


class ImportBatch(models.Model):
    """One file applied to the database: itself a piece of provenance, so not tracked."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"
        ROLLED_BACK = "rolled_back", "Rolled back"

    file_name = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, db_index=True)
    layout = models.CharField(max_length=50, help_text="The file layout, e.g. claims, ucdp-ged, oryx.")
    options = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # Who runs a "running" batch: a batch whose process is gone is failed (conflictdb.csvio.importing
    # .reap_stale_batches), as its rows were never committed.
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    error_report = models.JSONField(default=list, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    rollback_reason = models.TextField(blank=True)

    class Meta:
        db_table = "sources_importbatch"  # created by the sources app, which held these tables until issue 12
        ordering = ["-started_at"]
        verbose_name_plural = "import batches"
        permissions = [
            ("import_data", "Can import data files"),
            ("export_data", "Can export data files"),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"


class VerificationTransition(models.Model):
    """One change of a record's verification status: who, when, from, to and why.

    Written only by conflictdb.verification.transition(); never edited. Provenance, like
    import batches.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.TextField()
    channel = models.CharField(max_length=10)

    class Meta:
        db_table = "sources_verificationtransition"  # created by the sources app, which held these tables until issue 12
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="transition_record_idx")]
        permissions = [
            ("verify_record", "Can corroborate, verify, mark false and reinstate records"),
            ("retract_record", "Can dispute and retract records"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="transition_has_reason",
                                   violation_error_message="A verification change needs a reason."),
        ]

    def __str__(self):
        return f"{self.from_status} → {self.to_status} by {self.user} ({self.at:%Y-%m-%d %H:%M})"


class GradeChange(models.Model):
    """One change of a grade: a source's reliability (A–F) or a claim's credibility (1–6).

    Written only by conflictdb.grading.regrade(); never edited. The record's own history keeps
    the field change too; this log adds the reason and is what the admin and API show.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    field = models.CharField(max_length=20)
    from_value = models.CharField(max_length=2)
    to_value = models.CharField(max_length=2)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.TextField()
    channel = models.CharField(max_length=10)

    class Meta:
        db_table = "sources_gradechange"  # created by the sources app, which held these tables until issue 12
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="grade_change_record_idx")]
        permissions = [("grade_record", "Can change source reliability and claim credibility")]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="grade_change_has_reason",
                                   violation_error_message="A change of grade needs a reason."),
        ]

    def __str__(self):
        return f"{self.field} {self.from_value} → {self.to_value} by {self.user} ({self.at:%Y-%m-%d %H:%M})"


class ProtectedRead(models.Model):
    """One reader shown one record's protected identity (a protected source's name or details, a
    casualty's personal data), through one door. Written only by conflictdb.readlog.note(), for
    readers who may see it (the others see placeholders, so nothing is revealed to them); read
    by administrators only: source protection needs to know who looked."""

    class Door(models.TextChoices):
        ADMIN = "admin", "Admin"
        DESK = "desk", "Editor's desk"
        API = "api", "API"
        EXPORT = "export", "File export"

    class Kind(models.TextChoices):
        SOURCE = "source", "Protected source"
        PERSONAL = "personal", "Personal data"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    door = models.CharField(max_length=10, choices=Door.choices)
    path = models.CharField(max_length=300, blank=True, help_text="The page or endpoint, without its query string.")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        ordering = ["-at", "-id"]
        default_permissions = ("view",)  # written by the log itself, never by a person
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="protected_read_record_idx"),
                   models.Index(fields=["user", "at"], name="protected_read_user_idx")]
        verbose_name = "read of a protected identity"
        verbose_name_plural = "reads of protected identities"

    def __str__(self):
        return f"{self.user} saw {self.content_type.model} #{self.object_id} ({self.door}, {self.at:%Y-%m-%d %H:%M})"


class Job(models.Model):
    """A long import or export run by a background worker (conflictdb.jobs): what it does, for whom,
    how far it got and what came of it. Bookkeeping, so not tracked; the import itself is an
    ImportBatch like any other."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        PREVIEW = "preview", "Import preview (dry run)"
        EXPORT = "export", "Export"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused (nothing changed)"
        FAILED = "failed", "Failed"

    FINISHED = (Status.DONE, Status.REFUSED, Status.FAILED)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target = models.CharField(max_length=50, help_text="The model or layout imported or exported.")
    layout = models.BooleanField(default=False, help_text="The target is a dataset layout, not a model.")
    options = models.JSONField(default=dict, blank=True)
    query = models.BinaryField(null=True, blank=True, editable=False,
                               help_text="An export's queryset (Django's pickled Query), as filtered where it was asked.")
    directory = models.CharField(max_length=64, unique=True, editable=False,
                                 help_text="Its folder under settings.JOBS_DIR: input, output and live progress.")
    file_name = models.CharField(max_length=500, blank=True, help_text="The file imported, or the file exported.")
    sha256 = models.CharField(max_length=64, blank=True)
    bytes_total = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True, help_text="Known for exports.")
    rows_done = models.PositiveBigIntegerField(default=0)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.JSONField(default=dict, blank=True, help_text="Counts and row errors (previews and imports).")
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The task's id in django-tasks.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "background job"

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.target} {self.file_name}".strip()

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED
