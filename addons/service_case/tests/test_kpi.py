"""The indicators per site and day on days with and without deliveries:
a ratio has no value (NULL) on a day without its denominator, and the
graphs of the site manager keep those days out with their actions'
domains (sao would draw them as 0)."""
import datetime as dt
import unittest

from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction

from .test_module import create_case, deliver, ref


def action_domain(xml_id):
    "The domain of the window action xml_id of service_case"
    pool = Pool()
    ActWindow = pool.get('ir.action.act_window')
    action = ActWindow(ref(xml_id, 'service_case'))
    return PYSONDecoder({}).decode(action.pyson_domain)


class KpiTestCase(unittest.TestCase):
    "Test the indicators per site and day"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])

    @classmethod
    def tearDownClass(cls):
        # the next test class activates its own modules
        drop_db()

    def setup_days(self):
        """Three days at Ziguinchor: two days ago tickets and no delivery,
        yesterday a ticket not called yet, today two cases delivered (one
        late, one rated) and no ticket called. Return the three dates."""
        pool = Pool()
        Case = pool.get('case.case')
        Ticket = pool.get('case.ticket')
        site, sector = ref('site_zig'), ref('sector_justice')
        now = pool.get('ir.date').today()
        before, yesterday = (
            now - dt.timedelta(days=2), now - dt.timedelta(days=1))
        first, second = create_case(), create_case()
        for case in [first, second]:
            deliver(case)
        self.assertEqual({first.delivery_date, second.delivery_date}, {now})
        Case.write([first], {'rating': 4})
        Case.write([second], {'due_date': now - dt.timedelta(days=30)})
        called, waiting, later = Ticket.create([
                {'site': site, 'sector': sector},
                {'site': site, 'sector': sector},
                {'site': site, 'sector': sector},
                ])
        arrival = dt.datetime.combine(before, dt.time(9))
        Ticket.write([called], {
                'date': before, 'arrived_at': arrival,
                'state': 'called',
                'called_at': arrival + dt.timedelta(minutes=12)})
        Ticket.write([waiting], {'date': before, 'arrived_at': arrival})
        Ticket.write([later], {
                'date': yesterday,
                'arrived_at': dt.datetime.combine(yesterday, dt.time(10))})
        return before, yesterday, now

    @with_transaction()
    def test_ratios_without_denominator_are_null(self):
        "No delivery: no share on time, not 0 %; no call: no average wait"
        pool = Pool()
        SiteDay = pool.get('case.kpi.site_day')
        before, yesterday, now = self.setup_days()
        with Transaction().set_context(from_date=before, to_date=now):
            days = {d.date: d for d in SiteDay.search([])}
        self.assertEqual(set(days), {before, yesterday, now})

        day = days[before]
        self.assertEqual(day.visitors, 2)
        self.assertEqual(day.cases_delivered, 0)
        self.assertIsNone(day.on_time)
        self.assertIsNone(day.response_rate)
        self.assertIsNone(day.rating)
        self.assertAlmostEqual(day.waiting_time, 12, places=3)

        day = days[yesterday]
        self.assertEqual(day.visitors, 1)
        self.assertIsNone(day.on_time)
        self.assertIsNone(day.waiting_time)

        day = days[now]
        self.assertEqual(day.visitors, 0)
        self.assertEqual(day.cases_delivered, 2)
        self.assertEqual(day.on_time, 50)
        self.assertEqual(day.response_rate, 50)
        self.assertEqual(day.rating, 4)
        self.assertIsNone(day.waiting_time)

    @with_transaction()
    def test_graph_domains_skip_days_without_value(self):
        "Each graph of a ratio lists only the days the ratio has a value"
        pool = Pool()
        SiteDay = pool.get('case.kpi.site_day')
        before, yesterday, now = self.setup_days()
        with Transaction().set_context(from_date=before, to_date=now):
            on_time = SiteDay.search(
                action_domain('act_kpi_site_day_on_time'))
            waiting = SiteDay.search(
                action_domain('act_kpi_site_day_waiting'))
            self.assertEqual([d.date for d in on_time], [now])
            self.assertEqual([d.on_time for d in on_time], [50])
            self.assertEqual([d.date for d in waiting], [before])
            self.assertTrue(all(d.waiting_time is not None for d in waiting))

    @with_transaction()
    def test_row_id_stable(self):
        """A row keeps its id, derived from its site and day, whatever the
        period filtered and the data added later"""
        pool = Pool()
        SiteDay = pool.get('case.kpi.site_day')
        Ticket = pool.get('case.ticket')
        before, yesterday, now = self.setup_days()
        site = ref('site_zig')
        with Transaction().set_context(from_date=before, to_date=now):
            wide = {d.date: d.id for d in SiteDay.search([])}
        self.assertEqual(
            wide[yesterday], site * 10 ** 8 + int(f'{yesterday:%Y%m%d}'))
        with Transaction().set_context(
                from_date=yesterday, to_date=yesterday):
            day, = SiteDay.search([])
        self.assertEqual(day.id, wide[yesterday])

        # a ticket at another site adds a row: the others keep their ids
        Ticket.create([{'site': ref('site_kdg'),
                    'sector': ref('sector_justice'), 'date': before}])
        with Transaction().set_context(from_date=before, to_date=now):
            rows = SiteDay.search([('site', '=', site)])
            self.assertEqual({d.date: d.id for d in rows}, wide)
            self.assertEqual(len(SiteDay.search([])), 4)
            self.assertEqual(SiteDay(wide[yesterday]).visitors, 1)

    @with_transaction()
    def test_site_in_context(self):
        "The context's site keeps the indicators of that site only"
        pool = Pool()
        SiteDay = pool.get('case.kpi.site_day')
        before, _, now = self.setup_days()
        context = {'from_date': before, 'to_date': now}
        with Transaction().set_context(context, site=ref('site_zig')):
            self.assertEqual(len(SiteDay.search([])), 3)
        with Transaction().set_context(context, site=ref('site_kdg')):
            self.assertEqual(SiteDay.search([]), [])

    @with_transaction()
    def test_site_context_defaults_to_user_site(self):
        "The graphs of ratios open on the site of the user"
        pool = Pool()
        User = pool.get('res.user')
        SiteContext = pool.get('case.kpi.site.context')
        SiteDayContext = pool.get('case.kpi.context')
        manager, = User.create([{
                    'login': 'chef.test', 'name': "Chef de site",
                    'sites': [('add', [ref('site_zig')])],
                    }])
        self.assertTrue(SiteContext.site.required)
        self.assertFalse(SiteDayContext.site.required)
        with Transaction().set_user(manager.id):
            self.assertEqual(SiteContext.default_site(), ref('site_zig'))
        self.assertIsNone(SiteContext.default_site())
