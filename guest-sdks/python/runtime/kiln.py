"""Kiln's Python runtime (docs/adr/0050): the call into the function and its API.

A function is ``def handler(event, context)`` in its own module, as in Function Compute's Python
runtime: ``event`` is the payload as bytes (an invoke's event, an HTTP request's body); the result
is a str or bytes (the answer as it is), None (empty), a dict with an int ``statusCode`` and
``body``/``headers`` (an HTTP answer), or anything else JSON can encode (answered as JSON). An
exception fails the invocation with ``guest_error`` carrying ``Type: message``; the traceback goes
to the function's logs, like ``print`` (stdout at level info, stderr at error) and ``logging``.

``kiln.kv`` is the service's key-value store, ``kiln.fetch`` an outbound HTTP call and
``kiln.config(name)`` a setting of the function's env or secrets.
"""
import base64
import gc
import json
import sys
import traceback
from urllib.parse import parse_qs

import _kiln

__all__ = ["Context", "HttpRequest", "KilnError", "Response", "config", "fetch", "kv", "log"]

DEBUG, INFO, WARN, ERROR = 0, 1, 2, 3
_ERRORS = {
    -1: "not_found", -2: "invalid", -3: "limit", -4: "conflict", -5: "unavailable",
    -6: "denied", -7: "invalid_url", -8: "too_many_requests", -9: "response_too_large",
    -10: "timeout", -11: "connect_failed", -12: "io",
}


class KilnError(Exception):
    """A Kiln host call refused: ``code`` is the ABI's negative number, ``name`` its name."""

    def __init__(self, code, what):
        self.code = code
        self.name = _ERRORS.get(code, str(code))
        super().__init__(f"{what}: {self.name} ({code})")


def log(message, level=INFO):
    """One line in the function's logs (levels DEBUG, INFO, WARN, ERROR)."""
    _kiln.log(level, str(message))


def config(name, default=None):
    """The function's env or secret ``name`` (a secret wins), else ``default``."""
    value = _kiln.config(name)
    return default if value is None else value


