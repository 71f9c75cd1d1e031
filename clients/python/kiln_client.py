"""Kiln client for Python: the standard library only, one file, no pip needed.

    from kiln_client import Client, KilnError

    client = Client('http://127.0.0.1:8080', token)      # or Client() with KILN_ENDPOINT / KILN_TOKEN
    client.create_function(service_name='demo', function_name='hello',
                           handler='kiln_handle', timeout=10, code=open('hello.wasm', 'rb').read())
    result = client.invoke_function('demo', 'hello', {})
    print(result['Payload'].read())                        # b'Hello, {}!'

Shapes follow Function Compute's and Lambda's Python SDKs where Kiln has the same idea
(create_function / invoke_function, ``result['Payload'].read()``, ``code={'zipFile': base64}``);
every other call returns the API's JSON as a dict (see GET /api/v1/openapi.json). Failures raise
KilnError with the API's stable ``code``, its ``message``, the ``request_id`` and the HTTP
``status``. Answers 429 and 503 (overloaded, rate_limited, server_busy: refused before anything
ran) are retried with exponential backoff and jitter, waiting what ``Retry-After`` says
(docs/adr/0042-api-description-and-clients.md).
"""

import base64
import io
import json
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

__all__ = ['Client', 'KilnError']
__version__ = '0.1.0'

_FN = '/api/v1/services/{}/functions/{}'
_RETRY_STATUSES = (429, 503)
_IDEMPOTENT = ('GET', 'HEAD', 'PUT', 'DELETE')
_MODULE_ENTRY = 'function.wasm'
# Keyword arguments of create_function / update_function_settings → Kiln's setting names.
_SETTING_NAMES = {
    'handler': 'handler',
    'abi': 'abi',
    'description': 'description',
    'env': 'env',
    'environment_variables': 'env',
    'timeout_ms': 'timeoutMs',
    'memory_mib': 'memoryMiB',
    'memory_size': 'memoryMiB',
    'fuel': 'fuel',
    'max_concurrency': 'maxConcurrency',
    'isolation': 'isolation',
    'min_instances': 'minInstances',
    'max_instances': 'maxInstances',
    'http_auth': 'httpAuth',
    'record': 'record',
    'allowed_outbound_hosts': 'allowedOutboundHosts',
}


class KilnError(Exception):
    """An error answer of Kiln: ``{"error":{"code","message","requestId"}}`` and its status.

    ``code`` is stable (snake_case, e.g. ``function_not_found``, ``guest_trap``,
    ``rate_limited``); ``retry_after`` is the seconds Kiln asked to wait (429, 503), else None.
    A failure to reach Kiln at all has code ``connection_failed`` and status 0.
    """

    def __init__(self, code, message, request_id=None, status=0, retry_after=None):
        super().__init__('{} ({}): {}{}'.format(
            code, status, message, ' [request {}]'.format(request_id) if request_id else ''))
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status = status
        self.retry_after = retry_after


