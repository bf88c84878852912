"""Base serializers: provenance on every record, compact and field-selected output, and the
model's own validation (constraints and cross-record rules) on every write."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from conflictdb.models import TrackedModel, VerificationStatus
from conflictdb.models import GradeChange, VerificationTransition


class ProvenanceSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True, help_text="Username of the creator; null for seed/system.")
    channel = serializers.CharField(help_text="The door the record came in through: admin, api, import, seed, system.")
    updated_at = serializers.DateTimeField()
    updated_by = serializers.CharField(allow_null=True)
    last_channel = serializers.CharField(help_text="The door of the latest change.")
    import_batch = serializers.IntegerField(allow_null=True, help_text="Import batch that created or last changed it.")
    import_row = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(help_text="Bumped on every change.")


def provenance_of(record):
    return {
        "created_at": record.created_at,
        "created_by": record.created_by.username if record.created_by_id else None,
        "channel": record.channel,
        "updated_at": record.updated_at,
        "updated_by": record.updated_by.username if record.updated_by_id else None,
        "last_channel": record.last_channel,
        "import_batch": record.import_batch_id,
        "import_row": record.import_row,
        "version": record.version,
    }


class TrackedSerializer(serializers.ModelSerializer):
    """Every API record: its fields, `verification_status` (read-only here; changed through the
    verification workflow) and `provenance`.

    Query parameters on list and detail endpoints:
    - `brief=1` returns only `Meta.brief_fields`;
    - `fields=a,b,c` returns only those fields.
    """

    provenance = serializers.SerializerMethodField()

    class Meta:
        read_only_fields = ("verification_status",)

    def __init__(self, instance=None, data=empty, **kwargs):
        super().__init__(instance, data, **kwargs)
        request = self.context.get("request")
        if request is None or not self._is_top_level():
            return
        wanted = None
        if request.query_params.get("brief") in {"1", "true", "yes"}:
            wanted = set(getattr(self.Meta, "brief_fields", ("id",)))
        if request.query_params.get("fields"):
            wanted = {name.strip() for name in request.query_params["fields"].split(",") if name.strip()}
        if wanted is not None and request.method == "GET":
            for name in list(self.fields):
                if name not in wanted and name != "id":
                    self.fields.pop(name)

    def _is_top_level(self):
        parent = self.parent
        return parent is None or (isinstance(parent, serializers.ListSerializer) and parent.parent is None)

    @extend_schema_field(ProvenanceSerializer)
    def get_provenance(self, record):
        return provenance_of(record)

    def validate(self, attrs):
        """Run the model's own rules (field checks, DB constraints with their messages,
        cross-record rules) on the record as it would be saved."""
        attrs = super().validate(attrs)
        model = self.Meta.model
        many_to_many = {f.name for f in model._meta.many_to_many}
        plain = {k: v for k, v in attrs.items() if k not in many_to_many}
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in plain.items():
            setattr(candidate, name, value)
        try:
            candidate.full_clean(exclude=TrackedModel.PROVENANCE_FIELDS)
        except DjangoValidationError as error:
            raise serializers.ValidationError(_as_drf_detail(error)) from None
        return attrs


def _as_drf_detail(error):
    if hasattr(error, "error_dict"):
        return {("non_field_errors" if field == "__all__" else field): messages
                for field, messages in error.message_dict.items()}
    return {"non_field_errors": error.messages}


class BriefSerializer(serializers.ModelSerializer):
    """A compact nested representation (id plus a few identifying fields)."""

    class Meta:
        fields = ("id",)


class TransitionRequestSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=VerificationStatus.choices, help_text="The new verification status.")
    reason = serializers.CharField(help_text="Why: required for every change of status.")


class BulkTransitionRequestSerializer(TransitionRequestSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1,
                                max_length=1000,
                                help_text="Records to change: all of them, or none if any is refused.")


class TransitionSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")

    class Meta:
        model = VerificationTransition
        fields = ("id", "object_id", "from_status", "to_status", "user", "at", "reason", "channel")


class GradeRequestSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The new grade: reliability A–F for a source, credibility 1–6 for a claim.")
    reason = serializers.CharField(help_text="Why: required for every change of grade.")


class GradeChangeSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", allow_null=True)

    class Meta:
        model = GradeChange
        fields = ("id", "object_id", "field", "from_value", "to_value", "user", "at", "reason", "channel")


class HistoryEntrySerializer(serializers.Serializer):
    """One version of a record (its values are read at the record's own endpoint, not here)."""

    history_id = serializers.IntegerField(help_text="Pass it to …/restore/ to restore this version.")
    version = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True, help_text="Username; null for seed/system work.")
    kind = serializers.CharField(help_text="created or changed.")
    reason = serializers.CharField(allow_null=True, help_text="The change reason, when one was given.")
    changed_fields = serializers.ListField(child=serializers.CharField(),
                                           help_text="Fields whose value this version changed.")


class RestoreRequestSerializer(serializers.Serializer):
    history_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1,
                                          help_text="The version to restore, from …/history/.")
    reason = serializers.CharField(help_text="Why: required, kept as the history's change reason.")


class StaleVersionSerializer(serializers.Serializer):
    """412 Precondition Failed: someone saved the record after the version you started from."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField(allow_null=True)
    changed_fields = serializers.ListField(child=serializers.CharField())
    saved_by = serializers.ListField(child=serializers.DictField())
