"""The base every model endpoint uses: list, detail, create and update — never delete."""

from rest_framework import mixins, viewsets
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from conflictdb.api.renderers import CSVRenderer
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
