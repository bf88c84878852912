"""CSV and GeoJSON output for list and detail endpoints (same filters as JSON)."""

import csv
import io
import json

from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

from conflictdb.csvio.safety import safe_cell  # the one home of formula safety
from conflictdb.protection import PLACEHOLDER

NUMERIC_FIELDS = (serializers.IntegerField, serializers.FloatField, serializers.DecimalField)


def _rows(data):
    if isinstance(data, dict) and "results" in data:
        return data["results"]
    if isinstance(data, list):
        return data
    return [data]


def flatten(value, prefix="", out=None):
    """{"claimant": {"name": "x"}} → {"claimant.name": "x"}; lists of scalars are joined by "; "."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        if all(not isinstance(item, (dict, list)) for item in value):
            out[prefix] = "; ".join("" if item is None else str(item) for item in value)
        else:
            out[prefix] = json.dumps(value, ensure_ascii=False, default=str)
    else:
        out[prefix] = value
    return out


def numeric_columns(serializer, prefix="") -> set[str]:
    """The flattened column names (`claim.credibility`) a serializer writes numbers into."""
    columns = set()
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListSerializer):
            continue  # written as JSON in one cell
        if isinstance(field, serializers.Serializer):
            columns |= numeric_columns(field, f"{prefix}{name}.")
        elif isinstance(field, NUMERIC_FIELDS):
            columns.add(f"{prefix}{name}")
    return columns


def _numeric_columns_of(renderer_context) -> set[str]:
    view = (renderer_context or {}).get("view")
    get_class = getattr(view, "get_serializer_class", None)
    if get_class is None:
        return set()
    try:
        return numeric_columns(get_class()())
    except AssertionError:  # a view without a serializer (aggregates)
        return set()


class CSVRenderer(BaseRenderer):
    """Flattened rows. A protected value (PLACEHOLDER) in a numeric column is an empty cell, so
    the column stays numbers for whoever loads the file (a spreadsheet, pandas)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = [flatten(row) for row in _rows(data)]
        if rows and set(rows[0]) == {"detail"}:
            rows = [{"error": rows[0]["detail"]}]
        columns = []
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
        numeric = _numeric_columns_of(renderer_context)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if column in numeric and row.get(column) == PLACEHOLDER else safe_cell(row.get(column))
                             for column in columns])
        return buffer.getvalue().encode(self.charset)


def _point(row):
    if isinstance(row, dict) and row.get("latitude") is not None and row.get("longitude") is not None:
        return {"type": "Point", "coordinates": [float(row["longitude"]), float(row["latitude"])]}
    return None


class GeoJSONRenderer(BaseRenderer):
    """A FeatureCollection; each row's `geometry` (or latitude/longitude, or its nested `place`'s)
    is the point; every other field, nested records included, is in the properties."""

    media_type = "application/geo+json"
    format = "geojson"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "detail" in data and len(data) == 1:
            return json.dumps(data).encode()
        features = []
        for row in _rows(data):
            row = dict(row)
            geometry = row.pop("geometry", None)
            if geometry is None:
                geometry = _point(row) or _point(row.get("place"))
            features.append({"type": "Feature", "id": row.get("id"), "geometry": geometry, "properties": row})
        collection = {"type": "FeatureCollection", "features": features}
        if isinstance(data, dict) and "next" in data:
            collection["next"] = data.get("next")
        return json.dumps(collection, ensure_ascii=False, default=str).encode(self.charset)
