"""The published results in-process: the figures the daily task stores,
recomputed here in Python from the same tickets, cases, ratings and
complaints; the public pages of the network and of a site; the line of
the call screens."""
import datetime as dt
import math
import random
import unittest

from werkzeug.test import Client

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_case import waiting_pages
from service_case.results import first_of_month
from service_case.results_pages import screen_line
from service_case.tests.test_module import create_case, ref


def collect(tickets, cases, complaints, today):
    "The values counted per (site or None, month) and figure"
    figures = {}

    def add(site, month, name, value):
        for key in [(site, month), (None, month)]:
            figures.setdefault(key, {}).setdefault(name, []).append(value)

    for site, day, arrived, called in tickets:
        if called is not None:
            add(site, first_of_month(day), 'waits',
                (called - arrived).total_seconds() / 60)
    for site, delivered, due, rating, rated_at in cases:
        if delivered:
            add(site, first_of_month(delivered), 'on_time', delivered <= due)
        if rating is not None:
            add(site, first_of_month(rated_at.date()), 'ratings', rating)
    for site, state, due, answered in complaints:
        if state != 'draft' and due and (answered or due < today):
            add(site, first_of_month(due), 'complaints',
                bool(answered and answered <= due))
    return figures


def share(flags):
    return round(100 * sum(flags) / len(flags), 1)


def expected(tickets, cases, complaints, today):
    """The figures per (site or None, month) computed the plain way from
    the records' values"""
    return {key: summarize(values) for key, values in collect(
            tickets, cases, complaints, today).items()}


def summarize(values):
    "The figures of one site and month from the values counted"
    row = {}
    waits = sorted(values.get('waits', []))
    if waits:
        row['tickets'] = len(waits)
        row['wait_average'] = round(sum(waits) / len(waits), 1)
        row['wait_p90'] = round(waits[math.ceil(0.9 * len(waits)) - 1], 1)
        row['within_15'] = share([w <= 15 for w in waits])
        row['within_30'] = share([w <= 30 for w in waits])
    if values.get('on_time'):
        row['delivered'] = len(values['on_time'])
        row['on_time'] = share(values['on_time'])
    if values.get('ratings'):
        row['ratings'] = len(values['ratings'])
        row['rating'] = round(
            sum(values['ratings']) / len(values['ratings']), 2)
    if values.get('complaints'):
        row['complaints'] = len(values['complaints'])
        row['complaints_on_time'] = share(values['complaints'])
    return row


