"""The X-Road bearer token leaves over HTTPS only, or to this machine, and
never follows a redirect."""
import unittest

from werkzeug.wrappers import Request, Response

from connector.tests.servers import LocalServer
from connector.transport import TransportError
from connector_xroad.client import XRoadClient
from connector_xroad.tests.servers import CLIENT, SERVICE, TOKEN


class Recorder:
    "A server that keeps the headers it receives and answers status"

    def __init__(self, status=200, location=None):
        self.status = status
        self.location = location
        self.headers = []

    def __call__(self, environ, start_response):
        self.headers.append(dict(Request(environ).headers))
        response = Response('{}', status=self.status)
        if self.location:
            response.headers['Location'] = self.location
        return response(environ, start_response)


class XRoadClientSecurityTestCase(unittest.TestCase):

    def test_insecure_url_refused(self):
        "A security server over plain HTTP is refused before any call"
        for url in ['http://xroad.gouv.sn', 'http://192.168.1.10:8080']:
            with self.subTest(url=url), \
                    self.assertRaises(TransportError) as cm:
                XRoadClient(url, CLIENT, SERVICE, TOKEN, 2)
            self.assertEqual(cm.exception.code, 'insecure')
            self.assertFalse(cm.exception.temporary)
        XRoadClient('https://xroad.gouv.sn', CLIENT, SERVICE, TOKEN, 2)
        XRoadClient('http://[::1]:8080', CLIENT, SERVICE, TOKEN, 2)

    def test_redirect_not_followed(self):
        "A redirect does not carry the token to another address"
        with LocalServer(Recorder()) as elsewhere:
            target = elsewhere.url.replace('127.0.0.1', 'localhost')
            for status in [302, 307]:
                with self.subTest(status=status), LocalServer(
                        Recorder(status, f'{target}/x')) as server:
                    client = XRoadClient(
                        server.url, CLIENT, SERVICE, TOKEN, 2)
                    with self.assertRaises(TransportError) as cm:
                        client.call('submit', {'case': 'ZIG-1'}, 'ZIG-1')
                    self.assertEqual(cm.exception.code, 'client')
                    self.assertEqual(
                        server.app.headers[0]['Authorization'],
                        f'Bearer {TOKEN}')
            self.assertEqual(elsewhere.app.headers, [])
