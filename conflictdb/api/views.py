"""The base every model endpoint uses: list, detail, create and update — never delete."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from conflictdb import concurrency, grading, readlog, verification
from conflictdb.api.permissions import TransitionPermission
from conflictdb.api.renderers import CSVRenderer
from conflictdb.api.serializers import (
    BulkTransitionRequestSerializer,
    GradeChangeSerializer,
    GradeRequestSerializer,
    HistoryEntrySerializer,
    RestoreRequestSerializer,
    StaleVersionSerializer,
    TransitionRequestSerializer,
    TransitionSerializer,
)
from conflictdb.models import TrackedModel
from conflictdb.provenance import Channel, acting
from conflictdb.restore import restore as restore_version

PROVENANCE_RELATED = ("created_by", "updated_by")

IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description='The ETag of the version you started from (detail responses carry it, e.g. W/"claim-12-v3"). '
                "If the record was saved since, nothing is written and the answer is 412 Precondition Failed "
                "with who saved, when and which fields changed. Without it the write is accepted.",
)


def _stale_response(stale):
    """412 with the refusal and the current version's ETag (so the client can reload)."""
    body = {
        "detail": stale.summary,
        "current_version": stale.current,
        "changed_fields": stale.fields,
        "saved_by": [{"user": save.user, "at": save.at, "version": save.version} for save in stale.saves],
    }
    response = Response(StaleVersionSerializer(body).data, status=status.HTTP_412_PRECONDITION_FAILED)
    if stale.current is not None:
        response["ETag"] = concurrency.etag(stale.record, stale.current)
    return response


class TrackedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Reads for every role with `view`; writes through the model's rules for those with add/change.

    Removal is not an API operation: records are retracted (verification workflow), not deleted.
    """

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    ordering = ("id",)

    # The router gives every route a format-suffix twin (…/history.json), extra actions
    # included: the suffix chooses the renderer and is not passed on to the action.
    def dispatch(self, request, *args, **kwargs):
        self.suffix_format = kwargs.pop(api_settings.FORMAT_SUFFIX_KWARG, None)
        return super().dispatch(request, *args, **kwargs)

    def get_format_suffix(self, **kwargs):
        return self.suffix_format

    # DRF authenticates tokens inside the view, after the provenance middleware has run, so the
    # writes are attributed here, to the user DRF authenticated.
    def perform_create(self, serializer):
        with acting(user=self.request.user, channel=Channel.API):
            serializer.save()

    def perform_update(self, serializer):
        with acting(user=self.request.user, channel=Channel.API):
            serializer.save()

    def paginate_queryset(self, queryset):
        """A list page, and the read log of what it shows (rules: conflictdb.readlog). Rows are
        records, or the fast list path's named tuples (conflictdb.api.fast), both with an id."""
        page = super().paginate_queryset(queryset)
        if page is not None and self.request.method == "GET":
            ids = [row.pk if isinstance(row, TrackedModel) else getattr(row, "id", None) for row in page]
            readlog.note(self.request.user, queryset.model, ids, readlog.Door.API, self.request.path)
        return page

    # --- optimistic concurrency (rules: conflictdb.concurrency) --------------------------------

    def _expected_version(self, record):
        """The version the client started from: its If-Match, else the version just read."""
        header = self.request.headers.get("If-Match")
        if not header:
            return record.version
        try:
            version = concurrency.version_from_if_match(header, record)
        except ValueError as error:
            raise concurrency.StaleVersion(record, None, record.version, [], [], str(error)) from None
        return record.version if version is None else version

    @extend_schema(description="One record. The `ETag` response header names its version; send it back as "
                               "`If-Match` when changing the record.")
    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        readlog.note(request.user, type(record), [record.pk], readlog.Door.API, request.path)
        response = Response(self.get_serializer(record).data)
        response["ETag"] = concurrency.etag(record)
        return response

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        record = self.get_object()
        try:
            expected = self._expected_version(record)
            if expected != record.version:  # refuse before validating what no longer applies
                raise concurrency.describe(record, expected)
            serializer = self.get_serializer(record, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            with concurrency.editing(record, expected):
                self.perform_update(serializer)
        except concurrency.StaleVersion as stale:
            return _stale_response(stale)
        if getattr(record, "_prefetched_objects_cache", None):
            record._prefetched_objects_cache = {}
        response = Response(serializer.data)
        response["ETag"] = concurrency.etag(record)
        return response

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    # --- verification workflow (rules: conflictdb.verification) --------------------------------

    def _transition(self, records, to_status, reason):
        with acting(user=self.request.user, channel=Channel.API):
            try:
                done, refusals = verification.transition_many(records, to_status, user=self.request.user,
                                                              reason=reason)
            except concurrency.StaleVersion as stale:
                return _stale_response(stale)
            except DjangoValidationError as error:
                raise ValidationError(error.message_dict) from None
        if refusals:
            details = {str(r.record.pk): r.message for r in refusals}
            if all("Four-eyes" in m or "Only " in m for m in details.values()):
                raise PermissionDenied({"refused": details, "changed": []})
            raise ValidationError({"refused": details, "changed": []})
        return Response(TransitionSerializer(done, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionRequestSerializer, responses={201: TransitionSerializer(many=True)},
                   description="Change this record's verification status (verification workflow rules apply).")
    @action(detail=True, methods=["post"], url_path="transition", permission_classes=[TransitionPermission],
            filter_backends=[], pagination_class=None, parser_classes=[JSONParser])
    def transition(self, request, pk=None):
        payload = TransitionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = self.get_object()
        try:
            expected = self._expected_version(record)
        except concurrency.StaleVersion as stale:
            return _stale_response(stale)
        if expected != record.version:
            return _stale_response(concurrency.describe(record, expected))
        return self._transition([record], payload.validated_data["to"], payload.validated_data["reason"])

    @extend_schema(request=BulkTransitionRequestSerializer, responses={201: TransitionSerializer(many=True)},
                   description="Change the status of several records: all of them, or none if any is refused.")
    @action(detail=False, methods=["post"], url_path="bulk-transition", permission_classes=[TransitionPermission],
            filter_backends=[], pagination_class=None, parser_classes=[JSONParser])
    def transition_many(self, request):
        payload = BulkTransitionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = set(payload.validated_data["ids"])
        records = list(self.get_queryset().filter(pk__in=ids))
        missing = ids - {record.pk for record in records}
        if missing:
            raise NotFound({"ids": f"No such records: {sorted(missing)}."})
        return self._transition(records, payload.validated_data["to"], payload.validated_data["reason"])

    @extend_schema(responses=TransitionSerializer(many=True), description="This record's verification changes.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def transitions(self, request, pk=None):
        return Response(TransitionSerializer(verification.transitions_of(self.get_object()), many=True).data)

    # --- history and restore (rules: conflictdb.restore) ---------------------------------------

    @extend_schema(responses=HistoryEntrySerializer(many=True),
                   description="This record's versions, newest first: who, when, why and which fields changed. "
                               "Restore one with …/restore/.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        record = self.get_object()
        hidden = {*record.PROVENANCE_FIELDS}
        entries = [
            {
                "history_id": row.history_id,
                "version": row.version,
                "at": row.history_date,
                "user": row.history_user.get_username() if row.history_user is not None else None,
                "kind": {"+": "created", "~": "changed", "-": "deleted"}[row.history_type],
                "reason": row.history_change_reason or None,
                "changed_fields": [field for field, _old, _new in changes if field not in hidden],
            }
            for row, changes in record.field_changes()
        ]
        return Response(HistoryEntrySerializer(entries, many=True).data)

    @extend_schema(request=RestoreRequestSerializer, parameters=[IF_MATCH],
                   description="Write the content of an earlier version as the record's next version (needs "
                               "change permission and a reason). The verification status, the grade and the "
                               "provenance are not restored; the model's rules apply as to any change.")
    @action(detail=True, methods=["post"], url_path="restore", permission_classes=[TransitionPermission],
            filter_backends=[], pagination_class=None, parser_classes=[JSONParser])
    def restore(self, request, pk=None):
        payload = RestoreRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = self.get_object()
        with acting(user=request.user, channel=Channel.API):
            try:
                restored = restore_version(record, payload.validated_data["history_id"], user=request.user,
                                            reason=payload.validated_data["reason"],
                                            expected_version=self._expected_version(record))
            except concurrency.StaleVersion as stale:
                return _stale_response(stale)
            except DjangoValidationError as error:
                raise ValidationError(error.message_dict) from None
        response = Response(self.get_serializer(restored).data)
        response["ETag"] = concurrency.etag(restored)
        return response


class GradedMixin:
    """Grade changes for sources (reliability) and claims (credibility): rules in conflictdb.grading."""

    @extend_schema(request=GradeRequestSerializer, responses={201: GradeChangeSerializer},
                   description="Change this record's grade (verifiers only; a reason is required and kept).")
    @action(detail=True, methods=["post"], url_path="grade", permission_classes=[TransitionPermission],
            filter_backends=[], pagination_class=None, parser_classes=[JSONParser])
    def grade(self, request, pk=None):
        payload = GradeRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = self.get_object()
        with acting(user=request.user, channel=Channel.API):
            try:
                change = grading.regrade(record, payload.validated_data["value"], user=request.user,
                                         reason=payload.validated_data["reason"])
            except DjangoValidationError as error:
                raise ValidationError(error.message_dict) from None
        return Response(GradeChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=GradeChangeSerializer(many=True), description="This record's grade changes.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def grades(self, request, pk=None):
        return Response(GradeChangeSerializer(grading.grade_changes_of(self.get_object()), many=True).data)
