"""Protection: the one home of who may see a protected source's identity and a casualty's
personal data, and of what everybody else sees instead.

Every door asks here — serializers, admin, filters, search, ordering, aggregates, CSV exports,
error messages — and never checks the permissions itself.
"""

VIEW_PROTECTED_SOURCE = "sources.view_protected_source"
VIEW_PERSONAL_DATA = "events.view_personal_data"
EXPORT_DATA = "sources.export_data"
IMPORT_DATA = "sources.import_data"

# What a user without the permission sees in place of a personal-data value.
PLACEHOLDER = "[protected]"


def sees_protected_sources(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(VIEW_PROTECTED_SOURCE))


def sees_personal_data(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(VIEW_PERSONAL_DATA))


def source_name(user, name: str, protected: bool, public_label: str) -> str:
    """A source's name as this user may see it: the public label when it is protected."""
    if protected and not sees_protected_sources(user):
        return public_label or PLACEHOLDER
    return name


def source_label(user, source) -> str:
    return source_name(user, source.name, source.protected, source.public_label)


def personal_value(user, value):
    """A personal-data value (name, age, sex) as this user may see it."""
    if value in (None, "") or sees_personal_data(user):
        return value
    return PLACEHOLDER