class ResultsTestCase(unittest.TestCase):
    "Test the published results"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])
        rng = random.Random(16)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Ticket = pool.get('case.ticket')
            Case = pool.get('case.case')
            Complaint = pool.get('case.complaint')
            Result = pool.get('case.published_result')
            today = pool.get('ir.date').today()
            sites = [ref('site_zig'), ref('site_kdg')]
            sector = ref('sector_justice')
            last_month = first_of_month(today, 1)
            days = [last_month + dt.timedelta(days=d) for d in range(20)]
            days += [first_of_month(today)] * 3 + [today] * 2
            values = []
            for i in range(140):
                day = rng.choice(days)
                arrived = dt.datetime.combine(day, dt.time(8)) \
                    + dt.timedelta(minutes=rng.randint(0, 400))
                called = None if i % 9 == 0 else arrived + dt.timedelta(
                    seconds=rng.randint(30, 60 * 55))
                values.append({'site': rng.choice(sites), 'sector': sector,
                        'date': day, 'arrived_at': arrived,
                        'called_at': called,
                        'state': 'done' if called else 'absent',
                        'outcome': 'information' if called else None})
            Ticket.create(values)

            case = Case.__table__()
            cursor = transaction.connection.cursor()
            for _ in range(24):
                record = create_case(site=rng.choice(sites))
                due = rng.choice(days)
                delivered = due + dt.timedelta(days=rng.choice([-2, 0, 0, 3]))
                delivered = min(delivered, today)
                rating = rng.choice([None, 1, 3, 4, 5, 5])
                cursor.execute(*case.update(
                        [case.state, case.due_date, case.delivery_date,
                            case.rating, case.rated_at],
                        ['delivered', due, delivered, rating,
                            dt.datetime.combine(delivered, dt.time(18))
                            if rating else None],
                        where=case.id == record.id))
            complaint = Complaint.__table__()
            for _ in range(12):
                record, = Complaint.create([{
                            'site': rng.choice(sites),
                            'description': "Attente trop longue"}])
                due = rng.choice(days + [today + dt.timedelta(days=5)])
                answered = rng.choice([None, due - dt.timedelta(days=1),
                        due, due + dt.timedelta(days=2)])
                if answered and answered > today:
                    answered = None
                cursor.execute(*complaint.update(
                        [complaint.state, complaint.due_date,
                            complaint.answered_on],
                        ['answered' if answered else 'open', due, answered],
                        where=complaint.id == record.id))
            Result.compute()
            transaction.commit()
            cls.today = today
            cls.zig, cls.kdg = sites

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def setUp(self):
        waiting_pages.UNKNOWN.clear()

    def test_figures(self):
        "The stored figures are those recomputed from the records"
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Ticket = pool.get('case.ticket')
            Case = pool.get('case.case')
            Complaint = pool.get('case.complaint')
            Result = pool.get('case.published_result')
            tickets = [(t.site.id, t.date, t.arrived_at, t.called_at)
                for t in Ticket.search([])]
            cases = [(c.site.id, c.delivery_date, c.due_date, c.rating,
                    c.rated_at) for c in Case.search([])]
            complaints = [(c.site.id, c.state, c.due_date, c.answered_on)
                for c in Complaint.search([])]
            wanted = expected(tickets, cases, complaints, self.today)
            stored = {}
            for result in Result.search([]):
                key = (result.site.id if result.site else None, result.month)
                stored[key] = {name: getattr(result, name) for name in [
                        'tickets', 'wait_average', 'wait_p90', 'within_15',
                        'within_30', 'delivered', 'on_time', 'ratings',
                        'rating', 'complaints', 'complaints_on_time']
                    if getattr(result, name) is not None}
        self.assertEqual(set(stored), set(wanted))
        # the network, this month and the last one, and each site
        self.assertIn((None, first_of_month(self.today)), stored)
        self.assertIn((self.kdg, first_of_month(self.today, 1)), stored)
        for key, row in wanted.items():
            for name, value in row.items():
                self.assertAlmostEqual(
                    stored[key][name], value, delta=0.051,
                    msg=f'{name} of {key}')

    def test_pages(self):
        "The network's page and a site's show the stored figures"
        client = Client(app)
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Result = pool.get('case.published_result')
            Site = pool.get('network.site')
            network, = Result.search([('site', '=', None),
                    ('month', '=', first_of_month(self.today, 1))])
            site, = Result.search([('site', '=', self.zig),
                    ('month', '=', first_of_month(self.today, 1))])
            code = Site(self.zig).code
            name = Site(self.zig).name
            network = {'wait_average': network.wait_average,
                'on_time': network.on_time}
            site = {'wait_p90': site.wait_p90, 'within_30': site.within_30}
        response = client.get(f'/{DB_NAME}/resultats')
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn(f'{network["wait_average"]:.1f}', page)
        self.assertIn(f'{network["on_time"]:.1f}', page)
        self.assertIn(f'/{DB_NAME}/resultats/{code}', page)
        self.assertIn('How these figures are counted', page)

        response = client.get(f'/{DB_NAME}/resultats/{code.lower()}')
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn(name, page)
        self.assertIn(f'{site["wait_p90"]:.1f}', page)
        self.assertIn(f'{site["within_30"]:.1f}', page)

        for code in ['XXX', "ZIG'--", 'a' * 40]:
            response = client.get(f'/{DB_NAME}/resultats/{code}')
            self.assertEqual(response.status_code, 404, code)

    def test_screen(self):
        "The call screen's line gives the site's latest figures"
        with Transaction().start(DB_NAME, 0):
            line = screen_line(Pool(), self.zig)
        self.assertTrue(line.startswith('Our results, '), line)
        self.assertIn('average wait', line)
        self.assertIn('satisfaction', line)

    def test_compute_again(self):
        "Computing again replaces the months it covers, in one go"
        with Transaction().start(DB_NAME, 0) as transaction:
            Result = Pool().get('case.published_result')
            before = Result.search_count([])
            Result.compute()
            self.assertEqual(Result.search_count([]), before)
            transaction.rollback()
