"""A foreign key that is written as an id and read as a compact nested record."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers
from rest_framework.fields import empty
from conflictdb import protection
from conflictdb.protection import PLACEHOLDER
from conflictdb.protection import refuse_placeholder


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

    def get_choices(self, cutoff=None):
        # The browsable API's forms key choices by id (a nested record is not hashable).
        queryset = self.get_queryset()
        if queryset is None:
            return {}
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {item.pk: self.display_value(item) for item in queryset}


class NestedRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Schema: an integer id in requests, the nested brief record in responses."""

    target_class = NestedRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(self.target.brief_serializer, direction).ref


# --- protected values (rules: conflictdb.protection) --------------------------------------------


def sight_of(context):
    """What the reader of a serializer may see: its request's user, or a Sight given in the
    context (the fast list path renders nested records without a request); nobody otherwise."""
    given = context.get("sight")
    if given is not None:
        return given
    request = context.get("request")
    return protection.sight(getattr(request, "user", None)) if request is not None else protection.NOBODY


class MaskedFieldMixin:
    """A field some readers see as a placeholder: `mask` (a conflictdb.protection.Mask) turns the
    value and the columns it names into what this reader may see. conflictdb.api.fast reads the
    same columns and applies the same mask, so both list paths agree."""

    def __init__(self, *args, mask, **kwargs):
        self.mask = mask
        super().__init__(*args, **kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        owner = instance
        for attr in self.source_attrs[:-1]:
            owner = getattr(owner, attr, None)
        extras = []
        for path in self.mask.paths:
            extra = owner
            for attr in path.split("__"):
                extra = getattr(extra, attr, None)
            extras.append(extra)
        return self.mask.apply(sight_of(self.context), value, *extras)

    def to_representation(self, value):
        return value if value == PLACEHOLDER else super().to_representation(value)

    def run_validation(self, data=empty):
        from django.core.exceptions import ValidationError as DjangoValidationError


        try:
            refuse_placeholder(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        if self.mask.personal and data is not empty and not self.mask.sees(sight_of(self.context)):
            raise serializers.ValidationError("Only users who may see personal data may write it.")
        return super().run_validation(data)


class MaskedCharField(MaskedFieldMixin, serializers.CharField):
    pass


class MaskedURLField(MaskedFieldMixin, serializers.URLField):
    pass


class MaskedIntegerField(MaskedFieldMixin, serializers.IntegerField):
    pass


class MaskedChoiceField(MaskedFieldMixin, serializers.ChoiceField):
    pass


class MaskedFieldExtension(OpenApiSerializerFieldExtension):
    """Schema: the field's own type in requests; in responses also the placeholder. No example
    or default ever carries a real value (the schema is built from the fields, not the data)."""

    target_class = MaskedFieldMixin
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" or schema.get("type") == "string" and "enum" not in schema:
            return schema
        return {"oneOf": [schema, {"type": "string", "enum": [PLACEHOLDER]}],
                "description": f"“{PLACEHOLDER}” for users without permission to see it."}
