"""How a flat layout reads a file's header: each column matched to a field of the layout by its
name or a common synonym, or as the user maps it. The one home of header matching.

- Names are compared folded: case, spaces, underscores, hyphens and dots do not count
  ("Document URL", "document_url", "documentUrl" are one name).
- A layout declares its fields (HeaderField: name, synonyms, required); a header that is a
  field's name or one of its synonyms reads that field.
- The user may map columns (`--map party=Affiliation`, or the admin's mapping step): a mapped
  field is read from the named column whatever the synonyms say; a column mapped to `-`
  (`--map -=Notes`) is not read at all.
- Columns no field claims are not read, and say so (spreadsheets carry columns of their own);
  two columns claiming one field, a mapping naming an unknown field or column, and a missing
  required field are header errors (row 1) saying what to do.

match_header() returns a HeaderMatch: field → column index, and one HeaderReading per column
(how it was read), which the admin shows in its preview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

IGNORE = "-"  # a mapping's field that means "do not read this column"
_FOLD = re.compile(r"[\s_\-./]+")


def fold(name: str) -> str:
    """A header name for comparison: lower case, without spaces, underscores, hyphens, dots, slashes."""
    return _FOLD.sub("", (name or "").strip().lower().lstrip("\ufeff"))


@dataclass(frozen=True)
class HeaderField:
    """A field a layout reads: its name (the documented column), synonyms, whether it is required."""

    name: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class HeaderReading:
    """How one column of the file was read: the field it fills (None: not read) and why."""

    index: int
    header: str
    field: str | None
    how: str  # "name", "synonym", "mapped", "ignored", "not read"

    @property
    def explanation(self) -> str:
        return {"name": "its name", "synonym": "a synonym", "mapped": "your mapping",
                "ignored": "not read (your mapping)", "not read": "not read: no field has this name"}[self.how]


@dataclass
class HeaderMatch:
    columns: dict[str, int] = field(default_factory=dict)  # field name → column index
    readings: list[HeaderReading] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column(s), reason), all on row 1

    def column(self, name: str) -> str:
        """The file's own header of a field (for error messages), or the field's name."""
        index = self.columns.get(name)
        return self.readings[index].header if index is not None else name


def parse_mapping(items) -> dict:
    """{field: column} from "field=column" texts (the command's --map); the columns left unread
    (`-=column`) as a list under IGNORE. ValueError when malformed."""
    mapping = {}
    for item in items or ():
        name, equals, header = item.partition("=")
        if not equals or not name.strip() or not header.strip():
            raise ValueError(f"--map {item!r}: expected FIELD=COLUMN, e.g. party=Affiliation")
        if name.strip() == IGNORE:
            mapping.setdefault(IGNORE, []).append(header.strip())
        else:
            mapping[name.strip()] = header.strip()
    return mapping


def match_header(header: list[str], fields: tuple[HeaderField, ...], mapping: dict | None = None) -> HeaderMatch:
    """Read `header` for a layout's `fields`, with the user's `mapping` ({field: column}) first."""
    match = HeaderMatch()
    by_name = {fold(f.name): f.name for f in fields}
    by_synonym = {}
    for f in fields:
        for synonym in f.synonyms:
            by_synonym.setdefault(fold(synonym), f.name)
    folded = [fold(name) for name in header]
    chosen: dict[int, tuple[str | None, str]] = {}
    pairs = [(name, column) for name, value in (mapping or {}).items()
             for column in ([value] if isinstance(value, str) else value)]
    for name, column in pairs:
        target = by_name.get(fold(name)) if name != IGNORE else IGNORE
        if target is None:
            match.problems.append((name, f"the mapping names no field of this layout; the fields are "
                                         f"{', '.join(f.name for f in fields)}"))
            continue
        positions = [i for i, text in enumerate(folded) if text == fold(column)]
        if not positions:
            match.problems.append((column, f"the mapping {name}={column} names a column the file does not have; "
                                           f"its columns are {', '.join(header)}"))
            continue
        for position in positions:
            chosen[position] = (None, "ignored") if target == IGNORE else (target, "mapped")
    mapped_fields = {target for target, how in chosen.values() if how == "mapped"}
    for position, text in enumerate(folded):
        if position in chosen:
            continue
        if text in by_name and by_name[text] not in mapped_fields:
            chosen[position] = (by_name[text], "name")
        elif text in by_synonym and by_synonym[text] not in mapped_fields:
            chosen[position] = (by_synonym[text], "synonym")
        else:
            chosen[position] = (None, "not read")
    claimed: dict[str, list[int]] = {}
    for position in range(len(header)):
        target, how = chosen[position]
        match.readings.append(HeaderReading(position, header[position], target, how))
        if target is not None:
            claimed.setdefault(target, []).append(position)
    for name, positions in claimed.items():
        if len(positions) > 1:
            listed = " and ".join(repr(header[p]) for p in positions)
            match.problems.append((", ".join(header[p] for p in positions),
                                   f"columns {listed} would both be read as {name}: map one of them "
                                   f"(--map {name}=COLUMN, or the mapping step of the preview)"))
        match.columns[name] = positions[0]
    for f in fields:
        if f.required and f.name not in match.columns:
            also = f" (also read from: {', '.join(f.synonyms)})" if f.synonyms else ""
            match.problems.append((f.name, f"required column missing{also}; name it so, or map a column to it "
                                           f"(--map {f.name}=COLUMN)"))
    return match
