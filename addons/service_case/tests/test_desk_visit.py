"""A visit served from the counter workspace with one call per step, as a
screen of the counter calls it: the next ticket, the case opened for the
citizen found by the NIN, its checklist ticked, submitted and paid, the
ticket finished. Each step returns what the screen shows next; an agent
of another site finds neither the citizen nor the ticket."""
import contextlib
import unittest

from trytond.exceptions import UserError
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction, check_access


def ref(xml_id, module='service_network'):
    return Pool().get('ir.model.data').get_id(module, xml_id)


@contextlib.contextmanager
def as_user(user):
    "Run as user, through the access checks as an RPC call does"
    with Transaction().set_user(user.id), check_access():
        yield


class DeskVisitTestCase(unittest.TestCase):
    "Test a visit served from the counter workspace"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])

    @classmethod
    def tearDownClass(cls):
        # the next test class activates its own modules
        drop_db()

    def setup_agent(self, login, site):
        pool = Pool()
        User = pool.get('res.user')
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        Counter = pool.get('network.counter')
        Desk = pool.get('case.desk')
        company = Pool().get('company.company').search([])
        company = company[0] if company else create_company()
        employee, = Employee.create([{
                    'party': Party.create([{'name': login}])[0].id,
                    'company': company.id}])
        user, = User.create([{
                    'name': login, 'login': login,
                    'groups': [('add', [ref('group_site_agent')])],
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'employees': [('add', [employee.id])],
                    'employee': employee.id,
                    'sites': [('add', [ref(site)])],
                    }])
        counter, = Counter.create([{
                    'site': ref(site), 'name': f"Guichet {login}",
                    'sector': ref('sector_justice')}])
        Desk.create([{'user': user.id, 'counter': counter.id}])
        return user

    @with_transaction()
    def test_visit_one_call_per_step(self):
        "A ticket served to the end, each step returning the next screen"
        pool = Pool()
        Desk = pool.get('case.desk')
        Ticket = pool.get('case.ticket')
        Party = pool.get('party.party')
        Case = pool.get('case.case')
        agent = self.setup_agent('agent.zig', 'site_zig')
        other = self.setup_agent('agent.ths', 'site_ths')
        Ticket.write(Ticket.search([('state', '=', 'waiting')]),
            {'state': 'absent'})
        with as_user(agent):
            ticket, = Ticket.create([{'sector': ref('sector_justice')}])
            # registered by the agent, so theirs to read
            citizen, = Party.create([{
                        'first_name': "Aminata", 'last_name': "Sagna",
                        'national_id': '2 751 1987 00412'}])

            screen = Desk.serve_next()
            self.assertEqual(screen['ticket'], ticket.id)
            self.assertIn(ticket.number, screen['message'])
            self.assertTrue(screen['procedure'])
            justice, = [q for q in screen['queue']
                if q['sector'] == ref('sector_justice')]
            self.assertEqual(justice['serving'], 1)

            found = Party.autocomplete(
                '2 751 1987 00412', [('partner_kind', '=', None)], 1000)
            self.assertEqual([r['id'] for r in found], [citizen.id])

            case = Desk.serve_open_case(citizen.id)
            self.assertEqual(case['state'], 'draft')
            self.assertEqual(case['citizen.']['rec_name'], citizen.rec_name)
            self.assertTrue(case['documents'])
            self.assertFalse(any(d['provided'] for d in case['documents']))

            case = Desk.serve_complete(
                [d['id'] for d in case['documents']], 'cash')
            self.assertEqual(case['state'], 'submitted')
            self.assertEqual(case['payment_method'], 'cash')
            self.assertTrue(case['paid_at'])
            self.assertTrue(all(d['provided'] for d in case['documents']))

            screen = Desk.serve_finish()
            self.assertIsNone(screen['ticket'])
            self.assertIn(ticket.number, screen['message'])
        self.assertEqual(
            (ticket.state, ticket.outcome, ticket.case.id, ticket.party),
            ('done', 'case', case['id'], citizen))
        self.assertEqual(Case(case['id']).site.id, ref('site_zig'))

        # another site's agent: the citizen is not theirs, nor the queue
        with as_user(other):
            self.assertEqual(Party.autocomplete(
                    '2 751 1987 00412', [('partner_kind', '=', None)],
                    1000), [])
            screen = Desk.serve_next()
            self.assertIsNone(screen['ticket'])
            with self.assertRaises(UserError):
                Desk.serve_complete([], 'cash')

    @with_transaction()
    def test_complete_ticks_only_the_case_documents(self):
        "Ids of another case's documents are not ticked"
        pool = Pool()
        Desk = pool.get('case.desk')
        Ticket = pool.get('case.ticket')
        Party = pool.get('party.party')
        Case = pool.get('case.case')
        agent = self.setup_agent('agent.dkr', 'site_dkr')
        Ticket.write(Ticket.search([('state', '=', 'waiting')]),
            {'state': 'absent'})
        with as_user(agent):
            Ticket.create([{'sector': ref('sector_justice')}] * 2)
            citizen, = Party.create([{'name': "Awa Diatta"}])
            Desk.serve_next()
            first = Desk.serve_open_case(citizen.id)
            Desk.serve_complete(
                [d['id'] for d in first['documents']], 'cash')
            Desk.serve_finish()
            Desk.serve_next()
            second = Desk.serve_open_case(citizen.id)
            # the first case's documents only: the second's are missing
            with self.assertRaises(UserError):
                Desk.serve_complete(
                    [d['id'] for d in first['documents']], None)
        self.assertFalse(any(
                d.provided for d in Case(second['id']).documents))