class Client:
    """A Kiln host's API. Thread-safe: it holds no state between calls except settings.

    endpoint: the host's base URL (default ``$KILN_ENDPOINT``, else http://127.0.0.1:8080).
    token: the admin token or an API key (default ``$KILN_TOKEN``).
    timeout: seconds per HTTP request.
    max_retries: how often a 429/503 answer (or, for GET/PUT/DELETE, a refused connection) is
        retried; 0 turns retries off.
    max_retry_wait: the longest single wait in seconds; a ``Retry-After`` beyond it is not
        waited for: the error is raised at once.
    backoff: the first wait without ``Retry-After``; doubled per retry, with full jitter.
    """

    def __init__(self, endpoint=None, token=None, timeout=60.0, max_retries=3,
                 max_retry_wait=20.0, backoff=0.2):
        endpoint = endpoint or os.environ.get('KILN_ENDPOINT') or 'http://127.0.0.1:8080'
        self.endpoint = endpoint.rstrip('/')
        self.token = token if token is not None else os.environ.get('KILN_TOKEN')
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        # How many retries the last request made needed (for tests and logging).
        self.last_retries = 0

    # ------------------------------------------------------------------ functions

    def create_function(self, service_name, function_name, code, handler=None, timeout=None,
                        memory_size=None, environment_variables=None, description=None,
                        runtime=None, **settings):
        """Uploads code: creates the function, or a new version of it (Kiln's PUT upserts).

        code: the bytes of a Wasm module or of a zip (kiln.json + module); a path to such a file,
            or to a directory to zip (it must hold kiln.json); or Function Compute's shape
            ``{'zipFile': base64}``.
        handler: the export to call (default ``kiln_handle``); timeout: seconds (Function
            Compute's unit; ``timeout_ms=`` for milliseconds); memory_size: MiB;
            environment_variables: dict; runtime: ``kiln`` or ``wasi-cgi`` (the ABI).
        Further settings by Kiln's name or in snake_case: max_concurrency=, isolation=,
        min_instances=, max_instances=, http_auth=, fuel=, abi=.
        Settings travel in the upload's kiln.json, so one call makes one version.
        Returns the function (dict).
        """
        wanted = dict(settings)
        if handler is not None:
            wanted['handler'] = handler
        if timeout is not None:
            wanted['timeout_ms'] = int(round(timeout * 1000))
        if memory_size is not None:
            wanted['memory_size'] = memory_size
        if environment_variables is not None:
            wanted['env'] = environment_variables
        if description is not None:
            wanted['description'] = description
        if runtime is not None:
            if runtime not in ('kiln', 'wasi-cgi'):
                raise ValueError("Kiln runs WebAssembly: runtime must be 'kiln' or 'wasi-cgi'")
            wanted['abi'] = runtime
        body, content_type = _package(_code_bytes(code), _settings(wanted))
        return self._json('PUT', _FN.format(_seg(service_name), _seg(function_name)),
                          body=body, content_type=content_type)

    update_function = create_function

    def update_function_settings(self, service_name, function_name, **settings):
        """PATCH settings (as for create_function, plus ``secrets={'NAME': 'value' or None}``)."""
        secrets = settings.pop('secrets', None)
        patch = _settings(settings)
        if secrets is not None:
            patch['secrets'] = secrets
        return self._json('PATCH', _FN.format(_seg(service_name), _seg(function_name)),
                          body=patch)

    def set_secrets(self, service_name, function_name, secrets):
        """Sets secrets (write-only, encrypted at rest); a value of None deletes one."""
        return self.update_function_settings(service_name, function_name, secrets=secrets)

    def get_function(self, service_name, function_name):
        return self._json('GET', _FN.format(_seg(service_name), _seg(function_name)))

    def delete_function(self, service_name, function_name):
        self._call('DELETE', _FN.format(_seg(service_name), _seg(function_name)))

    def list_functions(self, service_name):
        return self._json('GET', '/api/v1/services/{}/functions'.format(_seg(service_name)))[
            'functions']

    def list_services(self):
        return self._json('GET', '/api/v1/services')['services']

    # ------------------------------------------------------------------ versions and aliases

    def list_versions(self, service_name, function_name):
        return self._json('GET', self._fn(service_name, function_name, 'versions'))['versions']

    def get_version(self, service_name, function_name, version):
        return self._json('GET', self._fn(service_name, function_name, 'versions', version))

    def get_version_code(self, service_name, function_name, version):
        """The bytes as uploaded."""
        return self._call('GET', self._fn(service_name, function_name, 'versions', version,
                                          'code')).body

    def delete_version(self, service_name, function_name, version):
        self._call('DELETE', self._fn(service_name, function_name, 'versions', version))

    def put_alias(self, service_name, function_name, alias_name, version,
                  additional_version_weight=None, description=None):
        """Points an alias at a version, optionally sending a share to one more:
        ``additional_version_weight={4: 0.1}`` (Function Compute's shape)."""
        body = {'version': int(version)}
        if additional_version_weight:
            body['additionalVersionWeight'] = {
                str(k): v for k, v in additional_version_weight.items()}
        if description is not None:
            body['description'] = description
        return self._json('PUT', self._fn(service_name, function_name, 'aliases', alias_name),
                          body=body)

    def get_alias(self, service_name, function_name, alias_name):
        return self._json('GET', self._fn(service_name, function_name, 'aliases', alias_name))

    def list_aliases(self, service_name, function_name):
        return self._json('GET', self._fn(service_name, function_name, 'aliases'))['aliases']

    def delete_alias(self, service_name, function_name, alias_name):
        self._call('DELETE', self._fn(service_name, function_name, 'aliases', alias_name))

    # ------------------------------------------------------------------ invoke

    def invoke_function(self, service_name, function_name, payload=None, qualifier=None,
                        invocation_type='RequestResponse', version_pin=None, headers=None):
        """Invokes a function and returns a dict like Lambda's invoke:

        ``Payload`` (a file-like object: ``.read()`` gives the result bytes), ``StatusCode``,
        ``RequestId``, ``ExecutedVersion``, ``DurationUs``, ``Fuel``, ``Start``, ``Headers``.
        payload: bytes, str (UTF-8), or anything else JSON-encodes (a dict, a list...).
        qualifier: ``LATEST``, a version number or an alias. invocation_type: ``RequestResponse``
        (also ``Sync``) or ``Event`` (also ``Async``): queued, 202 with the request id.
        A failed invocation raises KilnError (``guest_trap``, ``timeout``...).
        """
        kind = str(invocation_type).lower()
        if kind not in ('requestresponse', 'sync', 'event', 'async'):
            raise ValueError('invocation_type must be RequestResponse or Event')
        extra = dict(headers or {})
        if kind in ('event', 'async'):
            extra['X-Kiln-Invocation-Type'] = 'async'
        if version_pin is not None:
            extra['X-Kiln-Version-Pin'] = str(int(version_pin))
        query = {'qualifier': str(qualifier)} if qualifier is not None else None
        r = self._call('POST', self._fn(service_name, function_name, 'invoke'), query=query,
                       body=_payload_bytes(payload), content_type='application/octet-stream',
                       headers=extra)
        if r.status == 202:
            answer = json.loads(r.body)
            return {'Payload': io.BytesIO(b''), 'StatusCode': 202,
                    'RequestId': answer.get('requestId'), 'Status': answer.get('status'),
                    'Headers': r.headers}
        return {
            'Payload': io.BytesIO(r.body),
            'StatusCode': r.status,
            'RequestId': r.headers.get('x-kiln-request-id'),
            'ExecutedVersion': _int_or_none(r.headers.get('x-kiln-version')),
            'DurationUs': _int_or_none(r.headers.get('x-kiln-duration-us')),
            'Fuel': _int_or_none(r.headers.get('x-kiln-fuel')),
            'Start': r.headers.get('x-kiln-start'),
            'ContentType': r.headers.get('content-type'),
            'Headers': r.headers,
        }

    def invoke_function_async(self, service_name, function_name, payload=None, qualifier=None):
        """Queues an invocation; returns its request id once it is durably stored."""
        return self.invoke_function(service_name, function_name, payload, qualifier=qualifier,
                                    invocation_type='Event')['RequestId']

    # ------------------------------------------------------------------ records and logs

    def list_invocations(self, service_name, function_name, limit=None, before=None):
        return self._json('GET', self._fn(service_name, function_name, 'invocations'),
                          query=_query(limit=limit, before=before))['invocations']

    def get_invocation(self, service_name, function_name, request_id):
        return self._json('GET', self._fn(service_name, function_name, 'invocations',
                                          request_id))

    def get_logs(self, service_name, function_name, limit=None):
        return self._json('GET', self._fn(service_name, function_name, 'logs'),
                          query=_query(limit=limit))['logs']

    # ------------------------------------------------------------------ async, queues

    def get_async_config(self, service_name, function_name):
        return self._json('GET', self._fn(service_name, function_name, 'async-config'))

    def put_async_config(self, service_name, function_name, config):
        """Replaces retries and destinations: maxAttempts, maxEventAgeSeconds, maxQueuedEvents,
        deadLetter, onSuccess, onFailure (absent ones take the defaults)."""
        return self._json('PUT', self._fn(service_name, function_name, 'async-config'),
                          body=config)

    def delete_async_config(self, service_name, function_name):
        return self._json('DELETE', self._fn(service_name, function_name, 'async-config'))

    def get_queue(self, service_name, function_name):
        return self._json('GET', self._fn(service_name, function_name, 'queue'))

    def list_queues(self):
        return self._json('GET', '/api/v1/queues')['queues']

    def list_queued_events(self, service_name, function_name, limit=None, after=None):
        return self._json('GET', self._fn(service_name, function_name, 'events'),
                          query=_query(limit=limit, after=after))['events']

    def get_queued_event(self, service_name, function_name, request_id):
        return self._json('GET', self._fn(service_name, function_name, 'events', request_id))

    def list_dead_letters(self, service_name, function_name, limit=None, before=None):
        return self._json('GET', self._fn(service_name, function_name, 'dead-letters'),
                          query=_query(limit=limit, before=before))['deadLetters']

    def get_dead_letter(self, service_name, function_name, request_id):
        return self._json('GET', self._fn(service_name, function_name, 'dead-letters',
                                          request_id))

    def delete_dead_letter(self, service_name, function_name, request_id):
        self._call('DELETE', self._fn(service_name, function_name, 'dead-letters', request_id))

    def redrive_dead_letters(self, service_name, function_name, request_id=None):
        """Queues one dead letter (or all of them) again; returns how many."""
        parts = ['dead-letters', request_id, 'redrive'] if request_id else [
            'dead-letters', 'redrive']
        return self._json('POST', self._fn(service_name, function_name, *parts))['redriven']

    # ------------------------------------------------------------------ triggers and topics

    def create_trigger(self, service_name, function_name, trigger):
        """trigger: ``{'type': 'topic', 'topic': ..., 'filter': ...}`` or ``{'type': 'timer',
        'cron': '0 9 * * 1-5', 'timezone': ..., 'payload': ...}`` (optional ``id``)."""
        return self._json('POST', self._fn(service_name, function_name, 'triggers'),
                          body=trigger)

    def list_triggers(self, service_name, function_name):
        return self._json('GET', self._fn(service_name, function_name, 'triggers'))['triggers']

    def get_trigger(self, service_name, function_name, trigger_id):
        return self._json('GET', self._fn(service_name, function_name, 'triggers', trigger_id))

    def update_trigger(self, service_name, function_name, trigger_id, changes):
        return self._json('PATCH', self._fn(service_name, function_name, 'triggers',
                                            trigger_id), body=changes)

    def delete_trigger(self, service_name, function_name, trigger_id):
        self._call('DELETE', self._fn(service_name, function_name, 'triggers', trigger_id))

    def publish(self, topic, payload=None):
        """Publishes an event: one delivery per matching subscription, stored all or none."""
        return self._json('POST', '/api/v1/topics/{}/events'.format(_seg(topic)),
                          body=_payload_bytes(payload), content_type='application/octet-stream')

    def list_topics(self):
        return self._json('GET', '/api/v1/topics')['topics']

    # ------------------------------------------------------------------ keys and audit

    def create_key(self, name, role, services=None):
        """Creates an API key (admin); the returned dict's ``key`` is shown this once."""
        body = {'name': name, 'role': role}
        if services is not None:
            body['services'] = list(services)
        return self._json('POST', '/api/v1/keys', body=body)

    def list_keys(self):
        return self._json('GET', '/api/v1/keys')['keys']

    def delete_key(self, key_id):
        self._call('DELETE', '/api/v1/keys/{}'.format(_seg(key_id)))

    def list_audit(self, since=None, limit=None):
        return self._json('GET', '/api/v1/audit', query=_query(since=since, limit=limit))[
            'entries']

    # ------------------------------------------------------------------ routes, quotas, kv

    def put_route(self, route_id, host, service_name, function_name, path_prefix='/',
                  qualifier=None):
        """Sends requests for host (and path_prefix: whole path segments) to a function."""
        body = {'host': host, 'pathPrefix': path_prefix, 'service': service_name,
                'function': function_name}
        if qualifier is not None:
            body['qualifier'] = str(qualifier)
        return self._json('PUT', '/api/v1/routes/{}'.format(_seg(route_id)), body=body)

    def get_route(self, route_id):
        return self._json('GET', '/api/v1/routes/{}'.format(_seg(route_id)))

    def list_routes(self):
        return self._json('GET', '/api/v1/routes')['routes']

    def delete_route(self, route_id):
        self._call('DELETE', '/api/v1/routes/{}'.format(_seg(route_id)))

    def get_quota(self, service_name):
        return self._json('GET', '/api/v1/services/{}/quota'.format(_seg(service_name)))

    def put_quota(self, service_name, **quota):
        """maxFunctions=, maxMemoryMiB=, maxConcurrency=, maxInvocationsPerSecond= (None: no
        limit); replaces the whole quota."""
        return self._json('PUT', '/api/v1/services/{}/quota'.format(_seg(service_name)),
                          body=quota)

    def delete_quota(self, service_name):
        self._call('DELETE', '/api/v1/services/{}/quota'.format(_seg(service_name)))

    def kv_list(self, service_name, prefix=None, after=None, limit=None):
        """A page of keys: ``{'service', 'keys': [{'key', 'expiresAt'}], 'next'}``."""
        return self._json('GET', '/api/v1/services/{}/kv'.format(_seg(service_name)),
                          query=_query(prefix=prefix, after=after, limit=limit))

    def kv_get(self, service_name, key):
        return self._call('GET', self._kv(service_name, key)).body

    def kv_put(self, service_name, key, value, ttl_ms=None):
        self._call('PUT', self._kv(service_name, key), query=_query(ttlMs=ttl_ms),
                   body=_payload_bytes(value), content_type='application/octet-stream')

    def kv_delete(self, service_name, key):
        self._call('DELETE', self._kv(service_name, key))

    # ------------------------------------------------------------------ host

    def get_limits(self):
        return self._json('GET', '/api/v1/limits')

    def health(self):
        return self._json('GET', '/healthz')

    def openapi(self):
        """The OpenAPI 3.1 description of the API (public)."""
        return self._json('GET', '/api/v1/openapi.json')

    # ------------------------------------------------------------------ HTTP

    def _fn(self, service_name, function_name, *rest):
        return _FN.format(_seg(service_name), _seg(function_name)) + ''.join(
            '/' + _seg(p) for p in rest)

    @staticmethod
    def _kv(service_name, key):
        return '/api/v1/services/{}/kv/{}'.format(_seg(service_name), _seg(key))

    def _json(self, method, path, query=None, body=None, content_type=None):
        r = self._call(method, path, query=query, body=body, content_type=content_type)
        return json.loads(r.body) if r.body else None

    def _call(self, method, path, query=None, body=None, content_type=None, headers=None):
        """Sends one request, retrying 429/503 (and refused connections of idempotent
        methods); returns the answer or raises KilnError."""
        url = self.endpoint + path
        if query:
            url += '?' + urllib.parse.urlencode(query)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode('utf-8')
            content_type = content_type or 'application/json'
        all_headers = {'User-Agent': 'kiln-client-python/' + __version__}
        if self.token:
            all_headers['Authorization'] = 'Bearer ' + self.token
        if content_type:
            all_headers['Content-Type'] = content_type
        all_headers.update(headers or {})
        retries = 0
        while True:
            try:
                answer = self._send(method, url, body, all_headers)
            except KilnError as e:
                wait = self._retry_wait(e, method, retries)
                if wait is None:
                    self.last_retries = retries
                    raise
                time.sleep(wait)
                retries += 1
                continue
            self.last_retries = retries
            return answer

    def _retry_wait(self, error, method, retries):
        """Seconds to wait before the next try of a failed request, or None to give up."""
        if retries >= self.max_retries:
            return None
        if error.status in _RETRY_STATUSES:
            if error.retry_after is not None:
                return error.retry_after if error.retry_after <= self.max_retry_wait else None
        elif not (error.status == 0 and method in _IDEMPOTENT):
            return None
        # Exponential backoff with full jitter (what AWS's SDKs do).
        return random.uniform(0, min(self.max_retry_wait, self.backoff * (2 ** retries)))

    def _send(self, method, url, body, headers):
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as r:
                return _Answer(r.status, _headers(r.headers), r.read())
        except urllib.error.HTTPError as e:
            raise _error(e.code, _headers(e.headers), e.read()) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, 'reason', e)
            raise KilnError('connection_failed', 'cannot reach {}: {}'.format(
                self.endpoint, reason)) from None


