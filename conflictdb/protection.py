"""Protection: the one home of who may see a protected source's identity and a casualty's
personal data, and of what everybody else sees instead.

Every door asks here — serializers, admin, filters, search, ordering, aggregates, CSV exports,
error messages, history and restore — and never checks the permissions itself. A past version
is judged by its record's protection now, never by the flags it had then (`_live_flags`).

What is protected (the rule is written for users in docs/protection.md):
- a protected source's name (shown as its public label), its description, URL and aliases;
- the URL, archive URL and author of a document its publisher is a protected source of (they
  name the publisher: a private channel's address, an informant's by-line);
- a casualty's name, Arabic name, age and sex (`Casualty.PERSONAL_FIELDS`);
- personal data in text: the passages of a document marked as personal data (a victim's name,
  "aged 34"), in the document's text, its quotes and the statements of its claims — masked
  character for character (`mask_personal_text`, "Personal data in text" below), so offsets
  into the text stay valid.

The models declare it — `PROTECTED_FIELDS = {field: mask}` with the masks below, and
`PROTECTED_ROWS = "flag path"` for records hidden whole — and their app registers the
declarations (conflictdb.registry.register_domain_app); this module reads the registry.

Whoever lacks the permission sees `PLACEHOLDER` (or the public label) instead, cannot search,
filter or order by the real value, and cannot write the placeholder back over it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, F, Q, When

from conflictdb.registry import registry
from conflictdb.provenance import Channel, current

VIEW_PROTECTED_SOURCE = "sources.view_protected_source"
VIEW_PERSONAL_DATA = "events.view_personal_data"
EXPORT_DATA = "conflictdb.export_data"
IMPORT_DATA = "conflictdb.import_data"

# What a user without the permission sees in place of a personal-data value.
PLACEHOLDER = "[protected]"


class _System:
    """The viewer outside any request (seed loader, management commands, shell): sees everything."""

    is_authenticated = True

    def has_perm(self, perm):
        return True

    def __repr__(self):
        return "SYSTEM"


SYSTEM = _System()


def viewer():
    """Who is looking now: the request's user in the admin and API doors (None when anonymous),
    SYSTEM elsewhere. Lets a model's __str__ — shown in select options, autocomplete, history
    and other records' pages — hide what its reader may not see."""
    context = current()
    if context.channel in (Channel.ADMIN, Channel.API):
        return context.user
    return SYSTEM


def sees_protected_sources(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(VIEW_PROTECTED_SOURCE))


def sees_personal_data(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(VIEW_PERSONAL_DATA))


@dataclass(frozen=True)
class Sight:
    """What one user may see, as plain booleans (cached list plans are keyed by it)."""

    sources: bool
    personal: bool


NOBODY = Sight(sources=False, personal=False)
EVERYTHING = Sight(sources=True, personal=True)


def sight(user) -> Sight:
    if user is SYSTEM:
        return EVERYTHING
    return Sight(sources=sees_protected_sources(user), personal=sees_personal_data(user))


def source_name(user, name: str, protected: bool, public_label: str) -> str:
    """A source's name as this user may see it: the public label when it is protected."""
    if protected and not sees_protected_sources(user):
        return public_label or PLACEHOLDER
    return name


def source_label(user, source) -> str:
    protected, label = source.protected, source.public_label
    if is_past_version(source) and not sees_protected_sources(user):
        flags = _live_flags(source)  # judged by the source now: protected since that version?
        protected, label = flags.get("protected", protected), flags.get("public_label", label)
    return source_name(user, source.name, protected, label)


def is_past_version(obj) -> bool:
    """Built from a history row: simple-history marks `row.instance` so; `row.history_object`
    (shown by the row's own __str__) is unmarked, but like it has a key without having been
    loaded or saved."""
    return getattr(obj, "_history", None) is not None or (obj.pk is not None and obj._state.adding)


def personal_value(user, value):
    """A personal-data value (name, age, sex) as this user may see it."""
    if value in (None, "") or sees_personal_data(user):
        return value
    return PLACEHOLDER


# --- masks: one value as a given Sight shows it ----------------------------------------------
# Each mask reads the value and the columns named in `paths` (relative to the record holding the
# value). Empty values stay empty: "no URL" reveals nothing, and the API keeps null as null.


def _mask_source_name(seen: Sight, name, protected, public_label):
    if protected and not seen.sources:
        return public_label or PLACEHOLDER
    return name


def _mask_source_detail(seen: Sight, value, protected):
    if protected and not seen.sources and value not in (None, ""):
        return PLACEHOLDER
    return value


def _mask_personal(seen: Sight, value):
    if not seen.personal and value not in (None, ""):
        return PLACEHOLDER
    return value


