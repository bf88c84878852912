"""A lean read path for list endpoints: the same output as the serializers, without model instances.

Through DRF a casualty figure with its claim context costs a dozen model instances and ~80
get_attribute/to_representation calls: harvesting 100,000 rows took minutes. For GET lists
rendered as JSON or CSV, `FastListMixin` compiles the list's serializer (after `brief`/`fields`
selection) into a plan:

- the columns it reads, fetched with `values_list()` from the same filtered and ordered queryset,
  so filters, ordering, search and both paginations (and their links) are unchanged;
- one generated function per plan that builds a row's dict from those columns exactly as
  `serializer.data` would: same keys in the same order, the same field `to_representation` for
  dates, datetimes and decimals, nested records as None when their foreign key is empty;
- one extra query per page for each many-to-many list (a claim's quotes), in the order the
  prefetch gave.

What a column cannot express — a method field or a model property nobody registered a column
rule for (`register_method`, `register_property`), a reverse or many-valued relation other than a
plain many-to-many, a dotted source through a nullable foreign key — makes the plan refuse, and
the endpoint serializes through DRF as before. tests/conflictdb/api/test_fast.py checks that both paths
give identical output on every route.
"""

from __future__ import annotations

import datetime
import itertools
from collections import OrderedDict

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import F, Lookup, Q, TextField
from django.db.models.functions import Cast
from rest_framework import serializers
from rest_framework.fields import SerializerMethodField
from rest_framework.relations import (
    ManyRelatedField,
    PrimaryKeyRelatedField,
    RelatedField,
)
from rest_framework.response import Response
from rest_framework.settings import api_settings

from conflictdb import protection
from conflictdb.api.fields import MaskedFieldMixin, NestedRelatedField, sight_of
from conflictdb.api.serializers import TrackedSerializer


class Unsupported(Exception):
    """The serializer has a field the fast path cannot reproduce exactly; DRF serializes it."""


# Fields whose to_representation returns a database value unchanged (str, int, bool).
_IDENTITY = {
    serializers.CharField.to_representation,
    serializers.IntegerField.to_representation,
    serializers.ChoiceField.to_representation,
    serializers.BooleanField.to_representation,
    serializers.ReadOnlyField.to_representation,
}



def _is_identity(field):
    if type(field).to_representation in _IDENTITY:
        return True
    # Big integers (BigAutoField ids) are ints unless COERCE_BIGINT_TO_STRING is on.
    return (type(field).to_representation is serializers.BigIntegerField.to_representation
            and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING))


_METHODS = {}  # serializer method function -> handler(compiler, serializer, model, prefix) -> expression
_PROPERTIES = {}  # (model, attribute) -> (paths, function of their values)


def register_method(function):
    """Register how a SerializerMethodField's method is computed from columns.

    The handler receives (compiler, serializer, model, prefix) and returns a Python expression
    (see Compiler.column/constant) that gives the same value as the method would.
    """

    def decorator(handler):
        _METHODS[function] = handler
        return handler

    return decorator


def register_property(model, attribute, paths, function):
    """A model property read by a serializer field: `function(*values of paths)` gives its value."""
    _PROPERTIES[(model, attribute)] = (tuple(paths), function)


