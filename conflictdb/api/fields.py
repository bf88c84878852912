"""A foreign key that is written as an id and read as a compact nested record."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers


class NestedRelatedField(serializers.PrimaryKeyRelatedField):
    def __init__(self, brief_serializer, **kwargs):
        self.brief_serializer = brief_serializer
        super().__init__(**kwargs)

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        # One nested serializer per bound field, reused for every row: building a ModelSerializer's
        # fields per value cost milliseconds per row on list pages.
        serializer = self.__dict__.get("_brief")
        if serializer is None:
            serializer = self._brief = self.brief_serializer(context=self.context)
        return serializer.to_representation(value)


class NestedRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Schema: an integer id in requests, the nested brief record in responses."""

    target_class = NestedRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(self.target.brief_serializer, direction).ref