@dataclass(frozen=True)
class Mask:
    function: Callable
    paths: tuple[str, ...] = ()
    personal: bool = False  # personal data (else a source's identity)

    def apply(self, seen: Sight, value, *extras):
        return self.function(seen, value, *extras)

    def sees(self, seen: Sight) -> bool:
        return seen.personal if self.personal else seen.sources


def _mask_personal_text(seen: Sight, value, shadow):
    """Text as this Sight may see it: the text, or its shadow (the same text with the personal
    passages masked, kept beside it). A shadow that does not fit the text (never computed, or
    stale) masks the whole text: unsure means hidden."""
    if seen.personal or value in (None, ""):
        return value
    if not isinstance(shadow, str) or len(shadow) != len(value):
        return TEXT_MASK * len(value)
    return shadow


SOURCE_NAME = Mask(_mask_source_name, ("protected", "public_label"))
SOURCE_DETAIL = Mask(_mask_source_detail, ("protected",))
PUBLISHER_DETAIL = Mask(_mask_source_detail, ("publisher__protected",))
ALIAS_DETAIL = Mask(_mask_source_detail, ("source__protected",))
PERSONAL = Mask(_mask_personal, personal=True)


def personal_text(shadow: str) -> Mask:
    """The mask of a text field whose personal passages are masked in the column `shadow` (a
    document's text, a quote, a claim's statement): `PROTECTED_FIELDS = {"text": personal_text("masked_text")}`."""
    return Mask(_mask_personal_text, (shadow,), personal=True)


def is_text_mask(mask: Mask) -> bool:
    return mask.function is _mask_personal_text


# --- personal data in text: the one rule ------------------------------------------------------
# A passage marked as personal data (a PersonalSpan of a document, confirmed or still a suggestion)
# is masked wherever its words occur in the document's text, its quotes and its claims'
# statements: a name is repeated, and a statement paraphrases the text. Matching ignores case
# and the width of white space, and stops at word boundaries ("Ali" does not mask "Alice"). Each
# character is replaced by TEXT_MASK, so the masked text has the same length and every offset
# into it (a quote's start and end, the desk's highlights) still points at the same passage.

TEXT_MASK = "\u2588"  # █


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str):
    words = phrase.split()
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)", re.IGNORECASE)


