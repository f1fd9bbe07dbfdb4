"""Endpoints carry secrets over TLS only; callbacks tell nobody which
endpoints exist."""
import json
import unittest
from unittest.mock import patch

from werkzeug.test import Client

from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME,
    USER,
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction
from trytond.wsgi import app

from connector import endpoint as endpoint_module
from connector.tests.servers import signed_callback
from connector.tests.test_module import SECRET, create_endpoint, create_message
from connector.transport import TransportError, is_secure_url


class URLTestCase(unittest.TestCase):
    "Which URLs may carry a secret"

    def test_is_secure_url(self):
        for url in [
                'https://poste.sn/ess',
                'https://10.0.0.5:8443/r1',
                'HTTPS://Poste.SN',
                'http://127.0.0.1:8000/ess',
                'http://localhost/ess',
                'http://LOCALHOST:80',
                'http://[::1]:9000/',
                ]:
            with self.subTest(url=url):
                self.assertTrue(is_secure_url(url))
        for url in [
                None, '',
                'http://poste.sn/ess',
                'http://10.0.0.5/ess',
                'http://127.0.0.2/',
                'http://127.0.0.1.example.com/',
                'http://localhost.example.com/',
                'http://user:pass@127.0.0.1/',
                'http://127.0.0.1@poste.sn/',
                'https://poste.sn\\@127.0.0.1/',
                'http://poste.sn\\@127.0.0.1/',
                'http://127.0.0.1:99999/',
                'http://127.0.0.1/\x00',
                ' http://127.0.0.1/',
                'ftp://127.0.0.1/',
                '127.0.0.1:8000',
                'https:///ess',
                ]:
            with self.subTest(url=url):
                self.assertFalse(is_secure_url(url))


class EndpointSecurityTestCase(unittest.TestCase):
    "Endpoints and callbacks hold their secrets"

    @classmethod
    def setUpClass(cls):
        activate_module(['connector'])

    @classmethod
    def tearDownClass(cls):
        # the next test class activates its own modules
        drop_db()

    @with_transaction()
    def test_url_validated(self):
        "An endpoint reaches a partner over HTTPS, or this machine over HTTP"
        endpoint = create_endpoint(url='https://justice.sn/r1')
        Endpoint = Pool().get('connector.endpoint')
        for url in ['http://localhost:8080', 'http://[::1]:8080']:
            endpoint.url = url
            endpoint.save()
        for url in ['http://justice.sn/r1', 'justice.sn']:
            with self.assertRaises(ValidationError) as cm:
                Endpoint.write([endpoint], {'url': url})
            self.assertIn(url, cm.exception.message)
            self.assertIn(endpoint.rec_name, cm.exception.message)
        with self.assertRaises(ValidationError):
            create_endpoint(url='http://justice.sn/r1')

    @with_transaction()
    def test_send_insecure_url_dead(self):
        "A URL stored in clear before validation sends nothing"
        pool = Pool()
        Endpoint = pool.get('connector.endpoint')
        Message = pool.get('connector.message')
        endpoint = create_endpoint()
        with patch.object(endpoint_module, 'is_secure_url', return_value=True):
            Endpoint.write([endpoint], {'url': 'http://justice.sn/r1'})
        with self.assertRaises(TransportError) as cm:
            endpoint.get_client()
        self.assertEqual(cm.exception.code, 'insecure')
        self.assertFalse(cm.exception.temporary)
        message = create_message(endpoint)
        Message.send([message])
        message = Message(message.id)
        self.assertEqual(message.state, 'dead')
        self.assertIn('http://justice.sn/r1', message.last_error)
        self.assertIn('HTTPS', message.last_error)

    @with_transaction()
    def test_callback_unknown_as_wrong_signature(self):
        "An unknown endpoint is refused as a wrong signature, HMAC computed"
        pool = Pool()
        Endpoint = pool.get('connector.endpoint')
        endpoint = create_endpoint()
        no_secret = create_endpoint(callback_secret=None)
        headers, body = signed_callback('devine', {'event_id': 'e-1'})
        calls = []

        def check_signature(*args):
            calls.append(args[0])
            return original(*args)
        original = endpoint_module.check_signature
        with patch.object(
                endpoint_module, 'check_signature', check_signature):
            for endpoint_id in [
                    endpoint.id, endpoint.id + 1000, no_secret.id, 0,
                    2 ** 40]:
                with self.subTest(endpoint=endpoint_id):
                    with self.assertRaises(endpoint_module.CallbackError) \
                            as cm:
                        Endpoint.receive_callback(
                            endpoint_id, headers['X-Connector-Timestamp'],
                            headers['X-Connector-Signature'], body)
                    self.assertEqual(
                        (cm.exception.status, cm.exception.reason),
                        (401, "wrong signature"))
        self.assertEqual(len(calls), 5)
        self.assertEqual(calls[0], SECRET)
        self.assertTrue(all(calls[1:]))

    def test_callback_route_answers(self):
        "Over HTTP an unknown endpoint and a forged signature look the same"
        with Transaction().start(DB_NAME, USER) as transaction:
            endpoint = create_endpoint()
            endpoint_id, partner_id = endpoint.id, endpoint.partner.id
            transaction.commit()
        client = Client(app)

        def post(endpoint_id, secret):
            headers, body = signed_callback(secret, {
                    'event_id': 'e-1', 'status': 'ready',
                    'reference': 'inconnue'})
            return client.post(
                f'/{DB_NAME}/connector/callback/{endpoint_id}',
                data=body, headers=headers)
        try:
            forged = post(endpoint_id, 'devine')
            unknown = post(endpoint_id + 1000, 'devine')
            for response in [forged, unknown]:
                self.assertEqual(response.status_code, 401)
                self.assertEqual(
                    response.headers['X-Content-Type-Options'], 'nosniff')
                self.assertEqual(
                    response.headers['Content-Type'], 'application/json')
            self.assertEqual(forged.get_data(), unknown.get_data())
            self.assertEqual(
                json.loads(forged.get_data()), {'error': "wrong signature"})
            # Signed, for a message the partner does not have
            response = post(endpoint_id, SECRET)
            self.assertEqual(response.status_code, 404)
            self.assertEqual(
                response.headers['X-Content-Type-Options'], 'nosniff')
        finally:
            with Transaction().start(DB_NAME, USER) as transaction:
                pool = Pool()
                Endpoint = pool.get('connector.endpoint')
                Party = pool.get('party.party')
                Endpoint.delete([Endpoint(endpoint_id)])
                Party.delete([Party(partner_id)])
                transaction.commit()
