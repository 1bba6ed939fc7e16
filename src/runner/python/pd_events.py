"""NDJSON event channel from the harness to the orchestrator.

The events are declared once, in profile-events.schema.json (docs/profiling.md, "The harness event
contract"): the build ships it next to these files; in a source checkout it is src/shared/. An event
carries only what the harness measured: a field whose value is None is left out, and the Node side fills
the schema's default.

Writes go straight to the file descriptor with os.write: a buffered file object would be copied into
every forked DataLoader worker and could be flushed twice. Only the process that opened the channel
writes, so a worker that calls into patched code never emits duplicates.
"""
import json
import os
import socket
import threading
import time

SCHEMA_FILE = "profile-events.schema.json"
# Set by the runner tests only (test/runner/helpers.ts): every event is validated against the schema
# before it is written, and one that fails is replaced by a line naming the failure, which the
# orchestrator rejects. User runs never pay for it.
CHECK_VARIABLE = "PIPELINE_DOCTOR_CHECK_EVENTS"


def schema_path():
    here = os.path.dirname(os.path.abspath(__file__))
    for path in (os.path.join(here, SCHEMA_FILE), os.path.join(here, "..", "..", "shared", SCHEMA_FILE)):
        if os.path.exists(path):
            return path
    raise FileNotFoundError("%s is neither next to the harness nor in the source tree" % SCHEMA_FILE)


def load_schema():
    with open(schema_path(), encoding="utf-8") as fh:
        return json.load(fh)


SCHEMA_VERSION = load_schema()["$defs"]["hello"]["properties"]["schemaVersion"]["const"]


def schema_checker():
    """check(event) -> list of problems, with Debian's python3-jsonschema (tests only)."""
    from jsonschema import Draft202012Validator

    schema = load_schema()
    kinds = {}
    for ref in schema["oneOf"]:
        definition = schema["$defs"][ref["$ref"].rsplit("/", 1)[1]]
        kinds[definition["properties"]["type"]["const"]] = Draft202012Validator(
            {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": ref["$ref"]})

    def check(event):
        validator = kinds.get(event.get("type")) if isinstance(event, dict) else None
        if validator is None:
            return ["not a known event type: %r" % (event.get("type") if isinstance(event, dict) else event,)]
        return ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "event", e.message) for e in validator.iter_errors(event)]

    return check


class EventChannel:
    def __init__(self, target):
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._closed = False
        self._socket = None
        if target.startswith("fd:"):
            self._fd = int(target[3:])
        elif target.startswith("unix:"):
            # Under torchrun each rank connects to the orchestrator's socket: torchrun's Popen closes every
            # fd above 2, so fd 3 never reaches a rank (docs/profiling.md, "torchrun jobs").
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._socket.connect(target[5:])
            self._fd = self._socket.fileno()
        else:
            self._fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        # The user's own subprocesses (exec) must not inherit the channel and keep the pipe open.
        try:
            os.set_inheritable(self._fd, False)
        except OSError:
            pass
        self._check = schema_checker() if os.environ.get(CHECK_VARIABLE) else None

    def emit(self, event):
        if self._closed or os.getpid() != self._pid:
            return
        text = json.dumps({k: v for k, v in event.items() if v is not None}, separators=(",", ":"), allow_nan=False,
                          default=str)
        if self._check is not None:
            problems = self._check(json.loads(text))
            if problems:
                text = json.dumps({"type": "harness-schema-violation", "problems": problems, "event": text})
        data = (text + "\n").encode("utf-8")
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
                if self._socket is not None:
                    self._socket.close()
                else:
                    os.close(self._fd)
            except OSError:
                pass


def now_ms():
    return time.time() * 1000.0
