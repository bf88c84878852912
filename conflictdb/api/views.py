"""The base every model endpoint uses: list, detail, create and update — never delete."""

from rest_framework import mixins, viewsets

from conflictdb.api.renderers import CSVRenderer
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

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