class _Answer:
    __slots__ = ('status', 'headers', 'body')

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


def _headers(message):
    return {k.lower(): v for k, v in message.items()} if message is not None else {}


def _error(status, headers, body):
    retry_after = None
    if headers.get('retry-after'):
        try:
            retry_after = max(0.0, float(headers['retry-after']))
        except ValueError:
            retry_after = None
    try:
        error = json.loads(body)['error']
        return KilnError(error['code'], error['message'], error.get('requestId'), status,
                         retry_after)
    except (ValueError, KeyError, TypeError):
        text = body.decode('utf-8', 'replace')[:200] if body else ''
        return KilnError('http_{}'.format(status), text or 'HTTP {}'.format(status),
                         headers.get('x-kiln-request-id'), status, retry_after)


def _seg(value):
    return urllib.parse.quote(str(value), safe='')


def _query(**params):
    return {k: v for k, v in params.items() if v is not None} or None


def _int_or_none(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _payload_bytes(payload):
    if payload is None:
        return b''
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode('utf-8')
    return json.dumps(payload).encode('utf-8')


def _settings(wanted):
    """create_function's keyword arguments as Kiln setting names (camelCase ones pass)."""
    out = {}
    for name, value in wanted.items():
        out[_SETTING_NAMES.get(name, name)] = value
    return out


def _code_bytes(code):
    """The upload's bytes from create_function's ``code``."""
    if isinstance(code, dict):
        if 'zipFile' in code:
            return base64.b64decode(code['zipFile'])
        raise ValueError("code as a dict must be Function Compute's {'zipFile': base64}")
    if isinstance(code, (bytes, bytearray, memoryview)):
        return bytes(code)
    if isinstance(code, (str, os.PathLike)):
        path = os.fspath(code)
        if os.path.isdir(path):
            return _zip_directory(path)
        with open(path, 'rb') as f:
            return f.read()
    raise TypeError('code must be bytes, a path, or {"zipFile": base64}')


def _zip_directory(path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
        for root, _, files in os.walk(path):
            for name in sorted(files):
                full = os.path.join(root, name)
                z.write(full, os.path.relpath(full, path))
    return out.getvalue()


def _package(code, settings):
    """(body, content type) of the upload: settings go into kiln.json, so the module and its
    settings arrive as one version."""
    if code[:4] == b'\0asm':
        if not settings:
            return code, 'application/wasm'
        out = io.BytesIO()
        with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
            manifest = dict(settings, module=_MODULE_ENTRY)
            z.writestr('kiln.json', json.dumps(manifest))
            z.writestr(_MODULE_ENTRY, code)
        return out.getvalue(), 'application/zip'
    if code[:2] == b'PK':
        if not settings:
            return code, 'application/zip'
        return _merge_manifest(code, settings), 'application/zip'
    raise ValueError('code is neither a WebAssembly module (\\0asm) nor a zip archive')


def _merge_manifest(code, settings):
    """The zip again, its kiln.json with ``settings`` merged in (a zip holding one module and
    no kiln.json gets one)."""
    source = zipfile.ZipFile(io.BytesIO(code))
    names = source.namelist()
    if 'kiln.json' in names:
        manifest = json.loads(source.read('kiln.json'))
    else:
        modules = [n for n in names if n.endswith('.wasm')]
        if len(modules) != 1:
            raise ValueError('a zip without kiln.json must hold exactly one .wasm module')
        manifest = {'module': modules[0]}
    manifest.update(settings)
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
        for name in names:
            if name != 'kiln.json':
                z.writestr(name, source.read(name))
        z.writestr('kiln.json', json.dumps(manifest))
    return out.getvalue()