def _bytes(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class _KeyValue:
    """The service's key-value store (wasm-abi/ABI.md 4.12). Keys are str."""

    def get(self, key):
        r = _kiln.kv_get(key.encode())
        if isinstance(r, int):
            raise KilnError(r, f"kv.get {key!r}")
        return r

    def get_text(self, key):
        r = self.get(key)
        return None if r is None else r.decode()

    def get_json(self, key):
        r = self.get(key)
        return None if r is None else json.loads(r)

    def set(self, key, value, ttl_ms=0):
        """Stores str (UTF-8), bytes, or anything else as JSON."""
        r = _kiln.kv_set(key.encode(), _bytes(value), int(ttl_ms))
        if r < 0:
            raise KilnError(r, f"kv.set {key!r}")

    def delete(self, key):
        r = _kiln.kv_delete(key.encode())
        if r < -1:
            raise KilnError(r, f"kv.delete {key!r}")
        return r == 0

    def increment(self, key, delta=1):
        code, value = _kiln.kv_increment(key.encode(), int(delta))
        if code < 0:
            raise KilnError(code, f"kv.increment {key!r}")
        return value

    def compare_and_swap(self, key, expected, value):
        """Stores ``value`` if the current value is ``expected`` (None: absent)."""
        r = _kiln.kv_cas(key.encode(), None if expected is None else _bytes(expected),
                         _bytes(value))
        if r not in (0, -4):
            raise KilnError(r, f"kv.compare_and_swap {key!r}")
        return r == 0

    def list(self, prefix=""):
        keys, after = [], b""
        while True:
            page = _kiln.kv_list(prefix.encode(), after)
            if isinstance(page, int):
                raise KilnError(page, f"kv.list {prefix!r}")
            if not page:
                return keys
            i = 0
            while i < len(page):
                n = page[i] | page[i + 1] << 8
                after = page[i + 2:i + 2 + n]
                keys.append(after.decode())
                i += 2 + n


kv = _KeyValue()


def _pairs(encoded):
    parts = encoded.split("\0") if encoded else []
    return [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]


class Response:
    """An outbound HTTP response: ``status``, ``headers`` (name → value, lower-case names),
    ``header_list`` and ``body`` (bytes)."""

    def __init__(self, status, header_list, body):
        self.status, self.header_list, self.body = status, header_list, body
        self.headers = {}
        for name, value in header_list:
            self.headers[name] = self.headers[name] + ", " + value if name in self.headers else value

    def text(self):
        return self.body.decode()

    def json(self):
        return json.loads(self.body)


def fetch(url, method="GET", headers=None, body=b""):
    """Sends one HTTP request through the host (allowedOutboundHosts applies) and reads it all."""
    encoded = "".join(f"{n}\0{v}\0" for n, v in (headers or {}).items())
    h = _kiln.http_send(method.encode(), url.encode(), encoded.encode(), _bytes(body or b""))
    if h < 0:
        raise KilnError(h, f"fetch {method} {url}")
    return Response(_kiln.http_status(h), _pairs(_kiln.http_headers(h)), _kiln.http_body(h))


class HttpRequest:
    """The HTTP request of an http-triggered invocation; its body is the handler's event."""

    def __init__(self):
        self.method = _kiln.request(0)
        self.path = _kiln.request(1)
        self.query = _kiln.request(2) or ""
        self.query_params = {k: v[0] for k, v in parse_qs(self.query).items()}
        self.header_list = _pairs(_kiln.request_headers())
        self.headers = {}
        for name, value in self.header_list:
            self.headers[name] = self.headers[name] + ", " + value if name in self.headers else value


class _Named:
    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return repr(self.__dict__)


class Context:
    """The invocation: ``request_id``, ``service.name``, ``function.name``/``.version``,
    ``trigger``, ``deadline_ms``, ``get_remaining_time_in_millis()`` and, for the HTTP trigger,
    ``request`` (an HttpRequest; else None)."""

    def __init__(self):
        self.request_id = _kiln.context(0)
        self.service = _Named(name=_kiln.context(1))
        self.function = _Named(name=_kiln.context(2), version=_kiln.context(3))
        self.trigger = _kiln.context(4)
        self.deadline_ms = _kiln.deadline_ms()
        self.request = HttpRequest() if self.trigger == "http" else None

    @property
    def function_name(self):
        return self.function.name

    def get_remaining_time_in_millis(self):
        import time
        return max(0, self.deadline_ms - int(time.time() * 1000))


class _LogStream:
    """sys.stdout and sys.stderr: every line is a line in the function's logs."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, level):
        self.level = level
        self.pending = ""

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        lines = (self.pending + s).split("\n")
        self.pending = lines.pop()
        for line in lines:
            _kiln.log(self.level, line)
        return len(s)

    def flush(self):
        if self.pending:
            _kiln.log(self.level, self.pending)
            self.pending = ""

    def isatty(self):
        return False

    def writable(self):
        return True


_handler = None


def _load():
    """kiln_init: imports the function's module; the snapshot is taken after this."""
    global _handler
    sys.stdout, sys.stderr = _LogStream(INFO), _LogStream(ERROR)
    import kiln_entry
    module = __import__(kiln_entry.MODULE)
    fn = getattr(module, "handler", None)
    if not callable(fn):
        raise TypeError(f"{kiln_entry.MODULE}.py defines no function handler(event, context)")
    _handler = fn
    if "logging" in sys.modules:
        _route_logging(sys.modules["logging"])
    _flush()
    gc.collect()
    gc.freeze()  # what import made is never collected: later collections skip it


def _route_logging(logging):
    class KilnHandler(logging.Handler):
        def emit(self, record):
            level = ERROR if record.levelno >= logging.ERROR else (
                WARN if record.levelno >= logging.WARNING else (
                    INFO if record.levelno >= logging.INFO else DEBUG))
            _kiln.log(level, self.format(record))

    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(KilnHandler())
        root.setLevel(logging.INFO)


def _flush():
    sys.stdout.flush()
    sys.stderr.flush()


def _http_answer(result):
    status = result.get("statusCode", result.get("status"))
    if not isinstance(status, int) or isinstance(status, bool):
        return None
    if "body" not in result and "headers" not in result:
        return None
    if _kiln.set_status(status) < 0:
        raise ValueError(f"statusCode {status} is not an HTTP status (200-599)")
    for name, value in (result.get("headers") or {}).items():
        for i, v in enumerate(value if isinstance(value, (list, tuple)) else [value]):
            if _kiln.header(i > 0, str(name), str(v)) < 0:
                raise ValueError(f"response header {name!r} is not allowed or malformed")
    body = result.get("body")
    if result.get("isBase64Encoded") and isinstance(body, (str, bytes)):
        return base64.b64decode(body)
    if body is None or isinstance(body, (str, bytes, bytearray, memoryview)):
        return _bytes(body or b"")
    if "content-type" not in {str(n).lower() for n in (result.get("headers") or {})}:
        _kiln.header(False, "content-type", "application/json")
    return _bytes(body)


def _answer(result):
    if result is None:
        return b""
    if isinstance(result, (str, bytes, bytearray, memoryview)):
        return _bytes(result)
    if isinstance(result, dict):
        http = _http_answer(result)
        if http is not None:
            return http
    body = _bytes(result)
    _kiln.header(False, "content-type", "application/json")
    return body


def _invoke(event):
    """kiln_handle: one invocation; answers the result's bytes (b"" after kiln.fail)."""
    r = sys.modules.get("random")
    if r is not None:
        r.seed()  # else every instance would replay the state frozen in the snapshot
    try:
        return _answer(_handler(event, Context()))
    except BaseException as e:  # SystemExit too: the invocation fails, the instance is dropped
        message = "".join(traceback.format_exception_only(type(e), e)).strip()
        tb = e.__traceback__.tb_next or e.__traceback__  # from the handler's frame on
        _kiln.log(ERROR, "".join(traceback.format_exception(type(e), e, tb)).rstrip())
        _kiln.fail(message)
        return b""
    finally:
        _flush()