def phrase_occurrences(text: str, phrase: str) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of `phrase` in `text`, as the mask finds them (also how
    suggested spans are found)."""
    pattern = _phrase_pattern(phrase or "")
    if pattern is None or not text:
        return []
    return [(found.start(), found.end()) for found in pattern.finditer(text)]


def mask_personal_text(text: str, phrases) -> str:
    """`text` with every occurrence of every phrase masked character for character (same length)."""
    if not text:
        return text
    hidden = bytearray(len(text))
    for phrase in set(phrases):
        for start, end in phrase_occurrences(text, phrase):
            hidden[start:end] = b"\x01" * (end - start)
    if not any(hidden):
        return text
    return "".join(TEXT_MASK if hidden[i] else char for i, char in enumerate(text))


def personal_text_of(user, obj, field: str) -> str:
    """The text `field` of `obj` as this user may see it (for __str__ and other displays)."""
    value = getattr(obj, field)
    mask = masks_of(type(obj)).get(field)
    if mask is None:
        return value
    return mask.apply(sight(user), value, *(_read(obj, path) for path in mask.paths))


def masks_of(model) -> dict[str, Mask]:
    """Which fields of `model` are protected, and by which mask: what the model declares in
    PROTECTED_FIELDS (registered by its app, conflictdb.registry.register_domain_app)."""
    return registry["protected_fields"].get(model, {})


# --- paths: does a lookup or search path reach protected data? --------------------------------


@dataclass(frozen=True)
class Guard:
    """A path reaching a protected field: `prefix` leads to the record holding it."""

    prefix: str
    field: str
    mask: Mask

    def hidden_q(self) -> Q:
        """The rows where the value is hidden (for a user who does not see it)."""
        if self.mask.personal:
            return Q(pk__isnull=False)
        return Q(**{f"{self.prefix}{self.mask.paths[0]}": True})

    @property
    def replacement(self) -> str | None:
        """Where what the user sees instead lives (a source's public label, a text's shadow with
        its personal passages masked), if anywhere."""
        if is_text_mask(self.mask):
            return f"{self.prefix}{self.mask.paths[0]}"
        return f"{self.prefix}public_label" if self.mask is SOURCE_NAME else None


def guard_of_path(model, path: str, ordering: bool = False) -> Guard | None:
    """The protection a field path (`claimant__name`, `aliases__name__icontains`) reaches, or
    None. For ordering, a path ending on a relation means the related model's Meta.ordering (a
    source's name, say), so it reaches that field's protection."""
    prefix = ""
    parts = path.split("__")
    for position, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None  # a lookup (icontains, exact…) or an annotation
        mask = masks_of(model).get(field.name)
        if mask is not None:
            return Guard(prefix, field.name, mask)
        if not field.is_relation:
            return None
        model = field.related_model
        prefix += part + "__"
        is_last = position == len(parts) - 1 or parts[position + 1] not in {f.name for f in model._meta.get_fields()}
        if ordering and is_last and model._meta.ordering:
            ordered_by = model._meta.ordering[0].lstrip("-")
            mask = masks_of(model).get(ordered_by)
            if mask is not None:
                return Guard(prefix, ordered_by, mask)
    return None


def sees_guarded(user, found: Guard) -> bool:
    return found.mask.sees(sight(user))


def search_q(user, model, path: str, term, lookup: str = "icontains") -> Q:
    """Records whose `path` matches `term` as this user may search: a hidden value never matches
    (a protected source is found by its public label instead)."""
    plain = Q(**{f"{path}__{lookup}": term})
    found = guard_of_path(model, path)
    if found is None or sees_guarded(user, found):
        return plain
    hidden = found.hidden_q()
    condition = plain & ~hidden
    if found.replacement:
        condition |= hidden & Q(**{f"{found.replacement}__{lookup}": term})
    return condition


def refuses_lookup(user, model, path: str) -> bool:
    """A filter or lookup on this path would reveal what this user may not see."""
    found = guard_of_path(model, path)
    return found is not None and not sees_guarded(user, found)


def order_by_public(user, model, path: str):
    """What to order by instead of `path` for this user: the path itself, the public name of a
    protected source (an expression), or None when ordering by it would reveal hidden values."""
    found = guard_of_path(model, path, ordering=True)
    if found is None or sees_guarded(user, found):
        return path
    if is_text_mask(found.mask):
        return found.replacement  # ordered by what the reader sees
    if found.replacement:
        name = f"{found.prefix}name"
        return Case(When(found.hidden_q(), then=F(found.replacement)), default=F(name))
    return None


# --- whole records ----------------------------------------------------------------------------


def hidden_rows_q(user, model) -> Q | None:
    """Records this user may not see at all: those a model declares in PROTECTED_ROWS (a flag
    path: a protected source's aliases are nothing but its identity, so they are left out rather
    than shown as placeholders)."""
    flag = registry["protected_rows"].get(model)
    if flag is not None and not sees_protected_sources(user):
        return Q(**{flag: True})
    return None


def visible(user, queryset):
    hidden = hidden_rows_q(user, queryset.model)
    return queryset if hidden is None else queryset.exclude(hidden)


def _flag_paths(model) -> list[str]:
    """The protection flags the masks of `model` read (`protected`, `publisher__protected`)."""
    return list(dict.fromkeys(mask.paths[0] for mask in masks_of(model).values() if not mask.personal))


def _flags_of(model, carried: list[dict]) -> dict[str, bool]:
    """Which flags are up for any of `carried` (dicts of attnames → values, as a version or the
    stored row holds them): a record's own flag as written there, a related record's flag as that
    record stores it now."""
    flags = {}
    for path in _flag_paths(model):
        if "__" not in path:
            flags[path] = any(bool(values.get(path)) for values in carried)
            continue
        relation, flag = path.split("__", 1)
        field = model._meta.get_field(relation)
        related = {values.get(field.attname) for values in carried} - {None}
        flags[path] = bool(related) and field.related_model._base_manager.filter(pk__in=related, **{flag: True}).exists()
    return flags


def _carried(obj) -> dict:
    """The values in `obj` its masks depend on: its own (`protected`, `public_label`) and the
    related records' keys (`publisher_id`)."""
    model = type(obj)
    paths = {path for mask in masks_of(model).values() for path in mask.paths}
    attnames = {model._meta.get_field(path.split("__")[0]).attname for path in paths}
    return {name: getattr(obj, name) for name in attnames}


def _live_flags(obj):
    """The protection of `obj` judged now — the rule for every past version (history list, a
    version's page, a restore's preview): a flag is up when it is up on the record as stored now,
    or on `obj` itself (a version's own flag as written then, the source it named then as that
    source is now). So a source protected after it was written hides its name in every earlier
    version, and a document hides its URL in every version once its publisher is protected.
    The other values the masks read (a public label) come from `obj`, or from the record now
    where `obj` has none (a version from before the source had a label shows today's)."""
    cached = obj.__dict__.get("_protection_live_flags")
    if cached is not None:
        return cached
    model = type(obj)
    carried = [_carried(obj)]
    if not carried[0]:
        return {}
    if obj.pk is not None:
        stored = model._base_manager.filter(pk=obj.pk).values(*carried[0]).first()
        if stored is not None:
            carried.append(stored)
    flags = _flags_of(model, carried)
    for mask in masks_of(model).values():
        for path in mask.paths[1:]:
            if "__" not in path:
                flags[path] = next((values[path] for values in carried if values.get(path)), getattr(obj, path))
    if is_past_version(obj):  # a version is never edited: judged once per page
        obj.__dict__["_protection_live_flags"] = flags
    return flags