class Compiler:
    """Turns a serializer into columns and the source of one expression building its dict."""

    def __init__(self, json=False, sight=protection.NOBODY):
        self.json = json  # building for the JSON renderer (else for CSV: Python values as DRF's)
        self.sight = sight  # what the reader may see: masked fields are compiled for it
        self.columns: list[str] = []
        self._index: dict[str, int] = {}
        self.namespace: dict[str, object] = {}
        self.loaders: list = []  # functions(rows) -> value, run once per page (x[slot] in expressions)
        self._names = itertools.count()
        self._lookups: dict = {}
        self.annotations: dict = {}

    def column(self, path):
        """The expression reading column `path` (a values_list path) of row `r`."""
        if path not in self._index:
            self._index[path] = len(self.columns)
            self.columns.append(path)
        return f"r[{self._index[path]}]"

    def expression(self, expression):
        """The expression reading a computed column (an ORM expression annotated on the query)."""
        name = f"fastcol{len(self.annotations)}"
        self.annotations[name] = expression
        return self.column(name)

    def constant(self, value, hint="c"):
        name = f"_{hint}{next(self._names)}"
        self.namespace[name] = value
        return name

    def page_value(self, loader):
        """An expression for a value computed once per page: `loader(rows)`."""
        slot = len(self.loaders)
        self.loaders.append(loader)
        return f"x[{slot}]"

    # serializers and fields ------------------------------------------------------------------------

    def serializer(self, serializer, model, prefix=""):
        items = [f"{field.field_name!r}: {self.field(field, serializer, model, prefix)}"
                 for field in serializer._readable_fields]
        return "{" + ", ".join(items) + "}"

    def field(self, field, serializer, model, prefix):
        if isinstance(field, MaskedFieldMixin):
            return self._masked(field, model, prefix)
        if isinstance(field, SerializerMethodField):
            method = getattr(type(serializer), field.method_name, None)
            handler = _METHODS.get(method)
            if handler is None:
                raise Unsupported(f"{type(serializer).__name__}.{field.method_name}")
            return handler(self, serializer, model, prefix)
        if field.source == "*":
            raise Unsupported(f"{field.field_name}: source='*'")
        if isinstance(field, serializers.ListSerializer):
            return self._many(field, model, prefix)
        if isinstance(field, ManyRelatedField):
            return self._many_ids(field, model, prefix)
        if isinstance(field, (NestedRelatedField, serializers.BaseSerializer)):
            return self._nested(field, model, prefix)
        if isinstance(field, PrimaryKeyRelatedField):
            if field.pk_field is not None or type(field).to_representation is not PrimaryKeyRelatedField.to_representation:
                raise Unsupported(field.field_name)
            relation, _ = self._relation(model, field.source_attrs)
            return self.column(prefix + relation)
        if isinstance(field, RelatedField):
            raise Unsupported(f"{field.field_name}: {type(field).__name__}")
        return self._leaf(field, model, prefix)

    def _leaf(self, field, model, prefix):
        *through, last = field.source_attrs
        path, owner = self._walk(model, through)
        try:
            model_field = owner._meta.get_field(last)
        except FieldDoesNotExist:
            model_field = None
        if model_field is None or not model_field.concrete:
            rule = _PROPERTIES.get((owner, last))
            if rule is None:
                raise Unsupported(f"{owner.__name__}.{last} is not a column")
            paths, function = rule
            args = ", ".join(self.column(prefix + path + p) for p in paths)
            value = f"{self.constant(function, 'p')}({args})"
        elif model_field.is_relation and last != model_field.attname:
            raise Unsupported(f"{field.field_name}: a relation as a plain field")
        else:
            value = self.column(prefix + path + model_field.name)
        if _is_identity(field):
            return value
        convert = self.constant(field.to_representation, "f")
        return f"(None if {value} is None else {convert}({value}))"

    def _masked(self, field, model, prefix):
        """A protected value: the same mask as MaskedFieldMixin.get_attribute, on the same columns."""
        if field.mask.sees(self.sight):
            return self._leaf(field, model, prefix)
        path, _ = self._walk(model, field.source_attrs[:-1])
        extras = "".join(f", {self.column(prefix + path + p)}" for p in field.mask.paths)
        value = self._leaf(field, model, prefix)
        mask = self.constant(field.mask.function, "m")
        return f"{mask}({self.constant(self.sight, 's')}, {value}{extras})"

    def _walk(self, model, attrs):
        """Follow non-null forward foreign keys (DRF would skip the field behind a null one)."""
        path = ""
        for attr in attrs:
            try:
                relation = model._meta.get_field(attr)
            except FieldDoesNotExist:
                raise Unsupported(f"{model.__name__}.{attr}") from None
            if not (relation.many_to_one or relation.one_to_one) or not relation.concrete or relation.null:
                raise Unsupported(f"{model.__name__}.{attr}: not a required foreign key")
            path += relation.name + "__"
            model = relation.related_model
        return path, model

    def _relation(self, model, attrs):
        *through, last = attrs
        path, owner = self._walk(model, through)
        try:
            relation = owner._meta.get_field(last)
        except FieldDoesNotExist:
            raise Unsupported(f"{owner.__name__}.{last}") from None
        if not (relation.many_to_one or relation.one_to_one) or not relation.concrete:
            raise Unsupported(f"{owner.__name__}.{last}: not a foreign key")
        return path + relation.name, relation.related_model

    def _nested(self, field, model, prefix):
        """A nested record behind a foreign key: built once per distinct id, from one query per page
        and related model (joining every nested table into the list query made PostgreSQL spend
        more time planning a 15-table join than running it)."""
        relation, related_model = self._relation(model, field.source_attrs)
        if isinstance(field, NestedRelatedField):
            nested = field.__dict__.get("_brief") or field.brief_serializer(context=field.context)
        else:
            nested = field
        if getattr(nested, "many", False):
            raise Unsupported(field.field_name)
        key = self.column(prefix + relation)
        signature = (related_model, type(nested), tuple(nested.fields))
        lookup = self._lookups.get(signature)
        if lookup is None:
            lookup = self._lookups[signature] = RelatedRecords(nested, related_model, self.json, self.sight)
            lookup.expression = self.page_value(lookup.loader)
        lookup.sources.append(self._index[prefix + relation])
        return f"{lookup.expression}.get({key})"

    def _many(self, field, model, prefix, ids_only=False):
        """A nested list over a plain many-to-many field (or only its ids): one query per page, in
        prefetch order."""
        if len(field.source_attrs) != 1:
            raise Unsupported(field.field_name)
        try:
            relation = model._meta.get_field(field.source_attrs[0])
        except FieldDoesNotExist:
            raise Unsupported(field.field_name) from None
        if not relation.many_to_many or not relation.concrete:
            raise Unsupported(f"{field.field_name}: not a many-to-many field")
        related_model = relation.related_model
        child = Compiler(self.json, self.sight)
        body = child.column("pk") if ids_only else child.serializer(field.child, related_model)
        if child.loaders:
            raise Unsupported(f"{field.field_name}: nested lists")
        build = child.function(body)
        back = relation.related_query_name()
        parent = self.column(prefix + "id")
        slot_of_parent = self._index[prefix + "id"]

        def load(rows):
            ids = {row[slot_of_parent] for row in rows} - {None}
            grouped = {}
            if ids:
                queryset = related_model._default_manager.filter(**{f"{back}__in": ids})
                for row in queryset.values_list(back, *child.columns):
                    grouped.setdefault(row[0], []).append(build(row[1:], ()))
            return grouped

        return f"{self.page_value(load)}.get({parent}, [])"

    def _many_ids(self, field, model, prefix):
        """The ids over a plain many-to-many field (`PrimaryKeyRelatedField(many=True)`): one query per
        page, in the related model's order, as the related manager's `.all()` gives them."""
        child = field.child_relation
        if type(child) is not PrimaryKeyRelatedField or child.pk_field is not None:
            raise Unsupported(f"{field.field_name}: many related field")
        return self._many(field, model, prefix, ids_only=True)

    def function(self, body):
        source = f"def build(r, x):\n    return {body}\n"
        namespace = dict(self.namespace)
        exec(compile(source, "<conflictdb.api.fast>", "exec"), namespace)  # noqa: S102 - generated from field names
        return namespace["build"]


