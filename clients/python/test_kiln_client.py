"""Tests of kiln_client against a real Kiln host (standard library unittest).

Run by host's ClientLibrariesTest, which starts a host and sets:
  KILN_ENDPOINT     the host's URL
  KILN_TOKEN        its admin token
  KILN_TEST_MODULES a directory with hello.wasm, echo.wasm and trap.wasm
By hand: start `./kiln serve`, compile those three from host/src/test/resources/wat and
guest-sdks/examples/wat, set the variables, then `python3 -m unittest -v` in this directory.
"""

import base64
import io
import os
import time
import unittest
import uuid
import zipfile

from kiln_client import Client, KilnError

MODULES = os.environ.get('KILN_TEST_MODULES', '')


def module(name):
    with open(os.path.join(MODULES, name + '.wasm'), 'rb') as f:
        return f.read()


def unique(prefix):
    return '{}-{}'.format(prefix, uuid.uuid4().hex[:8])


def await_true(what, check, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(0.05)


class SeedSnippetTest(unittest.TestCase):
    def test_the_seed_snippet_runs_unchanged(self):
        # Only the import and the constructor are Kiln's; the rest is the seed's snippet.
        client = Client(os.environ['KILN_ENDPOINT'], os.environ['KILN_TOKEN'])
        service = unique('seed')
        code = module('hello')

        client.create_function(
            service_name=service,
            function_name='hello',
            handler='kiln_handle',
            timeout=10,
            code=code,
        )
        result = client.invoke_function(service, 'hello', {})
        print(result['Payload'].read())

        # What it printed, checked:
        again = client.invoke_function(service, 'hello', {})
        self.assertEqual(b'Hello, {}!', again['Payload'].read())
        self.assertEqual(200, again['StatusCode'])
        self.assertEqual(1, again['ExecutedVersion'])
        self.assertTrue(again['RequestId'])
        settings = client.get_function(service, 'hello')['settings']
        self.assertEqual(10000, settings['timeoutMs'])
        self.assertEqual('kiln_handle', settings['handler'])
        # One upload with its settings: one version.
        self.assertEqual(1, len(client.list_versions(service, 'hello')))


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.client = Client(os.environ['KILN_ENDPOINT'], os.environ['KILN_TOKEN'])
        self.service = unique('py')

    def test_endpoint_and_token_come_from_the_environment(self):
        client = Client()
        self.assertEqual(os.environ['KILN_ENDPOINT'].rstrip('/'), client.endpoint)
        self.assertIn('services', client._json('GET', '/api/v1/services'))
        self.assertEqual('3.1.0', client.openapi()['openapi'])
        self.assertEqual('ok', client.health()['status'])
        self.assertIn('maxUploadBytes', client.get_limits())

    def test_code_in_every_shape(self):
        c, s = self.client, self.service
        echo = module('echo')
        # bytes of a module, no settings: a plain application/wasm upload
        self.assertEqual(1, c.create_function(s, 'raw', echo)['version']['number'])
        # Function Compute's {'zipFile': base64} with a zip holding kiln.json
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, 'w') as z:
            z.writestr('kiln.json', '{"module": "m.wasm", "memoryMiB": 32}')
            z.writestr('m.wasm', echo)
        fc = c.create_function(s, 'fc', {'zipFile': base64.b64encode(buf.getvalue()).decode()},
                               handler='kiln_handle', timeout=3, memory_size=16,
                               environment_variables={'A': '1'}, max_concurrency=2)
        self.assertEqual(3000, fc['settings']['timeoutMs'])
        self.assertEqual(16, fc['settings']['memoryMiB'])
        self.assertEqual({'A': '1'}, fc['settings']['env'])
        self.assertEqual(2, fc['settings']['maxConcurrency'])
        # a path to a file
        path = os.path.join(MODULES, 'echo.wasm')
        self.assertEqual('path', c.create_function(s, 'path', path)['name'])
        for name in ('raw', 'fc', 'path'):
            r = c.invoke_function(s, name, b'\x00\x01bytes')
            self.assertEqual(b'\x00\x01bytes', r['Payload'].read())
        self.assertEqual(b'text', c.invoke_function(s, 'raw', 'text')['Payload'].read())
        with self.assertRaises(ValueError):
            c.create_function(s, 'bad', b'not a module')
        with self.assertRaises(ValueError):
            c.create_function(s, 'bad', echo, runtime='python3.12')

    def test_versions_aliases_and_qualifiers(self):
        c, s = self.client, self.service
        c.create_function(s, 'f', module('echo'), timeout=5)
        c.update_function(s, 'f', module('echo'), timeout=6)
        self.assertEqual([2, 1], [v['number'] for v in c.list_versions(s, 'f')])
        self.assertEqual(5000, c.get_version(s, 'f', 1)['settings']['timeoutMs'])
        self.assertEqual(module('echo'), c.get_version_code(s, 'f', 1))
        alias = c.put_alias(s, 'f', 'prod', 1, description='stable')
        self.assertEqual(1, alias['version'])
        self.assertEqual('stable', c.get_alias(s, 'f', 'prod')['description'])
        self.assertEqual(['prod'], [a['name'] for a in c.list_aliases(s, 'f')])
        self.assertEqual(1, c.invoke_function(s, 'f', 'x', qualifier='prod')['ExecutedVersion'])
        self.assertEqual(2, c.invoke_function(s, 'f', 'x')['ExecutedVersion'])
        self.assertEqual(1, c.invoke_function(s, 'f', 'x', qualifier=1)['ExecutedVersion'])
        with self.assertRaises(KilnError) as e:
            c.invoke_function(s, 'f', 'x', qualifier='nope')
        self.assertEqual('alias_not_found', e.exception.code)
        self.assertEqual(404, e.exception.status)
        c.delete_alias(s, 'f', 'prod')
        c.delete_version(s, 'f', 1)
        self.assertEqual([2], [v['number'] for v in c.list_versions(s, 'f')])
        c.delete_function(s, 'f')
        with self.assertRaises(KilnError) as e:
            c.get_function(s, 'f')
        self.assertEqual('function_not_found', e.exception.code)

    def test_records_logs_and_async(self):
        c, s = self.client, self.service
        c.create_function(s, 'hello', module('hello'))
        ran = c.invoke_function(s, 'hello', 'records')
        # Records are written off the request path, in batches: wait for this one.
        record = await_true('the record', lambda: _record(c, s, 'hello', ran['RequestId']))
        self.assertEqual('ok', record['outcome'])
        self.assertEqual(ran['RequestId'], c.list_invocations(s, 'hello', limit=1)[0]['requestId'])
        self.assertTrue(c.get_logs(s, 'hello', limit=10))
        queued = c.invoke_function(s, 'hello', 'later', invocation_type='Event')
        self.assertEqual(202, queued['StatusCode'])
        self.assertEqual('queued', queued['Status'])
        rid = queued['RequestId']
        done = await_true('the async record', lambda: _record(c, s, 'hello', rid))
        self.assertEqual('ok', done['outcome'])
        rid2 = c.invoke_function_async(s, 'hello', {'n': 1})
        await_true('the second async record', lambda: _record(c, s, 'hello', rid2))

    def test_dead_letters_and_async_config(self):
        c, s = self.client, self.service
        c.create_function(s, 'trap', module('trap'))
        config = c.put_async_config(s, 'trap', {'maxAttempts': 1})
        self.assertEqual(1, config['maxAttempts'])
        self.assertEqual(1, c.get_async_config(s, 'trap')['maxAttempts'])
        rid = c.invoke_function_async(s, 'trap', 'boom')
        await_true('the dead letter', lambda: c.list_dead_letters(s, 'trap'))
        self.assertEqual('boom', c.get_dead_letter(s, 'trap', rid)['payload'])
        self.assertEqual(1, c.redrive_dead_letters(s, 'trap', rid))
        await_true('the dead letter again', lambda: c.list_dead_letters(s, 'trap'))
        self.assertEqual(1, c.redrive_dead_letters(s, 'trap'))
        await_true('the dead letter once more', lambda: c.list_dead_letters(s, 'trap'))
        c.delete_dead_letter(s, 'trap', rid)
        self.assertEqual([], c.list_dead_letters(s, 'trap'))
        self.assertIn('depth', c.get_queue(s, 'trap'))
        self.assertIsInstance(c.list_queued_events(s, 'trap'), list)
        self.assertIsInstance(c.list_queues(), list)
        with self.assertRaises(KilnError) as e:
            c.get_queued_event(s, 'trap', rid)
        self.assertEqual('not_found', e.exception.code)
        default = c.get_limits()['events']['defaultMaxAttempts']
        self.assertEqual(default, c.delete_async_config(s, 'trap')['maxAttempts'])

    def test_triggers_and_topics(self):
        c, s = self.client, self.service
        topic = unique('orders')
        c.create_function(s, 'sub', module('echo'))
        t = c.create_trigger(s, 'sub', {'id': 'on-orders', 'type': 'topic', 'topic': topic})
        self.assertEqual('on-orders', t['id'])
        self.assertEqual(['on-orders'], [x['id'] for x in c.list_triggers(s, 'sub')])
        self.assertIn(topic, [x['topic'] for x in c.list_topics()])
        published = c.publish(topic, {'id': 1})
        self.assertEqual(1, len(published['deliveries']))
        rid = published['deliveries'][0]['requestId']
        await_true('the delivery', lambda: _record(c, s, 'sub', rid))
        self.assertFalse(c.update_trigger(s, 'sub', 'on-orders', {'enabled': False})['enabled'])
        self.assertFalse(c.get_trigger(s, 'sub', 'on-orders')['enabled'])
        c.delete_trigger(s, 'sub', 'on-orders')
        self.assertEqual([], c.list_triggers(s, 'sub'))

    def test_errors_carry_code_message_request_id_and_status(self):
        c, s = self.client, self.service
        c.create_function(s, 'trap', module('trap'))
        with self.assertRaises(KilnError) as e:
            c.invoke_function(s, 'trap', 'x')
        self.assertEqual('guest_trap', e.exception.code)
        self.assertEqual(500, e.exception.status)
        self.assertTrue(e.exception.request_id)
        self.assertTrue(e.exception.message)
        self.assertIn('guest_trap', str(e.exception))
        with self.assertRaises(KilnError) as e:
            Client(os.environ['KILN_ENDPOINT'], 'not-a-key').list_services()
        self.assertEqual('unauthorized', e.exception.code)
        self.assertEqual(401, e.exception.status)
        with self.assertRaises(KilnError) as e:
            Client('http://127.0.0.1:9', 't', max_retries=1, backoff=0.01).list_services()
        self.assertEqual('connection_failed', e.exception.code)
        # The host still serves.
        self.assertIsInstance(c.list_services(), list)

    def test_keys_and_audit(self):
        c, s = self.client, self.service
        created = c.create_key(unique('viewer'), 'viewer', services=[s])
        self.assertTrue(created['key'])
        self.assertIn(created['id'], [k['id'] for k in c.list_keys()])
        viewer = Client(os.environ['KILN_ENDPOINT'], created['key'])
        with self.assertRaises(KilnError) as e:
            viewer.create_function(s, 'f', module('echo'))
        self.assertEqual('forbidden', e.exception.code)
        self.assertEqual(403, e.exception.status)
        c.delete_key(created['id'])
        with self.assertRaises(KilnError) as e:
            viewer.list_services()
        self.assertEqual('unauthorized', e.exception.code)
        self.assertTrue(c.list_audit(limit=5))

    def test_routes_quotas_and_kv(self):
        c, s = self.client, self.service
        c.create_function(s, 'f', module('echo'))
        route = unique('r')
        self.assertEqual('LATEST', c.put_route(route, 'py.example.com', s, 'f')['qualifier'])
        self.assertEqual(route, c.get_route(route)['id'])
        self.assertIn(route, [r['id'] for r in c.list_routes()])
        c.delete_route(route)
        self.assertEqual(5, c.put_quota(s, maxFunctions=5)['maxFunctions'])
        self.assertEqual(1, c.get_quota(s)['usage']['functions'])
        c.delete_quota(s)
        c.kv_put(s, 'a/b', b'value', ttl_ms=60000)
        self.assertEqual(b'value', c.kv_get(s, 'a/b'))
        self.assertEqual(['a/b'], [k['key'] for k in c.kv_list(s, prefix='a')['keys']])
        c.kv_delete(s, 'a/b')
        with self.assertRaises(KilnError) as e:
            c.kv_get(s, 'a/b')
        self.assertEqual('kv_key_not_found', e.exception.code)

    def test_secrets_and_settings(self):
        c, s = self.client, self.service
        c.create_function(s, 'f', module('echo'))
        f = c.set_secrets(s, 'f', {'TOKEN': 'x'})
        self.assertEqual(['TOKEN'], [x['name'] for x in f['secrets']])
        f = c.update_function_settings(s, 'f', description='d', max_concurrency=3)
        self.assertEqual(('d', 3), (f['settings']['description'],
                                    f['settings']['maxConcurrency']))
        self.assertIn(s, c.list_services())
        self.assertEqual(['f'], [x['name'] for x in c.list_functions(s)])

    def test_rate_limited_calls_are_retried_after_retry_after(self):
        c, s = self.client, self.service
        c.create_function(s, 'f', module('echo'))
        c.put_quota(s, maxInvocationsPerSecond=1)
        # The bucket holds one token: the second call right after is refused with 429 and
        # Retry-After, and the client waits and tries again.
        c.invoke_function(s, 'f', 'one')
        r = c.invoke_function(s, 'f', 'two')
        self.assertEqual(b'two', r['Payload'].read())
        self.assertGreaterEqual(c.last_retries, 1)
        no_retries = Client(c.endpoint, c.token, max_retries=0)
        with self.assertRaises(KilnError) as e:
            no_retries.invoke_function(s, 'f', 'a')
            no_retries.invoke_function(s, 'f', 'b')
        self.assertEqual('rate_limited', e.exception.code)
        self.assertEqual(429, e.exception.status)
        self.assertIsNotNone(e.exception.retry_after)
        # A Retry-After longer than max_retry_wait is not waited for.
        impatient = Client(c.endpoint, c.token, max_retry_wait=0)
        with self.assertRaises(KilnError) as e:
            impatient.invoke_function(s, 'f', 'c')
            impatient.invoke_function(s, 'f', 'd')
        self.assertEqual('rate_limited', e.exception.code)
        self.assertEqual(0, impatient.last_retries)
        c.delete_quota(s)


def _record(client, service, function, request_id):
    try:
        return client.get_invocation(service, function, request_id)
    except KilnError as e:
        if e.code == 'not_found':
            return None
        raise


if __name__ == '__main__':
    unittest.main()
