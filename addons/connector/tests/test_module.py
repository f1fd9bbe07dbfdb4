import datetime as dt
import json
import random
import time

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import CompanyTestMixin
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from connector.exceptions import CallbackError
from connector.tests.servers import signed_callback
from connector.transport import (
    MAX_DELAY,
    TransportError,
    check_signature,
    retry_delay,
    scrub,
)

SECRET = 'cle-de-rappel-3f9a'


def create_endpoint(**values):
    pool = Pool()
    Party = pool.get('party.party')
    Endpoint = pool.get('connector.endpoint')
    partner, = Party.create([{
                'name': "Ministère", 'partner_kind': 'ministry'}])
    endpoint, = Endpoint.create([{
                'name': "Ministère (test)", 'partner': partner.id,
                'url': 'http://127.0.0.1:9', 'secret': 'mot-de-passe-7c1',
                'callback_secret': SECRET, 'retry_delay': 0, **values}])
    return endpoint


def create_message(endpoint, key='ZIG-2026-000001:submit'):
    pool = Pool()
    Message = pool.get('connector.message')
    message, = Message.outbox([{
                'endpoint': endpoint.id, 'operation': 'submit',
                'payload': {'case': key.split(':')[0]},
                'idempotency_key': key}])
    return message


def callback(endpoint, payload, timestamp=None, secret=SECRET):
    pool = Pool()
    Endpoint = pool.get('connector.endpoint')
    headers, body = signed_callback(secret, payload, timestamp=timestamp)
    return Endpoint.receive_callback(
        endpoint.id, headers['X-Connector-Timestamp'],
        headers['X-Connector-Signature'], body)


