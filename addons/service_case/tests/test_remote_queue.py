"""The remote queue in-process: joining a site's queue from a phone behind
the page's CSRF cookie, with a valid Senegal number, once per phone and a
few times per address; the SMS when the turn comes, the « more time »
asked once, the remote ticket put back once when its citizen was away,
then dropped and its phone forgotten."""
import re
import unittest

from werkzeug.test import Client

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_case import tracking_pages, waiting_pages
from service_case.tests.test_module import ref
from service_case.waiting_room import forget_queue

KEY = 'cle-passerelle-0123456789'


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


class RemoteQueueTestCase(unittest.TestCase):
    "Test the queue joined from a phone"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['case_configuration']) as transaction:
            pool = Pool()
            Counter = pool.get('network.counter')
            Site = pool.get('network.site')
            Sector = pool.get('network.sector')
            Configuration = pool.get('case.configuration')
            site, closed = Site(ref('site_zig')), Site(ref('site_kdg'))
            justice = Sector(ref('sector_justice'))
            # an SMS when nobody is ahead any more
            justice.remote_alert_ahead = 0
            justice.save()
            site.remote_queue = True
            site.phone = '33 991 11 20'
            site.save()
            counter, = Counter.create([{'site': site.id, 'name': "Box 3",
                        'sector': justice.id, 'number': 3}])
            Counter.create([{'site': closed.id, 'name': "Box 1",
                        'sector': justice.id}])
            config = Configuration(1)
            config.public_url = 'https://ess.sn'
            config.sms_inbound_key = KEY
            config.save()
            cls.site, cls.code = site.id, site.code
            cls.closed_code = closed.code
            cls.justice, cls.counter = justice.id, counter.id
            transaction.commit()

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def setUp(self):
        waiting_pages.UNKNOWN.clear()
        waiting_pages.REMOTE_JOINS.clear()
        for limit in tracking_pages.limits():
            limit.clear()
        self.empty_queue()

    def empty_queue(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('case.ticket')
            table = Ticket.__table__()
            transaction.connection.cursor().execute(*table.update(
                    [table.state, table.phone], ['absent', None],
                    where=table.state.in_(['waiting', 'called'])))
            forget_queue(self.site)
            transaction.commit()

    def join(self, phone, code=None, address='127.0.0.1', csrf=True):
        client = Client(app)
        environ = {'REMOTE_ADDR': address}
        url = f'/{DB_NAME}/file/{code or self.code}'
        page = client.get(url, environ_overrides=environ)
        data = {'sector': str(self.justice), 'phone': phone}
        if csrf and page.status_code == 200 and 'csrf' in page.get_data(
                as_text=True):
            data['csrf'] = csrf_of(page.get_data(as_text=True))
        elif not csrf:
            client = Client(app)
            data['csrf'] = 'x' * 43
        return client, client.post(url, data=data,
            environ_overrides=environ)

    def count(self, model, domain):
        with Transaction().start(DB_NAME, 0):
            return Pool().get(model).search_count(domain)

    def ticket(self, token):
        with Transaction().start(DB_NAME, 0):
            Ticket = Pool().get('case.ticket')
            ticket = Ticket.from_follow_token(token)
            return {name: getattr(ticket, name) for name in [
                    'id', 'number', 'state', 'phone', 'remote',
                    'more_time_until', 'requeued']}

    def notifications(self, event):
        with Transaction().start(DB_NAME, 0):
            Notification = Pool().get('case.notification')
            return [(n.recipient, n.text) for n in Notification.search([
                        ('event', '=', event)], order=[('id', 'ASC')])]

    def call_next(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Ticket = pool.get('case.ticket')
            Counter = pool.get('network.counter')
            ticket = Ticket.call_next(Counter(self.counter))
            transaction.commit()
            return ticket.id if ticket else None

    def absent(self, ticket_id):
        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('case.ticket')
            Ticket.absent([Ticket(ticket_id)])
            transaction.commit()

    def test_join(self):
        "A phone joins the queue and gets its ticket page and SMS"
        tickets = self.count('case.ticket', [])
        client, response = self.join('77 123 45 67')
        self.assertEqual(response.status_code, 303, response.get_data())
        location = response.headers['Location']
        self.assertRegex(location, rf'/{DB_NAME}/ticket/[\w-]{{43}}$')
        token = location.rsplit('/', 1)[1]
        ticket = self.ticket(token)
        self.assertTrue(ticket['remote'])
        self.assertEqual(ticket['phone'], '+221 77 123 45 67')
        self.assertEqual(ticket['state'], 'waiting')
        self.assertEqual(self.count('case.ticket', []), tickets + 1)
        (recipient, text), = self.notifications('queue_joined')[-1:]
        self.assertEqual(recipient, '+221 77 123 45 67')
        self.assertIn(ticket['number'], text)
        self.assertIn(f'https://ess.sn/{DB_NAME}/ticket/{token}', text)
        page = client.get(location)
        self.assertIn(ticket['number'], page.get_data(as_text=True))
        self.assertIn('I need more time', page.get_data(as_text=True))

    def test_refusals(self):
        "Wrong phones, forged forms and closed queues create nothing"
        tickets = self.count('case.ticket', [])
        for phone in ['12345', '+33 6 12 34 56 78', '']:
            _, response = self.join(phone)
            self.assertEqual(response.status_code, 400, phone)
        self.assertIn('is not a Senegal mobile number',
            self.join('12345')[1].get_data(as_text=True))
        _, response = self.join('77 123 45 68', csrf=False)
        self.assertEqual(response.status_code, 403)
        _, response = self.join('77 123 45 68', code=self.closed_code)
        self.assertEqual(response.status_code, 200)
        self.assertIn('cannot be joined from a phone',
            response.get_data(as_text=True))
        _, response = self.join('77 123 45 68', code='NOPE')
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.count('case.ticket', []), tickets)

        # one ticket per phone in the queue; a few per address
        self.assertEqual(self.join('77 000 00 01')[1].status_code, 303)
        _, response = self.join('770000001')
        self.assertEqual(response.status_code, 400)
        self.assertIn('already has a ticket', response.get_data(
                as_text=True))
        for i in range(2, waiting_pages.REMOTE_JOINS_PER_HOUR + 1):
            self.assertEqual(
                self.join(f'77 000 00 0{i}')[1].status_code, 303)
        _, response = self.join('77 000 00 09')
        self.assertEqual(response.status_code, 429)
        self.assertEqual(self.count('case.ticket', []),
            tickets + waiting_pages.REMOTE_JOINS_PER_HOUR)

    def test_turn_more_time_and_absence(self):
        "The SMS of the turn, more time once, put back once then dropped"
        first = self.join('76 111 11 11', address='10.0.0.1')[1]
        second = self.join('76 222 22 22', address='10.0.0.2')[1]
        third = self.join('76 333 33 33', address='10.0.0.3')[1]
        tokens = [r.headers['Location'].rsplit('/', 1)[1]
            for r in [first, second, third]]
        ids = [self.ticket(t)['id'] for t in tokens]
        before = len(self.notifications('queue_ahead'))

        # the third asks for more time: not called for 15 minutes
        client = Client(app)
        page = client.get(f'/{DB_NAME}/ticket/{tokens[2]}')
        csrf = csrf_of(page.get_data(as_text=True))
        response = client.post(
            f'/{DB_NAME}/ticket/{tokens[2]}/plus-de-temps',
            data={'csrf': csrf})
        self.assertEqual(response.status_code, 303)
        until = self.ticket(tokens[2])['more_time_until']
        self.assertIsNotNone(until)
        page = client.get(f'/{DB_NAME}/ticket/{tokens[2]}')
        self.assertIn(until.strftime('%H:%M'), page.get_data(as_text=True))
        self.assertNotIn('I need more time', page.get_data(as_text=True))
        # once only
        client.post(f'/{DB_NAME}/ticket/{tokens[2]}/plus-de-temps',
            data={'csrf': csrf})
        self.assertEqual(self.ticket(tokens[2])['more_time_until'], until)

        # the first is called: the second has nobody ahead, told by SMS
        self.assertEqual(self.call_next(), ids[0])
        ahead = self.notifications('queue_ahead')[before:]
        self.assertEqual([r for r, _ in ahead], ['+221 76 222 22 22'])
        # the first was away: back in the queue, first, told by SMS
        self.absent(ids[0])
        self.assertEqual(self.ticket(tokens[0])['state'], 'waiting')
        self.assertTrue(self.ticket(tokens[0])['requeued'])
        self.assertEqual(self.notifications('queue_requeued')[-1][0],
            '+221 76 111 11 11')
        self.assertEqual(self.call_next(), ids[0])
        # away again: dropped, the phone forgotten
        self.absent(ids[0])
        dropped = self.ticket(tokens[0])
        self.assertEqual(dropped['state'], 'absent')
        self.assertIsNone(dropped['phone'])
        # the second comes; the third waits for its more time
        self.assertEqual(self.call_next(), ids[1])
        self.assertIsNone(self.call_next())
        self.assertEqual(self.ticket(tokens[2])['state'], 'waiting')
        # the third is next: told, once; nobody twice
        ahead = self.notifications('queue_ahead')[before:]
        self.assertEqual([r for r, _ in ahead],
            ['+221 76 222 22 22', '+221 76 333 33 33'])

    def test_sms(self):
        "FILE <service> sent to the site's number joins its queue"
        client = Client(app)

        def sms(text, phone='+221781234567', to='+221339911120'):
            return client.post(f'/{DB_NAME}/sms/entrant',
                query_string={'key': KEY},
                data={'from': phone, 'to': to, 'text': text})

        tickets = self.count('case.ticket', [])
        response = sms('FILE')
        self.assertEqual(response.status_code, 200)
        self.assertIn('send FILE and the code of the service: J (Justice)',
            response.get_data(as_text=True))
        response = sms('FILE J', to='+221338000000')
        self.assertIn('is not the one of a site', response.get_data(
                as_text=True))
        self.assertEqual(self.count('case.ticket', []), tickets)

        response = sms('file j')
        self.assertEqual(response.status_code, 204)
        self.assertEqual(self.count('case.ticket', []), tickets + 1)
        (recipient, text), = self.notifications('queue_joined')[-1:]
        self.assertEqual(recipient, '+221 78 123 45 67')
        self.assertIn(f'https://ess.sn/{DB_NAME}/ticket/', text)
        response = sms('FILE J')
        self.assertIn('already has a ticket', response.get_data(
                as_text=True))
        self.assertEqual(self.count('case.ticket', []), tickets + 1)
