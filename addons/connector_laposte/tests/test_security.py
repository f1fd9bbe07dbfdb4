"""The WS-Security password (PasswordText) leaves over HTTPS only, or to
this machine, and never follows a redirect."""
import unittest

from werkzeug.wrappers import Request, Response

from connector.tests.servers import LocalServer
from connector.transport import TransportError
from connector_laposte.client import LaPosteClient
from connector_laposte.tests.servers import PASSWORD, USERNAME


class Recorder:
    "A server that keeps the bodies it receives and answers status"

    def __init__(self, status=200, location=None):
        self.status = status
        self.location = location
        self.bodies = []

    def __call__(self, environ, start_response):
        self.bodies.append(Request(environ).get_data())
        response = Response('', status=self.status)
        if self.location:
            response.headers['Location'] = self.location
        return response(environ, start_response)


class LaPosteClientSecurityTestCase(unittest.TestCase):

    def test_insecure_url_refused(self):
        "A partner over plain HTTP is refused before any call"
        for url in ['http://poste.sn/ess', 'http://10.1.2.3:8080/ess']:
            with self.subTest(url=url), \
                    self.assertRaises(TransportError) as cm:
                LaPosteClient(url, USERNAME, PASSWORD, 2)
            self.assertEqual(cm.exception.code, 'insecure')
            self.assertFalse(cm.exception.temporary)
        LaPosteClient('https://poste.sn/ess', USERNAME, PASSWORD, 2)
        LaPosteClient('http://localhost:8080/ess', USERNAME, PASSWORD, 2)

    def test_redirect_not_followed(self):
        "A redirect does not carry the password to another address"
        with LocalServer(Recorder()) as elsewhere:
            # Another name of this machine: another host to requests
            target = elsewhere.url.replace('127.0.0.1', 'localhost')
            server = LocalServer(Recorder(307, f'{target}/ess')).start()
            self.addCleanup(server.stop)
            client = LaPosteClient(
                f'{server.url}/ess', USERNAME, PASSWORD, 2)
            with self.assertRaises(TransportError) as cm:
                client.call('track_delivery', {'trackingNumber': 'LP1'}, '')
            self.assertEqual(cm.exception.code, 'client')
            self.assertIn('307', cm.exception.detail)
            self.assertIn(PASSWORD.encode(), server.app.bodies[0])
            self.assertEqual(elsewhere.app.bodies, [])

