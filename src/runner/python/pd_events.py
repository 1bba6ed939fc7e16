"""NDJSON event channel from the harness to the orchestrator (schema: src/shared/profile.ts).

Writes go straight to the file descriptor with os.write: a buffered file object would be copied into
every forked DataLoader worker and could be flushed twice. Only the process that opened the channel
writes, so a worker that calls into patched code never emits duplicates.
"""
import json
import os
import threading
import time

SCHEMA_VERSION = 1


class EventChannel:
    def __init__(self, target):
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._closed = False
        if target.startswith("fd:"):
            self._fd = int(target[3:])
        else:
            self._fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        # The user's own subprocesses (exec) must not inherit the channel and keep the pipe open.
        try:
            os.set_inheritable(self._fd, False)
        except OSError:
            pass

    def emit(self, event):
        if self._closed or os.getpid() != self._pid:
            return
        data = (json.dumps(event, separators=(",", ":"), allow_nan=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            view = memoryview(data)
            try:
                while view:
                    n = os.write(self._fd, view)
                    view = view[n:]
            except OSError:
                # The orchestrator went away; the user's script must not die for it.
                self._closed = True

    def close(self):
        if os.getpid() == self._pid and not self._closed:
            self._closed = True
            try:
                os.close(self._fd)
            except OSError:
                pass


def now_ms():
    return time.time() * 1000.0
