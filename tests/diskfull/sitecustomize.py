"""Loaded by the crawl subprocess of tests/test_storage_errors.py (PYTHONPATH points here): after
GOVWATCH_TEST_DISK_FULL_AFTER snapshot files, every further write of a snapshot temp file writes
a few bytes and fails with ENOSPC, as a full disk does."""
import errno
import os
import pathlib

_limit = os.environ.get("GOVWATCH_TEST_DISK_FULL_AFTER")
if _limit is not None:
    _original = pathlib.Path.write_bytes
    _count = [0]

    def write_bytes(self, data):
        if str(self).endswith(".tmp"):
            _count[0] += 1
            if _count[0] > int(_limit):
                with open(self, "wb") as f:
                    f.write(bytes(data[:16]))
                raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return _original(self, data)

    pathlib.Path.write_bytes = write_bytes
