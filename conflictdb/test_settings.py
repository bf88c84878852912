"""Settings for the test suite: the real settings in development mode, with fast password hashing."""

import os

os.environ.setdefault("CONFLICTDB_DEV", "1")

from conflictdb.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test process keeps its jobs' files apart (pytest-xdist runs several at once).
import tempfile  # noqa: E402

JOBS_DIR = Path(tempfile.mkdtemp(prefix="conflictdb-test-jobs-"))  # noqa: F405
