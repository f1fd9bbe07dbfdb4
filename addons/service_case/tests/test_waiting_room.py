"""The waiting room's pages in-process: the display screen's state, the
kiosk's ticket behind its CSRF check, the printed ticket and the visitor's
phone page, the recorded clips, unknown secrets and rate limits."""
import re
import unittest

from werkzeug.test import Client

from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_case import waiting_pages
from service_case.tests.test_module import ref
from service_case.waiting_room import estimated_minutes, forget_queue

# A WAV file of silence: 8 kHz, 8 bits, 10 samples
WAV = (b'RIFF' + (46).to_bytes(4, 'little') + b'WAVEfmt '
    + (16).to_bytes(4, 'little') + (1).to_bytes(2, 'little')
    + (1).to_bytes(2, 'little') + (8000).to_bytes(4, 'little')
    + (8000).to_bytes(4, 'little') + (1).to_bytes(2, 'little')
    + (8).to_bytes(2, 'little') + b'data' + (10).to_bytes(4, 'little')
    + b'\x80' * 10)


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


class WaitingRoomTestCase(unittest.TestCase):
    "Test the display screens, kiosks and the visitor's ticket page"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Screen = pool.get('case.screen')
            Counter = pool.get('network.counter')
            site, other = ref('site_zig'), ref('site_kdg')
            justice = ref('sector_justice')
            counter, = Counter.create([{'site': site, 'name': "Box 2",
                        'sector': justice, 'number': 2}])
            Counter.create([{'site': other, 'name': "Box 1",
                        'sector': justice}])
            display, kiosk, elsewhere = Screen.create([
                    {'name': "Salle", 'site': site, 'kind': 'display'},
                    {'name': "Borne", 'site': site, 'kind': 'kiosk'},
                    {'name': "Salle", 'site': other, 'kind': 'display'},
                    ])
            cls.counter = counter.id
            cls.display = display.token
            cls.kiosk = kiosk.token
            cls.elsewhere = elsewhere.token
            cls.site, cls.justice = site, justice
            cls.post = ref('sector_post')
            transaction.commit()

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def setUp(self):
        waiting_pages.UNKNOWN.clear()
        waiting_pages.KIOSK_TICKETS.clear()
        self.client = Client(app)

    def url(self, path):
        return f'/{DB_NAME}/{path}'

    def tickets(self):
        with Transaction().start(DB_NAME, 0):
            Ticket = Pool().get('case.ticket')
            return Ticket.search_count([('site', '=', self.site)])

    def take(self):
        "Take a Justice ticket at the kiosk as a visitor does"
        kiosk = self.client.get(self.url(f'borne/{self.kiosk}'))
        self.assertEqual(kiosk.status_code, 200)
        response = self.client.post(self.url(f'borne/{self.kiosk}'), data={
                'csrf': csrf_of(kiosk.get_data(as_text=True)),
                'sector': str(self.justice)})
        self.assertEqual(response.status_code, 303, response.get_data())
        return response.headers['Location']

    def call_next(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Ticket = pool.get('case.ticket')
            Counter = pool.get('network.counter')
            ticket = Ticket.call_next(Counter(self.counter))
            forget_queue(self.site)
            transaction.commit()
            return ticket.number

    def state(self, token=None):
        response = self.client.get(
            self.url(f'ecran/{token or self.display}/etat'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        return response.get_json()

    def test_screen_address(self):
        "A screen's address holds a 256-bit secret that can be renewed"
        with Transaction().start(DB_NAME, 0) as transaction:
            Screen = Pool().get('case.screen')
            screen, = Screen.search([('token', '=', self.display)])
            self.assertRegex(screen.token, r'^[A-Za-z0-9_-]{43}$')
            self.assertTrue(screen.url.endswith(f'/ecran/{screen.token}'))
            copy, = Screen.copy([screen])
            self.assertNotEqual(copy.token, screen.token)
            self.assertTrue(copy.token)
            Screen.renew_token([copy])
            old = copy.token
            Screen.renew_token([copy])
            self.assertNotEqual(copy.token, old)
            transaction.rollback()

    def test_kiosk_display_and_phone(self):
        "A ticket taken at the kiosk, printed, followed and called"
        before = self.state()
        location = self.take()
        self.assertIn(f'/borne/{self.kiosk}/ticket/', location)
        printed = self.client.get(location)
        self.assertEqual(printed.status_code, 200)
        text = printed.get_data(as_text=True)
        number = re.search(r'class="number">(J-\d{3})<', text).group(1)
        self.assertIn('@page { size: 80mm', text)
        self.assertIn('<svg', text)
        self.assertIn('window.print()', text)
        nonce = re.search(r'<script nonce="([^"]+)"', text).group(1)
        self.assertIn(f"script-src 'nonce-{nonce}'",
            printed.headers['Content-Security-Policy'])
        self.assertRegex(text, r'(\d+ people|1 person|Nobody) ahead')

        follow_token = location.rsplit('/', 1)[1]
        phone = self.client.get(self.url(f'ticket/{follow_token}'))
        self.assertEqual(phone.status_code, 200)
        self.assertIn(number, phone.get_data(as_text=True))
        self.assertIn('http-equiv="refresh"', phone.get_data(as_text=True))

        waiting = self.state()
        justice, = [s for s in waiting['sectors'] if s['code'] == 'J']
        before_justice = [s for s in before['sectors'] if s['code'] == 'J']
        self.assertEqual(justice['waiting'],
            (before_justice[0]['waiting'] if before_justice else 0) + 1)

        # the tickets ahead are called first, then this one
        while (called := self.call_next()) != number:
            self.assertIsNotNone(called)
        state = self.state()
        call = state['calls'][0]
        self.assertEqual(call['number'], number)
        self.assertEqual(call['counter'], "Counter 2")
        self.assertEqual(call['counter_number'], 2)
        self.assertEqual(call['speech'],
            f"Ticket J {int(number[2:])}, Counter 2")
        phone = self.client.get(self.url(f'ticket/{follow_token}'))
        self.assertIn("go to Counter 2", phone.get_data(as_text=True))
        # another site's screen shows nothing of it
        elsewhere = self.state(self.elsewhere)
        self.assertNotIn(number, [c['number'] for c in elsewhere['calls']])

    def test_kiosk_refusals_save_nothing(self):
        "Without the CSRF cookie and field, or for a sector not offered"
        count = self.tickets()
        url = self.url(f'borne/{self.kiosk}')
        response = self.client.post(url, data={'sector': str(self.justice)})
        self.assertEqual(response.status_code, 403)
        page = self.client.get(url).get_data(as_text=True)
        csrf = csrf_of(page)
        self.assertEqual(self.client.post(url, data={
                    'csrf': 'x' * 43, 'sector': str(self.justice),
                    }).status_code, 403)
        # another client: a form without the cookie that goes with it
        other = Client(app)
        self.assertEqual(other.post(url, data={
                    'csrf': csrf, 'sector': str(self.justice),
                    }).status_code, 403)
        for sector in ['', 'x', str(self.post), '-1']:
            with self.subTest(sector=sector):
                response = self.client.post(
                    url, data={'csrf': csrf, 'sector': sector})
                self.assertEqual(response.status_code, 400)
        # a display's secret is no kiosk
        self.assertEqual(self.client.post(
                self.url(f'borne/{self.display}'),
                data={'csrf': csrf, 'sector': str(self.justice)}
                ).status_code, 404)
        self.assertEqual(self.tickets(), count)

    def test_kiosk_rate_limit(self):
        "A kiosk prints at most TICKETS_PER_MINUTE tickets in a minute"
        url = self.url(f'borne/{self.kiosk}')
        csrf = csrf_of(self.client.get(url).get_data(as_text=True))
        for _ in range(waiting_pages.TICKETS_PER_MINUTE):
            waiting_pages.KIOSK_TICKETS.add(self._kiosk_id())
        count = self.tickets()
        response = self.client.post(
            url, data={'csrf': csrf, 'sector': str(self.justice)})
        self.assertEqual(response.status_code, 429)
        self.assertEqual(self.tickets(), count)

    def _kiosk_id(self):
        with Transaction().start(DB_NAME, 0):
            Screen = Pool().get('case.screen')
            screen, = Screen.search([('token', '=', self.kiosk)])
            return screen.id

    def test_unknown_secrets(self):
        "Unknown or malformed secrets are the unknown page, then refused"
        for path in [f'ecran/{"A" * 43}', f'ecran/{self.kiosk}',
                f'borne/{self.display}', f'ticket/{"B" * 43}',
                f'ecran/{self.display}x', f'ecran/{self.display}/etat/x',
                f'ticket/{self.display}', 'ecran', 'borne/', "ticket/'"]:
            with self.subTest(path=path):
                response = self.client.get(self.url(path))
                self.assertEqual(response.status_code, 404)
                self.assertIn('Ce lien est inconnu',
                    response.get_data(as_text=True))
                self.assertEqual(response.headers['X-Frame-Options'], 'DENY')
        for _ in range(waiting_pages.UNKNOWN_PER_MINUTE):
            self.client.get(self.url(f'ticket/{"C" * 43}'))
        # even the right secret is refused for a while to that client
        response = self.client.get(self.url(f'ecran/{self.display}'))
        self.assertEqual(response.status_code, 429)
        waiting_pages.UNKNOWN.clear()
        response = self.client.get(self.url(f'ecran/{self.display}'))
        self.assertEqual(response.status_code, 200)

    def test_display_page(self):
        "The display page runs its own script only"
        response = self.client.get(self.url(f'ecran/{self.display}'))
        self.assertEqual(response.status_code, 200, response.get_data())
        policy = response.headers['Content-Security-Policy']
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        text = response.get_data(as_text=True)
        self.assertIn(f'<script nonce="{nonce}"', text)
        self.assertIn("connect-src 'self'", policy)
        self.assertNotIn('unsafe-eval', policy)
        self.assertIn(f'data-state="/{DB_NAME}/ecran/{self.display}/etat"',
            text)

    def test_clips(self):
        "A site's clips are played by its screens only, in their type"
        with Transaction().start(DB_NAME, 0) as transaction:
            Clip = Pool().get('case.call_clip')
            clip, = Clip.create([{'site': self.site, 'language': 'wo',
                        'word': 'ticket', 'sound': WAV,
                        'filename': 'ticket.wav'}])
            transaction.commit()
        for sound, filename in [(b'MZ\x90\x00', 'j.exe'),
                (b'\x00' * (600 * 1024), 'j.wav')]:
            with self.subTest(filename=filename), \
                    Transaction().start(DB_NAME, 0) as transaction:
                Clip = Pool().get('case.call_clip')
                with self.assertRaises(UserError):
                    Clip.create([{'site': self.site, 'language': 'wo',
                                'word': 'J', 'sound': sound,
                                'filename': filename}])
        self.addCleanup(self._delete_clips)
        state = self.state()
        url = state['clips']['wo']['ticket']
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers['Content-Type'], 'audio/wav')
        self.assertEqual(response.data, WAV)
        other = url.replace(self.display, self.elsewhere)
        self.assertEqual(self.client.get(other).status_code, 404)
        self.assertEqual(self.state(self.elsewhere)['clips'], {})

    def _delete_clips(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            Clip = Pool().get('case.call_clip')
            Clip.delete(Clip.search([]))
            transaction.commit()

    def test_estimated_minutes(self):
        "Each counter of the sector serves one visitor per service time"
        self.assertEqual(estimated_minutes(0, 10, 1), 0)
        self.assertEqual(estimated_minutes(3, 10, 1), 30)
        self.assertEqual(estimated_minutes(3, 10, 2), 15)
        self.assertEqual(estimated_minutes(1, 7.5, 2), 4)
        self.assertEqual(estimated_minutes(2, 10, 0), 20)
        self.assertIsNone(estimated_minutes(None, 10, 1))


