"""The base every model endpoint uses: list, detail, create and update — never delete."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from conflictdb import verification
from conflictdb.api.permissions import TransitionPermission
from conflictdb.api.renderers import CSVRenderer
from conflictdb.api.serializers import (
    BulkTransitionRequestSerializer,
    TransitionRequestSerializer,
    TransitionSerializer,
)
from conflictdb.provenance import Channel, acting

PROVENANCE_RELATED = ("created_by", "updated_by")


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

    # DRF authenticates tokens inside the view, after the provenance middleware has run, so the
    # writes are attributed here, to the user DRF authenticated.
    def perform_create(self, serializer):
        with acting(user=self.request.user, channel=Channel.API):
            serializer.save()

    def perform_update(self, serializer):
        with acting(user=self.request.user, channel=Channel.API):
            serializer.save()

    # --- verification workflow (rules: conflictdb.verification) --------------------------------

    def _transition(self, records, to_status, reason):
        with acting(user=self.request.user, channel=Channel.API):
            try:
                done, refusals = verification.transition_many(records, to_status, user=self.request.user,
                                                              reason=reason)
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
        return self._transition([self.get_object()], payload.validated_data["to"], payload.validated_data["reason"])

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
