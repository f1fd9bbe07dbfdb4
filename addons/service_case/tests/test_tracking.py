"""Track my case in-process: the tracking code of each case, printed on
the receipt; the public page behind its CSRF check, which tells a wrong
number from a wrong code in nothing and shows nothing personal; the limits
on failed attempts per client and per case; the SMS keyword through the
gateway's inbound address and its key."""
import re
import unittest

from werkzeug.test import Client

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_case import tracking_pages
from service_case.tests.test_module import create_case, pdf_pages
from service_case.tracking import (
    ALPHABET,
    LENGTH,
    clean_code,
    clean_number,
    format_code,
)

KEY = 'cle-passerelle-0123456789'


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def wrong(code):
    "A code of the alphabet that is not code"
    return ''.join(ALPHABET[(ALPHABET.index(c) + 1) % len(ALPHABET)]
        for c in code)


class TrackingTestCase(unittest.TestCase):
    "Test the tracking of a case by its number and receipt's code"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['case_configuration']) as transaction:
            pool = Pool()
            Case = pool.get('case.case')
            Configuration = pool.get('case.configuration')
            case = create_case()
            Case.submit([case])
            case.payment_method = 'cash'
            case.save()
            Case.collect([case])
            Case.transmit([case])
            cls.case, cls.number, cls.code = (
                case.id, case.number, case.tracking_code)
            cls.due = case.due_date.strftime('%d/%m/%Y')
            cls.procedure = case.procedure.name
            config = Configuration(1)
            config.public_url = 'https://ess.sn'
            config.save()
            transaction.commit()

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def setUp(self):
        for limit in tracking_pages.limits():
            limit.clear()
        self.client = Client(app)

    def url(self, path):
        return f'/{DB_NAME}/{path}'

    def set_key(self, key):
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['case_configuration']) as transaction:
            Configuration = Pool().get('case.configuration')
            config = Configuration(1)
            config.sms_inbound_key = key
            config.save()
            transaction.commit()

    def ask(self, number, code, address='127.0.0.1'):
        "Fill the form as a citizen at address does; return the answer"
        client = Client(app)
        environ = {'REMOTE_ADDR': address}
        form = client.get(self.url('suivi'), environ_overrides=environ)
        if form.status_code == 429:
            return form
        self.assertEqual(form.status_code, 200)
        return client.post(self.url('suivi'), data={
                'csrf': csrf_of(form.get_data(as_text=True)),
                'number': number, 'code': code}, environ_overrides=environ)

    def test_code(self):
        "Each case has its own code of the unambiguous alphabet"
        self.assertRegex(self.code, f'^[{ALPHABET}]{{{LENGTH}}}$')
        self.assertEqual(format_code('K7MQRT3X'), 'K7MQ-RT3X')
        self.assertEqual(clean_code(' k7mq-rt3x '), 'K7MQRT3X')
        self.assertEqual(clean_number('zig 2026 123'), 'ZIG-2026-000123')
        self.assertEqual(
            clean_number('ZIG-2026-000123'), 'ZIG-2026-000123')
        self.assertIsNone(clean_number('2026-000123'))
        self.assertIsNone(clean_number("ZIG-2026-1' OR 1=1"))
        with Transaction().start(DB_NAME, 0) as transaction:
            Case = Pool().get('case.case')
            case = Case(self.case)
            other = create_case()
            copy, = Case.copy([case])
            codes = {case.tracking_code, other.tracking_code,
                copy.tracking_code}
            self.assertEqual(len(codes), 3)
            self.assertTrue(all(codes))
            transaction.rollback()

    def test_receipt(self):
        "The receipt prints the code, the page's address and the SMS"
        with Transaction().start(DB_NAME, 0) as transaction:
            Receipt = Pool().get('case.receipt', type='report')
            _, content, _, _ = Receipt.execute([self.case], {})
            transaction.rollback()
        text, = pdf_pages(content)
        self.assertIn(f'SUIVI {self.number} {self.code}', text)
        # the text extracted from the PDF may hold a space after the
        # code's hyphen, as after any hyphen where a line may break
        self.assertIn(format_code(self.code), text.replace('- ', '-'))
        # the address may be cut at the end of a line
        self.assertIn(
            f'https://ess.sn/{DB_NAME}/suivi', text.replace(' ', ''))

    def test_page(self):
        "The right number and code give the progress, nothing personal"
        # typed the way people type: lower case, spaces, no zeros
        sequence = int(self.number.rsplit('-', 1)[1])
        site, year = self.number.split('-')[:2]
        typed = f'{site.lower()} {year} {sequence}'
        response = self.ask(typed, format_code(self.code).lower())
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        for expected in [self.number, self.procedure, self.due,
                "Your case has been sent to the administration in charge."]:
            self.assertIn(expected, page)
        for personal in ['Awa', 'Diatta', '77 123', '771234567', 'cash',
                'Cash']:
            self.assertNotIn(personal, page)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        self.assertEqual(response.headers['Referrer-Policy'], 'no-referrer')
        # the receipt's QR code
        response = self.client.get(
            self.url(f'suivi/{self.number}/{self.code}'))
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.due, response.get_data(as_text=True))

    def test_wrong(self):
        "A wrong code and an unknown case get the same answer"
        answers = []
        for number, code in [(self.number, wrong(self.code)),
                ('ZIG-2026-999999', self.code),
                ('no number', self.code),
                (self.number, self.code[:-1])]:
            response = self.ask(number, code)
            self.assertEqual(response.status_code, 404, (number, code))
            page = response.get_data(as_text=True)
            self.assertIn("No case matches this number and this code", page)
            self.assertNotIn(self.procedure, page)
            answers.append(re.sub(r'value="[^"]*"', '', page))
        self.assertEqual(len(set(answers)), 1)
        response = self.client.get(
            self.url(f'suivi/{self.number}/{wrong(self.code)}'))
        self.assertEqual(response.status_code, 404)
        self.assertNotIn(self.procedure, response.get_data(as_text=True))

    def test_csrf(self):
        "A form posted without the page's cookie is refused"
        response = self.client.get(self.url('suivi'))
        csrf = csrf_of(response.get_data(as_text=True))
        other = Client(app)
        response = other.post(self.url('suivi'), data={
                'csrf': csrf, 'number': self.number, 'code': self.code})
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(self.procedure, response.get_data(as_text=True))
        response = self.ask(self.number, '')
        self.assertEqual(response.status_code, 400)

    def test_limits(self):
        "Failed attempts are limited per client, then per case"
        for _ in range(tracking_pages.FAILURES_PER_CLIENT):
            self.assertEqual(
                self.ask(self.number, wrong(self.code)).status_code, 404)
        # even the right code waits now
        response = self.ask(self.number, self.code)
        self.assertEqual(response.status_code, 429)
        self.assertNotIn(self.procedure, response.get_data(as_text=True))
        self.assertIn("Too many wrong attempts", response.get_data(
                as_text=True))

        # a guess spread over many addresses is stopped on the case
        tracking_pages.CLIENT_FAILURES.clear()
        tracking_pages.CASE_FAILURES.clear()
        for i in range(tracking_pages.FAILURES_PER_CASE):
            self.assertEqual(self.ask(self.number, wrong(self.code),
                    f'10.0.{i}.1').status_code, 404)
        self.assertEqual(
            self.ask(self.number, self.code, '10.9.9.9').status_code, 429)
        # other cases are still answered
        self.assertEqual(self.ask(
                'ZIG-2026-999999', self.code, '10.9.9.9').status_code, 404)

    def sms(self, text, phone='+221771234567', key=KEY):
        return self.client.post(self.url('sms/entrant'), query_string={
                'key': key}, data={'from': phone, 'text': text})

    def test_sms(self):
        "SUIVI <number> <code> by SMS is answered with the progress"
        self.set_key(None)
        response = self.sms(f'SUIVI {self.number} {self.code}')
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.get_data(), b'')
        self.set_key(KEY)
        try:
            response = self.sms(
                f'SUIVI {self.number} {self.code}', key='wrong')
            self.assertEqual(response.status_code, 403)

            for text in [f'SUIVI {self.number} {self.code}',
                    f'suivi {self.number.lower()} '
                    f'{format_code(self.code).replace("-", " ")}']:
                response = self.sms(text)
                self.assertEqual(response.status_code, 200, text)
                reply = response.get_data(as_text=True)
                self.assertTrue(reply.startswith(self.number), reply)
                self.assertIn(f'Expected on {self.due}.', reply)
                self.assertLessEqual(len(reply), 160)
                self.assertNotIn('Awa', reply)

            response = self.sms(f'SUIVI {self.number} {wrong(self.code)}')
            self.assertIn("No case matches", response.get_data(as_text=True))
            response = self.sms('SUIVI')
            self.assertIn("SUIVI number code", response.get_data(
                    as_text=True))
            # not for us: no reply
            self.assertEqual(self.sms('Bonjour').status_code, 204)

            # a phone that guesses is stopped
            tracking_pages.PHONE_FAILURES.clear()
            tracking_pages.CASE_FAILURES.clear()
            for _ in range(tracking_pages.FAILURES_PER_PHONE):
                self.sms(f'SUIVI ZIG-2026-999999 {self.code}',
                    phone='+221770000000')
            response = self.sms(f'SUIVI {self.number} {self.code}',
                phone='+221770000000')
            self.assertIn("Too many wrong attempts", response.get_data(
                    as_text=True))
        finally:
            self.set_key(None)