class _AnyOf(Lookup):
    """`column = ANY(%s)` with the ids as one array parameter: thousands of `IN (%s, …)`
    placeholders cost more to bind than the query takes to run."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, self.rhs]


def pk_in(model, ids):
    if connection.vendor == "postgresql":
        return _AnyOf(F("pk"), sorted(ids))
    return Q(pk__in=ids)


class RelatedRecords:
    """The records of one related model a page refers to: {id: record dict}, one query per page."""

    def __init__(self, serializer, model, json, sight=protection.NOBODY):
        self.model = model
        self.sources: list[int] = []  # the columns of the referring rows that hold the ids
        self.expression = ""
        compiler = Compiler(json, sight)
        compiler.column("id")
        body = compiler.serializer(serializer, model)
        self.columns = compiler.columns
        self.annotations = compiler.annotations
        self.loaders = compiler.loaders
        self.build = compiler.function(body)

    def loader(self, rows):
        ids = {row[k] for k in self.sources for row in rows} - {None}
        if not ids:
            return {}
        queryset = self.model._base_manager.filter(pk_in(self.model, ids)).order_by()
        records = list(queryset.annotate(**self.annotations).values_list(*self.columns))
        extras = [load(records) for load in self.loaders]
        build = self.build
        return {record[0]: build(record, extras) for record in records}


class Plan:
    def __init__(self, serializer, model, json=False, sight=protection.NOBODY):
        compiler = Compiler(json, sight)
        compiler.column("id")  # the cursor pagination reads each row's id
        body = compiler.serializer(serializer, model)
        self.columns = compiler.columns
        self.annotations = compiler.annotations
        self.loaders = compiler.loaders
        self.build = compiler.function(body)

    def rows(self, queryset):
        queryset = queryset.prefetch_related(None)
        if self.annotations:
            queryset = queryset.annotate(**self.annotations)
        return queryset.values_list(*self.columns, named=True)

    def render(self, rows):
        extras = [load(rows) for load in self.loaders]
        build = self.build
        return [build(row, extras) for row in rows]


_plans: OrderedDict = OrderedDict()
_MAX_PLANS = 256  # `fields=` lets clients ask for any subset: keep the most recently used plans


def plan_for(serializer, model, json=False):
    """The compiled plan for a (trimmed) serializer, or None when it has an unsupported field.
    `json`: the data goes to the JSON renderer only (datetimes may be given as their JSON text)."""
    sight = sight_of(serializer.context)  # protected values are compiled per Sight
    key = (type(serializer), tuple(serializer.fields), json, sight)
    try:
        _plans.move_to_end(key)
        return _plans[key]
    except KeyError:
        pass
    try:
        plan = Plan(serializer, model, json, sight)
    except Unsupported:
        plan = None
    _plans[key] = plan
    while len(_plans) > _MAX_PLANS:
        _plans.popitem(last=False)
    return plan


class FastListMixin:
    """GET lists in JSON or CSV go through the compiled plan when the serializer allows it."""

    fast_formats = ("json", "csv")

    def list(self, request, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if request.method != "GET" or getattr(renderer, "format", None) not in self.fast_formats:
            return super().list(request, *args, **kwargs)
        queryset = self.get_queryset()
        plan = plan_for(self.get_serializer(many=True).child, queryset.model, json=renderer.format == "json")
        if plan is None:
            return super().list(request, *args, **kwargs)
        rows = plan.rows(self.filter_queryset(queryset))
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(plan.render(page))
        return Response(plan.render(list(rows)))


# --- the provenance every tracked record shows (conflictdb.api.serializers.provenance_of) ---------


def _register_provenance():
    @register_method(TrackedSerializer.get_provenance)
    def provenance(compiler, serializer, model, prefix):
        # provenance_of(record): raw values (datetimes stay datetimes), usernames or None.
        columns = {
            "created_at": "created_at", "created_by": "created_by__username", "channel": "channel",
            "updated_at": "updated_at", "updated_by": "updated_by__username", "last_channel": "last_channel",
            "import_batch": "import_batch", "import_row": "import_row", "version": "version",
        }
        values = {key: instant(compiler, prefix + path) if key in ("created_at", "updated_at")
                  else compiler.column(prefix + path) for key, path in columns.items()}
        return "{" + ", ".join(f"{key!r}: {value}" for key, value in values.items()) + "}"


def instant(compiler, path):
    """A timestamptz column as the aware datetime Django would load — or, for the JSON renderer,
    as the text DRF's JSONEncoder would write for it. On PostgreSQL it is read as text and parsed
    by datetime.fromisoformat (C): Django's timestamptz loader is pure Python and cost more than
    the rest of a harvested row's provenance."""
    if connection.vendor == "postgresql":
        raw = compiler.expression(Cast(F(path), TextField()))
        value = f"{compiler.constant(_instant_parser(connection.timezone), 't')}({raw})"
    else:
        raw = value = compiler.column(path)
    if compiler.json:
        value = f"{compiler.constant(_json_datetime, 'j')}({value})"
    return f"(None if {raw} is None else {value})"


def _json_datetime(value):
    """rest_framework.utils.encoders.JSONEncoder.default for a datetime."""
    representation = value.isoformat()
    if representation.endswith("+00:00"):
        representation = representation[:-6] + "Z"
    return representation


def _instant_parser(zone):
    # PostgreSQL writes e.g. "2021-01-07 20:55:35.12+00" in the session's time zone (UTC under
    # USE_TZ); Django gives the datetime in connection.timezone (datetime.timezone.utc then).
    parse = datetime.datetime.fromisoformat

    def instant(text):
        value = parse(text)
        return value if value.tzinfo is zone else value.astimezone(zone)

    return instant


_register_provenance()