class ConnectorTestCase(CompanyTestMixin, test_tryton.ModuleTestCase):
    "Test Connector module"
    module = 'connector'

    def test_retry_delay(self):
        "The delay doubles at each attempt, with jitter, up to a ceiling"
        rng = random.Random(4)
        for attempts, low, high in [(1, 30, 60), (2, 60, 120), (4, 240, 480)]:
            delays = {retry_delay(60, attempts, rng) for _ in range(20)}
            self.assertTrue(all(low <= d <= high for d in delays), delays)
            self.assertGreater(len(delays), 1)
        self.assertLessEqual(retry_delay(60, 40, rng), MAX_DELAY)

    def test_scrub(self):
        "Secrets never reach an error message, which stays short"
        text = scrub("Bearer s3cr3t refused\n" + 'x' * 500, ['s3cr3t', None])
        self.assertNotIn('s3cr3t', text)
        self.assertIn('***', text)
        self.assertLessEqual(len(text), 201)

    def test_signature(self):
        "A signature holds for its timestamp and body only"
        headers, body = signed_callback(SECRET, {'a': 1}, timestamp=1000)
        signed = headers['X-Connector-Signature']
        self.assertTrue(check_signature(SECRET, '1000', body, signed))
        self.assertTrue(
            check_signature(SECRET, '1000', body, 'sha256=' + signed))
        self.assertFalse(check_signature(SECRET, '1001', body, signed))
        self.assertFalse(check_signature(SECRET, '1000', body + b' ', signed))
        self.assertFalse(check_signature('autre', '1000', body, signed))
        self.assertFalse(check_signature(SECRET, '1000', body, ''))

    @with_transaction()
    def test_check_connection_without_connector(self):
        "An endpoint with no protocol cannot be tested: it says why"
        endpoint = create_endpoint()
        ok, text = endpoint.check_connection()
        self.assertFalse(ok)
        self.assertIn('has no connector', text)
        self.assertIn(endpoint.rec_name, text)

    @with_transaction()
    def test_outbox_once(self):
        "A message is written once per idempotency key and queued"
        pool = Pool()
        Message = pool.get('connector.message')
        Queue = pool.get('ir.queue')
        endpoint = create_endpoint()
        message = create_message(endpoint)
        self.assertEqual(message.state, 'pending')
        self.assertLessEqual(message.next_attempt, dt.datetime.now())
        self.assertEqual(Message.outbox([{
                        'endpoint': endpoint.id, 'operation': 'submit',
                        'idempotency_key': message.idempotency_key}]), [])
        self.assertEqual(len(Message.search([])), 1)
        # one task sends this message once the transaction commits
        task, = Queue.search([])
        self.assertEqual(task.name, 'connector')
        self.assertEqual(task.data['model'], 'connector.message')
        self.assertEqual(task.data['method'], 'send_queued')
        self.assertEqual(list(task.data['instances']), [message.id])

    @with_transaction()
    def test_send_misconfigured_dead(self):
        "An endpoint with no connector kills its messages with the reason"
        pool = Pool()
        Message = pool.get('connector.message')
        endpoint = create_endpoint()
        message = create_message(endpoint)
        Message.send([message])
        message = Message(message.id)
        self.assertEqual(message.state, 'dead')
        self.assertEqual(message.attempts, 1)
        self.assertIn(endpoint.name, message.last_error)
        self.assertNotIn(endpoint.secret, message.last_error)

    @with_transaction()
    def test_fail_temporary_then_dead(self):
        "Temporary failures are retried until the maximum attempts"
        pool = Pool()
        Message = pool.get('connector.message')
        endpoint = create_endpoint(max_attempts=3, retry_delay=10)
        message = create_message(endpoint)
        error = TransportError('server', True, 'HTTP 503 mot-de-passe-7c1')
        for attempt in [1, 2]:
            message.attempts = attempt
            message.fail(error)
            self.assertEqual(message.state, 'failed')
            self.assertGreater(message.next_attempt, dt.datetime.now())
            self.assertIn("sent again", message.last_error)
        self.assertNotIn('mot-de-passe-7c1', message.last_error)
        message.attempts = 3
        message.fail(error)
        self.assertEqual(message.state, 'dead')
        # the attempt and the maximum ("HTTP 503" holds a 3 anyway)
        self.assertIn("Attempt 3 of 3:", message.last_error)
        # A dead letter promises no other attempt
        self.assertNotIn("sent again", message.last_error)
        self.assertIn("Retry", message.last_error)
        message.attempts = 1
        message.fail(TransportError('client', False, 'HTTP 400'))
        self.assertEqual(message.state, 'dead')
        message.save()
        other = create_message(endpoint, 'ZIG-2026-000002:submit')
        text = Message.retry_messages([message, other])
        self.assertEqual(
            (message.state, message.attempts), ('pending', 0))
        self.assertIn("1 message(s)", text)
        self.assertEqual(other.state, 'pending')
        self.assertCountEqual(Message.send_due(), [message, other])

    @with_transaction()
    def test_callback(self):
        "A signed callback is applied once; forged, stale, replayed refused"
        pool = Pool()
        Event = pool.get('connector.callback.event')
        endpoint = create_endpoint()
        message = create_message(endpoint)
        payload = {
            'event_id': 'evt-1', 'status': 'received',
            'idempotency_key': message.idempotency_key,
            'reference': 'CJ-000042'}
        self.assertTrue(callback(endpoint, payload))
        self.assertEqual(message.state, 'acknowledged')
        self.assertEqual(message.partner_reference, 'CJ-000042')
        self.assertEqual(message.partner_status, 'received')
        event, = Event.search([])
        self.assertEqual(event.message, message)

        refusals = [
            (409, lambda: callback(endpoint, payload)),
            (401, lambda: callback(
                    endpoint, {**payload, 'event_id': 'evt-2'},
                    secret='forged')),
            (401, lambda: callback(
                    endpoint, {**payload, 'event_id': 'evt-3'},
                    timestamp=time.time() - 6 * 60)),
            (401, lambda: callback(
                    endpoint, {**payload, 'event_id': 'evt-4'},
                    timestamp=time.time() + 6 * 60)),
            (404, lambda: callback(endpoint, {
                        'event_id': 'evt-5', 'status': 'ready',
                        'reference': 'CJ-999999'})),
            (400, lambda: callback(endpoint, {'status': 'ready'})),
            ]
        for status, call in refusals:
            with self.assertRaises(CallbackError) as cm:
                call()
            self.assertEqual(cm.exception.status, status)
        self.assertEqual(len(Event.search([])), 1)
        # The partner reference finds the message too
        self.assertTrue(callback(endpoint, {
                    'event_id': 'evt-6', 'status': 'ready',
                    'reference': 'CJ-000042'}))
        self.assertEqual(message.partner_status, 'ready')
        Endpoint = pool.get('connector.endpoint')
        with self.assertRaises(CallbackError) as cm:
            Endpoint.receive_callback(
                endpoint.id, str(int(time.time())), 'abc', b'not json')
        self.assertEqual(cm.exception.status, 401)
        # An unknown endpoint is refused as a wrong signature
        with self.assertRaises(CallbackError) as cm:
            Endpoint.receive_callback(
                endpoint.id + 1000, '1', 'abc', json.dumps({}))
        self.assertEqual(cm.exception.status, 401)

    @with_transaction()
    def test_access_admin_only(self):
        "Only network administrators read endpoints, secrets and messages"
        pool = Pool()
        Endpoint = pool.get('connector.endpoint')
        Message = pool.get('connector.message')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        endpoint = create_endpoint()
        create_message(endpoint)
        agent, admin = User.create([{
                    'login': 'agent', 'name': "Agent",
                    'groups': [('add', [ModelData.get_id(
                                    'service_network', 'group_site_agent')])],
                    }, {
                    'login': 'netadmin', 'name': "Admin",
                    'groups': [('add', [ModelData.get_id(
                                    'service_network',
                                    'group_network_admin')])],
                    }])
        with Transaction().set_user(agent.id), \
                Transaction().set_context(_check_access=True):
            for Model in [Endpoint, Message]:
                with self.assertRaises(AccessError):
                    Model.read(
                        [r.id for r in Model.search([])] or [endpoint.id],
                        ['id'])
        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            record, = Endpoint.read([endpoint.id], ['secret'])
            self.assertEqual(record['secret'], 'mot-de-passe-7c1')
            self.assertEqual(len(Message.search([])), 1)