def _read(obj, path):
    for attr in path.split("__"):
        obj = getattr(obj, attr, None)
    return obj


def masked_fields(user, obj, live=False) -> dict[str, object]:
    """{field: what this user sees} for the fields of `obj` hidden from them (empty if none).
    `live`: judge by the record's current flags (for a historical version or an unsaved copy);
    otherwise by the loaded instance (changelists select the related source)."""
    masks = masks_of(type(obj))
    if not masks:
        return {}
    seen = sight(user)
    if all(mask.sees(seen) for mask in masks.values()):
        return {}
    flags = _live_flags(obj) if live else {}
    shown = {}
    for name, mask in masks.items():
        if mask.sees(seen):
            continue
        value = getattr(obj, name)
        extras = [flags[path] if path in flags else _read(obj, path) for path in mask.paths]
        masked = mask.apply(seen, value, *extras)
        if masked != value:
            shown[name] = masked
    return shown


def hidden_fields(user, obj) -> set[str]:
    """The fields of `obj` whose values (now or in any version) this user may not see."""
    masks = masks_of(type(obj))
    seen = sight(user)
    if all(mask.sees(seen) for mask in masks.values()):
        return set()
    flags = _live_flags(obj)
    return {name for name, mask in masks.items()
            if not mask.sees(seen) and (_masks_text(seen, obj, name, mask) if is_text_mask(mask) else
                                        mask.personal or flags.get(mask.paths[0], _read(obj, mask.paths[0])))}


def _masks_text(seen: Sight, obj, name: str, mask: Mask) -> bool:
    """A text is hidden only where its shadow masks something (or does not fit it)."""
    value = getattr(obj, name)
    return mask.apply(seen, value, *(_read(obj, path) for path in mask.paths)) != value


def mask_instance(user, obj) -> dict[str, object]:
    """Put what this user may see into `obj` (for display); `unmask()` restores the real values
    before anything saves it, so the placeholder can never overwrite them."""
    shown = masked_fields(user, obj, live=True)
    if shown:
        originals = obj.__dict__.setdefault("_protection_originals", {})
        for name, value in shown.items():
            originals.setdefault(name, getattr(obj, name))
            setattr(obj, name, value)
    return shown


def unmask(obj):
    for name, value in obj.__dict__.pop("_protection_originals", {}).items():
        setattr(obj, name, value)


def refuse_placeholder(value):
    """Writes must not store the placeholder a reader was shown."""
    from django.core.exceptions import ValidationError

    if value == PLACEHOLDER:
        raise ValidationError(f"“{PLACEHOLDER}” is what users without permission see instead of protected data; "
                              "it cannot be saved as a value.")


# --- history: past versions judged by the record's current protection --------------------------


def past_version(user, row):
    """A history row's version of its record as this user may see it: the record built from the
    row, its hidden fields masked as the record's protection stands now (`_live_flags`), never as
    the row's own flags had it. For display only (unmask() before any save)."""
    version = row.instance
    mask_instance(user, version)
    return version


def kept_by_restore(current, version) -> set[str]:
    """The fields a restore of `version` leaves as they are in `current`: those carrying a
    protection `current` has and `version` lacked (its own flag and public label, or the source
    it belongs to). A restore never lifts protection — that is an edit, made on purpose."""
    model = type(current)
    now = _flags_of(model, [_carried(current)])
    then = _flags_of(model, [_carried(version)])
    kept = set()
    for mask in masks_of(model).values():
        flag = None if mask.personal else mask.paths[0]
        if flag is None or not now[flag] or then[flag]:
            continue
        if "__" in flag:
            kept.add(flag.split("__", 1)[0])
        else:
            kept.update(path for path in mask.paths if "__" not in path)
    return kept


def refuse_hidden_restore(user, record, version, fields) -> None:
    """A restore may not write values its user may not see, now or in that version (the rule of
    any write): they could not check what they bring back."""
    from django.core.exceptions import ValidationError

    hidden = sorted(set(fields) & (hidden_fields(user, record) | hidden_fields(user, version)))
    if hidden:
        names = ", ".join(str(record._meta.get_field(name).verbose_name) for name in hidden)
        raise ValidationError({"history_id": f"This version differs in protected data you may not see ({names}); "
                                             "only someone who may see it can restore it."})
