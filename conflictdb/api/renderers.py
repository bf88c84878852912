"""CSV and GeoJSON output for list and detail endpoints (same filters as JSON)."""

import csv
import io
import json

from rest_framework.renderers import BaseRenderer

from conflictdb.csvio.safety import safe_cell  # the one home of formula safety


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


class CSVRenderer(BaseRenderer):
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
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(row.get(column)) for column in columns])
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
