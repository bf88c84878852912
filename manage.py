#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictdb.settings")
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    try:
        _ = settings.INSTALLED_APPS  # read the settings now: a missing variable is one clear line, not a traceback
    except ImproperlyConfigured as error:
        sys.exit(f"ConflictDB is not configured: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
