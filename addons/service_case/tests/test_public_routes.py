"""The public pages: a malformed token is an unknown link, and every answer
carries the security headers."""
import unittest

from werkzeug.test import Client

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, USER, activate_module, drop_db
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_case.tests.test_module import create_case, deliver, ref

PAGE_HEADERS = {
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    }


class PublicRoutesTestCase(unittest.TestCase):
    "Test the public routes of service_case"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])

    @classmethod
    def tearDownClass(cls):
        # the next test class activates its own modules
        drop_db()

    def setUp(self):
        with Transaction().start(DB_NAME, USER) as transaction:
            case = create_case(site=ref('site_kdg'))
            deliver(case)
            self.token, self.case_id = case.rating_token, case.id
            transaction.commit()
        self.addCleanup(self.delete_case)
        self.client = Client(app)
        self.url = f'/{DB_NAME}/service_case/rate/{self.token}'

    def delete_case(self):
        with Transaction().start(DB_NAME, USER) as transaction:
            pool = Pool()
            Case = pool.get('case.case')
            Party = pool.get('party.party')
            case = Case(self.case_id)
            citizen = case.citizen
            Case.write([case], {'state': 'cancelled', 'rating': None})
            Case.delete([case])
            Party.delete([citizen])
            transaction.commit()

    def assertSecureHeaders(self, response):
        for name, value in PAGE_HEADERS.items():
            self.assertEqual(response.headers.get(name), value, name)
        # the form posts with its origin (trytond refuses « Origin: null »,
        # which no-referrer makes browsers send); no other site learns the
        # page's address
        self.assertIn(response.headers.get('Referrer-Policy'),
            {'no-referrer', 'same-origin'})
        policy = response.headers['Content-Security-Policy']
        self.assertIn("default-src 'none'", policy)
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertIn("form-action 'self'", policy)
        self.assertNotIn('script-src', policy)

    def test_malformed_tokens_unknown(self):
        "A token out of the alphabet or the length is an unknown link"
        base = f'/{DB_NAME}/service_case/rate/'
        unknown = self.client.get(base + 'A' * 32)
        self.assertEqual(unknown.status_code, 404)
        text = unknown.get_data(as_text=True)
        self.assertIn('Ce lien est inconnu', text)
        self.assertSecureHeaders(unknown)
        for token in [
                self.token + '%00', self.token[:-1] + '%00',
                '%00', self.token + "'", self.token + '%20',
                self.token[:15], 'A' * 65, self.token + '%0A',
                self.token + '.', 'é' * 20]:
            for method in [self.client.get, self.client.post]:
                with self.subTest(token=token, method=method.__name__):
                    response = method(base + token, data={'rating': '5'})
                    self.assertEqual(response.status_code, 404)
                    self.assertEqual(response.get_data(as_text=True), text)
                    self.assertSecureHeaders(response)
        with Transaction().start(DB_NAME, USER):
            case = Pool().get('case.case')(self.case_id)
            self.assertIsNone(case.rating)

    def test_rating_page_headers(self):
        "Every answer of the rating page carries the security headers"
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertSecureHeaders(response)
        response = self.client.post(self.url, data={'rating': '0'})
        self.assertEqual(response.status_code, 400)
        self.assertSecureHeaders(response)
        response = self.client.post(self.url, data={
                'rating': '5', 'comment': "Très bien\x00\r\naccueilli"})
        self.assertEqual(response.status_code, 200)
        self.assertSecureHeaders(response)
        response = self.client.get(self.url)
        self.assertIn('déjà', response.get_data(as_text=True))
        self.assertSecureHeaders(response)
        with Transaction().start(DB_NAME, USER):
            case = Pool().get('case.case')(self.case_id)
            self.assertEqual(
                (case.rating, case.rating_comment),
                (5, "Très bien\naccueilli"))
