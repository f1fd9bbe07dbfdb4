import contextlib
import datetime as dt
import http.server
import io
import json
import threading
import unittest
import warnings
from decimal import Decimal
from unittest import mock

from pypdf import PdfReader

from trytond import backend
from trytond.exceptions import UserError
from trytond.model import ModelSQL
from trytond.model.exceptions import SQLConstraintError, ValidationError
from trytond.modules.company.tests import (
    CompanyTestMixin,
    create_company,
    create_employee,
    set_company,
)
from trytond.modules.party.tests import (
    PartyCheckEraseMixin,
    PartyCheckReplaceMixin,
)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import DB_NAME, USER, with_transaction
from trytond.transaction import Transaction, check_access

from service_case.receipt import amount_in_words, format_xof
from service_network.tests.tools import on_day

FRIDAY = dt.date(2026, 2, 6)
MONDAY = dt.date(2026, 2, 9)
WEDNESDAY = dt.date(2026, 2, 11)


def ref(xml_id, module='service_network'):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    return ModelData.get_id(module, xml_id)


class Gateway:
    "A real local HTTP server answering the statuses it is given in turn"

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers['Content-Length'])
                gateway.requests.append((
                        dict(self.headers),
                        json.loads(self.rfile.read(length))))
                status = (gateway.statuses.pop(0)
                    if gateway.statuses else 200)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b'{}')

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%s/sms' % self.server.server_port

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def deliver(case):
    pool = Pool()
    Case = pool.get('case.case')
    if case.state == 'draft':
        Case.submit([case])
    case.payment_method = 'cash'
    case.save()
    Case.collect([case])
    Case.transmit([case])
    Case.make_ready([case])
    collect_in_person(case)
    Case.deliver([case])


def collect_in_person(case):
    "The citizen shows the national ID card at the counter"
    case.recipient_kind = 'citizen'
    case.recipient_id_type = 'cni'
    case.recipient_id_number = '1 751 1990 01234'
    case.save()


def pdf_pages(content):
    "The text of each page of a PDF, its lines and spaces joined"
    reader = PdfReader(io.BytesIO(content))
    return [' '.join(page.extract_text().split()) for page in reader.pages]


def create_case(
        procedure='procedure_criminal_record', provided=True,
        site=None):
    pool = Pool()
    Party = pool.get('party.party')
    Case = pool.get('case.case')
    citizen, = Party.create([{'name': "Awa Diatta"}])
    case, = Case.create([{
                'site': site or ref('site_zig'),
                'citizen': citizen.id,
                'procedure': ref(procedure),
                'phone': '77 123 45 67',
                }])
    if provided:
        for document in case.documents:
            document.provided = True
        case.documents = case.documents
        case.save()
    return case


@contextlib.contextmanager
def counted_writes(Model):
    """Yield the list of the sorted field names of each write on Model
    that reaches ModelSQL.write, a write of no record as []"""
    writes = []
    write = ModelSQL.write.__func__

    def counted(cls, records, values, *args):
        if cls.__name__ == Model.__name__:
            writes.append(sorted(values) if records else [])
        return write(cls, records, values, *args)
    with mock.patch.object(ModelSQL, 'write', classmethod(counted)):
        yield writes


def transitions(record):
    "The transitions logged of record in this transaction"
    return [log.target for log in Transaction().log_records
        if log.resource == record and log.event == 'transition']


def wrong_values(name, field, wrong_targets):
    "Values of a case's column that break what Tryton checks of field"
    if field._type == 'many2one':
        if name in wrong_targets:
            yield wrong_targets[name]
        return
    if field.required and field._type in {'char', 'selection'}:
        yield ''
    if field._type == 'selection':
        yield 'not-a-key'
    if field._type in {'char', 'text'}:
        for char in getattr(field, 'forbidden_chars', ''):
            yield f'A{char}B'
    if getattr(field, 'size', None) is not None:
        yield 'x' * (field.size + 1)


class ServiceCaseTestCase(
        PartyCheckEraseMixin, PartyCheckReplaceMixin, CompanyTestMixin,
        test_tryton.ModuleTestCase):
    "Test Service Case module"
    module = 'service_case'

    @with_transaction()
    def test_case_number(self):
        "Cases are numbered per site and year when opened, never reused"
        pool = Pool()
        Case = pool.get('case.case')
        with on_day(FRIDAY):
            first, second = create_case(), create_case()
        site, year, number = first.number.split('-')
        self.assertEqual((site, year, len(number)), ('ZIG', '2026', 6))
        self.assertEqual(
            second.number, f'ZIG-2026-{int(number) + 1:06d}')
        self.assertEqual(first.phone, '+221 77 123 45 67')
        Case.delete([Case(second.id)])
        with on_day(FRIDAY):
            third = create_case()
        self.assertEqual(third.number, f'ZIG-2026-{int(number) + 2:06d}')
        copy, = Case.copy([first])
        self.assertNotEqual(copy.number, first.number)
        with self.assertRaises(SQLConstraintError):
            Case.write([third], {'number': first.number})

    @with_transaction()
    def test_case_number_batch(self):
        "A batch of cases at several sites gets consecutive numbers per site"
        pool = Pool()
        Case = pool.get('case.case')
        Party = pool.get('party.party')
        citizen, = Party.create([{'name': "Moussa Badji"}])
        sites = [ref('site_zig'), ref('site_dkr'), ref('site_zig')]
        with on_day(FRIDAY):
            cases = Case.create([{
                        'site': s, 'citizen': citizen.id,
                        'procedure': ref('procedure_criminal_record'),
                        } for s in sites])
        zig1, dkr, zig2 = [c.number for c in cases]
        self.assertTrue(dkr.startswith('DKR-2026-'))
        self.assertEqual(int(zig2[-6:]), int(zig1[-6:]) + 1)

    @with_transaction()
    def test_case_due_date_at_opening(self):
        "The due date is set when the case is opened and again when submitted"
        pool = Pool()
        Case = pool.get('case.case')
        with on_day(FRIDAY):
            case = create_case()
        self.assertEqual(case.due_date, MONDAY)
        self.assertIsNone(case.sla_status)
        with on_day(MONDAY):
            Case.submit([case])
        self.assertEqual(case.due_date, dt.date(2026, 2, 10))

    @with_transaction()
    def test_case_opening_follows_site_and_procedure_changes(self):
        "The site's code and the procedure's delay kept between cases follow"
        pool = Pool()
        Site = pool.get('network.site')
        Procedure = pool.get('network.procedure')
        with on_day(FRIDAY):
            first = create_case()
        self.assertTrue(first.number.startswith('ZIG-2026-'))
        self.assertEqual(first.due_date, MONDAY)
        Site.write([Site(ref('site_zig'))], {'code': 'ZGC'})
        Procedure.write([Procedure(ref('procedure_criminal_record'))],
            {'legal_delay': 3})
        with on_day(FRIDAY):
            second = create_case()
        self.assertTrue(second.number.startswith('ZGC-2026-'), second.number)
        self.assertEqual(second.due_date, WEDNESDAY)

    @with_transaction()
    def test_case_assignee(self):
        "A case is assigned to the agent who opens it; managers reassign"
        pool = Pool()
        Case = pool.get('case.case')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            fatou = create_employee(company, "Fatou Sané")
            ibou = create_employee(company, "Ibrahima Fall")
            agent, manager = User.create([{
                        'name': "Agent", 'login': 'agent',
                        'groups': [('add', [ref('group_site_agent')])],
                        'sites': [('add', [ref('site_zig')])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [fatou.id])],
                        'employee': fatou.id,
                        }, {
                        'name': "Manager", 'login': 'manager',
                        'groups': [('add', [ref('group_site_manager')])],
                        'sites': [('add', [ref('site_zig')])],
                        }])
            with Transaction().set_user(agent.id), \
                    Transaction().set_context(
                        company=company.id, employee=fatou.id):
                case = create_case()
                self.assertEqual(case.assignee, fatou)
                mine = Case.search([
                        ('assignee', '=', fatou.id),
                        ('state', 'not in', ['delivered', 'cancelled']),
                        ], order=[('due_date', 'ASC')])
                self.assertEqual(mine, [case])
                with check_access(), self.assertRaises(UserError):
                    Case.write([case], {'assignee': ibou.id})
            with Transaction().set_user(manager.id), check_access():
                Case.write([Case(case.id)], {'assignee': ibou.id})
        self.assertEqual(Case(case.id).assignee, ibou)

    @with_transaction()
    def test_case_documents_copied_and_required(self):
        "A case lacking a mandatory document cannot be submitted"
        pool = Pool()
        Case = pool.get('case.case')
        case = create_case(provided=False)
        self.assertEqual(
            [(d.name, d.mandatory) for d in case.documents],
            [("Pièce d'identité (CNI ou passeport)", True),
                ("Extrait de naissance", False)])
        with self.assertRaises(UserError) as cm:
            Case.submit([case])
        self.assertIn("Pièce d'identité (CNI ou passeport)",
            cm.exception.message)
        self.assertNotIn("Extrait de naissance", cm.exception.message)
        self.assertEqual(case.state, 'draft')

    @with_transaction()
    def test_case_checklist_copied_in_batch(self):
        """The checklists of cases opened together are copied in one go,
        stamped as the ORM stamps them; a case given its documents keeps
        them"""
        pool = Pool()
        Party = pool.get('party.party')
        Case = pool.get('case.case')
        citizen, = Party.create([{'name': "Awa Diatta"}])
        values = {
            'site': ref('site_zig'), 'citizen': citizen.id,
            'procedure': ref('procedure_criminal_record'),
            }
        first, given, second = Case.create([values, {
                    **values,
                    'documents': [('create', [{'name': "Lettre"}])],
                    }, values])
        expected = [("Pièce d'identité (CNI ou passeport)", True, False),
            ("Extrait de naissance", False, False)]
        for case in [first, second]:
            self.assertEqual(
                [(d.name, d.mandatory, d.provided) for d in case.documents],
                expected)
            self.assertTrue(all(
                    d.create_uid.id == USER and d.create_date
                    for d in case.documents))
        self.assertEqual(
            [(d.name, d.mandatory) for d in Case(given.id).documents],
            [("Lettre", True)])

    @with_transaction()
    def test_case_submit_fees_due_date_history(self):
        "Submission copies the fees, sets the due date and the history"
        pool = Pool()
        Case = pool.get('case.case')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            employee = create_employee(company, "Fatou Sané")
            User.write([User(Transaction().user)], {
                    'employees': [('add', [employee.id])],
                    'employee': employee.id,
                    })
            case = create_case()
            with on_day(FRIDAY), counted_writes(Case) as writes:
                Case.submit([case])
        # one write with the state, logged as the transition it is
        self.assertEqual(writes, [['due_date', 'state', 'submission_date']])
        self.assertEqual(transitions(case), ['state:submitted'])
        self.assertEqual(case.total_fee, Decimal(400))
        self.assertEqual([f.label for f in case.fees],
            ["Timbre fiscal", "Frais de délivrance"])
        self.assertEqual(case.submission_date, FRIDAY)
        self.assertEqual(case.due_date, MONDAY)
        step, = case.history
        self.assertEqual((step.from_state, step.to_state),
            ('draft', 'submitted'))
        self.assertEqual(step.employee, employee)

    @with_transaction()
    def test_case_due_date_holiday(self):
        "The due date skips the weekend and public holidays"
        pool = Pool()
        Case = pool.get('case.case')
        Holiday = pool.get('network.holiday')
        Holiday.create([{'date': MONDAY, 'name': "Jour férié local"}])
        case = create_case()
        with on_day(FRIDAY):
            Case.submit([case])
        self.assertEqual(case.due_date, dt.date(2026, 2, 10))

    @with_transaction()
    def test_case_pause_resume(self):
        "Waiting for the citizen pushes the due date by the days waited"
        pool = Pool()
        Case = pool.get('case.case')
        Procedure = pool.get('network.procedure')
        Procedure.write([Procedure(ref('procedure_criminal_record'))], {
                'legal_delay': 5,
                })
        case = create_case()
        with on_day(FRIDAY):
            Case.submit([case])
        self.assertEqual(case.due_date, dt.date(2026, 2, 13))
        with on_day(MONDAY):
            case.reason = "Extrait de naissance illisible"
            case.save()
            Case.wait_citizen([case])
        self.assertEqual(case.state, 'waiting_citizen')
        self.assertEqual(case.paused_on, MONDAY)
        with on_day(WEDNESDAY):
            Case.resume([case])
        self.assertEqual(case.state, 'submitted')
        self.assertEqual(case.due_date, dt.date(2026, 2, 17))
        self.assertEqual(
            [(h.from_state, h.to_state) for h in reversed(case.history)],
            [('draft', 'submitted'), ('submitted', 'waiting_citizen'),
                ('waiting_citizen', 'submitted')])
        with self.assertRaises(UserError):
            Case.resume([case])

    @with_transaction()
    def test_case_sla_status(self):
        "The status follows the share of the legal delay left"
        pool = Pool()
        Case = pool.get('case.case')
        Procedure = pool.get('network.procedure')
        Procedure.write([Procedure(ref('procedure_criminal_record'))], {
                'legal_delay': 5,
                })
        case = create_case()
        with on_day(FRIDAY):
            Case.submit([case])
            self.assertEqual(case.sla_status, 'on_time')
        with on_day(dt.date(2026, 2, 13)):
            self.assertEqual(Case(case.id).sla_status, 'at_risk')
        User = pool.get('res.user')
        zig, dkr = User.create([{
                    'name': "Manager ZIG", 'login': 'manager.zig',
                    'groups': [('add', [ref('group_site_manager')])],
                    'sites': [('add', [ref('site_zig')])],
                    }, {
                    'name': "Manager DKR", 'login': 'manager.dkr',
                    'groups': [('add', [ref('group_site_manager')])],
                    'sites': [('add', [ref('site_dkr')])],
                    }])
        with on_day(dt.date(2026, 2, 16)):
            self.assertEqual(Case(case.id).sla_status, 'late')
            flagged = Case.flag_late()
        self.assertEqual(flagged, [case])
        self.assertTrue(case.late_flagged)
        # the manager of the site gets a notification that opens the case
        notifications = Transaction().user_notifications
        self.assertEqual([n.user.id for n in notifications], [zig.id])
        notification, = notifications
        self.assertIn("1 late case(s) at", notification.label)
        self.assertEqual(notification.description, case.number)
        self.assertEqual(
            (notification.model, notification.records),
            ('case.case', f'[{case.id}]'))
        self.assertEqual(Case.flag_late(), [])
        self.assertEqual(len(Transaction().user_notifications), 1)

    @with_transaction()
    def test_case_search_sla_status(self):
        "The home pages search the late and at-risk cases"
        pool = Pool()
        Case = pool.get('case.case')
        Procedure = pool.get('network.procedure')
        Procedure.write([Procedure(ref('procedure_criminal_record'))], {
                'legal_delay': 5,
                })
        case = create_case()
        draft = create_case()
        with on_day(FRIDAY):
            Case.submit([case])

        def search(*clause):
            return Case.search([('sla_status', *clause)])

        with on_day(FRIDAY):
            self.assertEqual(search('=', 'on_time'), [case])
            self.assertEqual(search('in', ['late', 'at_risk']), [])
        with on_day(dt.date(2026, 2, 13)):
            self.assertEqual(search('in', ['late', 'at_risk']), [case])
            self.assertEqual(search('=', 'at_risk'), [case])
            self.assertEqual(search('=', 'on_time'), [])
            self.assertEqual(search('=', None), [draft])
            self.assertEqual(search('!=', 'at_risk'), [draft])
        with on_day(dt.date(2026, 2, 16)):
            self.assertEqual(search('=', 'late'), [case])
            self.assertEqual(search('not in', ['late', None]), [])

    @with_transaction()
    def test_case_delay_status_search_and_order(self):
        """The lists show the legal delay, the working days left and the
        delay status, search them in SQL as they are computed and sort the
        most urgent first"""
        pool = Pool()
        Case = pool.get('case.case')
        tuesday = dt.date(2026, 2, 17)

        def make(key, state, due, procedure='procedure_criminal_record',
                paused_on=None):
            case = create_case(procedure=procedure)
            Case.write([case], {
                    'state': state, 'due_date': due, 'paused_on': paused_on,
                    'submission_date': FRIDAY})
            return key, case

        cases = dict([
                make('late', 'submitted', dt.date(2026, 2, 13)),
                make('tomorrow', 'transmitted', dt.date(2026, 2, 18)),
                make('today', 'at_partner', tuesday),
                # the clock stopped on Monday 9, four working days before
                # its due date: on time even once the due date is past
                make('paused', 'waiting_citizen', dt.date(2026, 2, 13),
                    paused_on=MONDAY),
                make('paused_due_day', 'waiting_citizen',
                    dt.date(2026, 2, 13), paused_on=dt.date(2026, 2, 13)),
                make('paused_late', 'waiting_citizen', dt.date(2026, 2, 13),
                    paused_on=dt.date(2026, 2, 16)),
                # 28 working days: at risk under 6 working days left
                make('permit_5', 'submitted', dt.date(2026, 2, 24),
                    procedure='procedure_building_permit_simple'),
                make('permit_6', 'submitted', dt.date(2026, 2, 25),
                    procedure='procedure_building_permit_simple'),
                make('ready_late', 'ready', dt.date(2026, 2, 16)),
                make('delivered', 'delivered', dt.date(2026, 2, 13)),
                ('draft', create_case()),
                ])
        expected = {
            'late': ('late', -2, '#d9534f'),
            'tomorrow': ('on_time', 1, '#5cb85c'),
            'today': ('at_risk', 0, '#f0ad4e'),
            'paused': ('on_time', 4, '#5cb85c'),
            'paused_due_day': ('at_risk', 0, '#f0ad4e'),
            'paused_late': ('late', -1, '#d9534f'),
            'permit_5': ('at_risk', 5, '#f0ad4e'),
            'permit_6': ('on_time', 6, '#5cb85c'),
            'ready_late': ('late', -1, '#d9534f'),
            'delivered': (None, None, None),
            'draft': (None, None, None),
            }
        ids = [c.id for c in cases.values()]
        with on_day(tuesday):
            read = {key: Case(case.id) for key, case in cases.items()}
            self.assertEqual(
                {k: (c.sla_status, c.days_left, c.sla_color)
                    for k, c in read.items()},
                expected)
            self.assertEqual(read['permit_5'].legal_delay, 28)
            self.assertEqual(read['late'].legal_delay, 1)
            # read together, as a list reads them: each case its own
            # status, a paused one counted from its pause
            rows = {row['id']: (row['sla_status'], row['days_left'])
                for row in Case.read(ids, ['sla_status', 'days_left'])}
            self.assertEqual(
                {k: rows[c.id] for k, c in cases.items()},
                {k: v[:2] for k, v in expected.items()})

            def keys(domain, order=None):
                found = Case.search(
                    [('id', 'in', ids)] + domain, order=order)
                return [k for c in found for k, v in cases.items()
                    if v == c]

            for status in ['late', 'at_risk', 'on_time', None]:
                wanted = {k for k, v in expected.items() if v[0] == status}
                self.assertEqual(
                    set(keys([('sla_status', '=', status)])), wanted, status)
                self.assertEqual(
                    set(keys([('sla_status', '!=', status)])),
                    set(expected) - wanted, status)
            self.assertEqual(
                set(keys([('sla_status', 'in', ['late', 'at_risk'])])),
                {k for k, v in expected.items()
                    if v[0] in {'late', 'at_risk'}})

            # the most urgent first, then by due date
            self.assertEqual(
                keys([], order=[('sla_status', 'ASC'), ('id', 'ASC')]), [
                    'late', 'paused_late', 'ready_late',
                    'paused_due_day', 'today', 'permit_5',
                    'paused', 'tomorrow', 'permit_6',
                    'delivered', 'draft'])
            self.assertEqual(
                set(keys([], order=[('sla_status', 'DESC')])[-3:]),
                {'late', 'paused_late', 'ready_late'})

    @with_transaction()
    def test_home_pages_panels(self):
        "The site staff's home boards list the cases panels"
        pool = Pool()
        View = pool.get('ir.ui.view')
        manager = View(ref('home_site_manager_view_board')).view_get()
        self.assertIn('service_case.act_home_case_late', manager['arch'])
        self.assertEqual(manager['type'], 'board')
        agent = View(ref('home_site_agent_view_board')).view_get()
        self.assertIn('service_case.act_home_case_mine_late', agent['arch'])
        self.assertIn('service_case.act_home_case_ready', agent['arch'])

    @with_transaction()
    def test_case_workflow_refusals(self):
        "Submitting twice, delivering early, rejecting without reason"
        pool = Pool()
        Case = pool.get('case.case')
        case = create_case()
        Case.submit([case])
        with self.assertRaises(UserError):
            Case.submit([case])
        with self.assertRaises(UserError):
            Case.deliver([case])
        with self.assertRaises(UserError):
            Case.transmit([case])  # fees not collected
        with self.assertRaises(UserError):
            Case.reject([case])  # no reason
        case.payment_method = 'mobile_money'
        with self.assertRaises(ValidationError):
            case.save()  # no reference
        with self.assertRaises(UserError):
            Case.collect([case])  # no reference
        case.payment_reference = 'WAVE-123'
        case.save()
        Case.collect([case])
        Case.transmit([case])
        self.assertEqual(case.state, 'transmitted')

    @with_transaction()
    def test_case_transmitted_at(self):
        """The first transmission is stored on the case; cases transmitted
        before the field existed get it from their history"""
        pool = Pool()
        Case = pool.get('case.case')
        History = pool.get('case.history')
        case, other = create_case(), create_case()
        Case.submit([case, other])
        case.payment_method = other.payment_method = 'cash'
        Case.save([case, other])
        Case.collect([case, other])
        self.assertIsNone(case.transmitted_at)
        Case.transmit([case])
        transmitted_at = case.transmitted_at
        self.assertTrue(transmitted_at)
        step, = [h for h in case.history if h.to_state == 'transmitted']
        self.assertLess(
            abs(step.date - transmitted_at), dt.timedelta(seconds=5))
        self.assertIsNone(Case.copy([case])[0].transmitted_at)

        # As a database of before the field: the history tells
        first = dt.datetime(2026, 2, 2, 9)
        History.create([{
                    'case': case.id, 'from_state': 'waiting_citizen',
                    'to_state': 'transmitted', 'date': first,
                    }])
        Case.write([case], {'transmitted_at': None})
        Case._fill_transmitted_at()
        # read, not the records' cache: the fill is SQL
        self.assertEqual(
            {r['id']: r['transmitted_at'] for r in Case.read(
                    [case.id, other.id], ['transmitted_at'])},
            {case.id: first, other.id: None})

    @with_transaction()
    def test_case_rating(self):
        "Only a delivered case is rated, from 1 to 5"
        pool = Pool()
        Case = pool.get('case.case')
        case, other = create_case(), create_case()
        Case.submit([case, other])
        case.payment_method = 'cash'
        case.save()
        Case.collect([case])
        Case.transmit([case])
        Case.receive_at_partner([case])
        Case.make_ready([case])
        collect_in_person(case)
        Case.deliver([case])
        for rating in [0, 6]:
            with self.assertRaises(ValidationError) as cm:
                Case.write([case], {'rating': rating})
            self.assertIn(str(rating), cm.exception.message)
        Case.write([case], {'rating': 5})
        self.assertEqual(case.rating, 5)
        with self.assertRaises(ValidationError):
            Case.write([other], {'rating': 4})  # not delivered

    @with_transaction()
    def test_case_created_checked_as_a_set(self):
        """New cases are checked in SQL for what Tryton checks record by
        record; a wrong value of each such field is found, and Tryton's
        own validation then names it"""
        pool = Pool()
        Case = pool.get('case.case')
        Party = pool.get('party.party')
        Site = pool.get('network.site')
        checked = Case._set_checked
        self.assertLessEqual({'site', 'citizen', 'procedure', 'channel',
                'state', 'number', 'phone', 'reason'}, set(checked))
        # times are checked by Tryton once filled, the required states
        # once per distinct inputs
        self.assertFalse({'paid_at', 'documents', 'total_fee'}
            & set(checked))
        self.assertIn('paid_at', Case._set_checked_if_empty)
        self.assertEqual(Case._set_required_if['payment_reference'][1],
            ['payment_method'])
        self.assertEqual(Case._set_required_if['recipient_name'][1],
            ['recipient_kind', 'state'])

        citizen, = Party.create([{'name': "Fatou Ndiaye"}])
        partner, = Party.create([{'name': "Ministère", 'partner_kind':
                    'ministry'}])
        # a site of the database: on PostgreSQL numbers are taken apart
        closed = Site(ref('site_dkr'))
        Site.write([closed], {'state': 'closed'})
        cases = Case.create([{
                    'site': ref('site_zig'), 'citizen': citizen.id,
                    'procedure': ref('procedure_criminal_record'),
                    } for _ in range(3)])
        self.assertLessEqual(set(checked) | {'paid_at', 'rated_at'},
            Case._set_check(cases))

        table = Case.__table__()
        cursor = Transaction().connection.cursor()
        target = cases[1]

        def read_afresh():
            for cache in Transaction().cache.values():
                cache.clear()
            return Case.browse([c.id for c in cases])

        tried = set()
        for name, field in checked.items():
            column = getattr(table, name)
            cursor.execute(*table.select(column,
                    where=table.id == target.id))
            original, = cursor.fetchone()
            for value in wrong_values(
                    name, field, {'site': closed.id, 'citizen': partner.id}):
                tried.add(name)
                cursor.execute(*table.update([column], [value],
                        where=table.id == target.id))
                records = read_afresh()
                self.assertIsNone(Case._set_check(records),
                    msg=(name, value))
                with self.assertRaises(ValidationError, msg=(name, value)):
                    Case._validate(records)
            cursor.execute(*table.update([column], [original],
                    where=table.id == target.id))
        self.assertLessEqual({'site', 'citizen', 'channel', 'state',
                'number', 'phone', 'payment_method'}, tried)
        Case._validate(read_afresh())

        # required by their state: a mobile-money payment without its
        # reference, a proxy without a name
        for values in [
                {'payment_method': 'mobile_money'},
                {'state': 'ready', 'recipient_kind': 'proxy'}]:
            cursor.execute(*table.update(
                    [getattr(table, n) for n in values],
                    list(values.values()), where=table.id == target.id))
            self.assertIsNone(Case._set_check(read_afresh()), msg=values)
            with self.assertRaises(ValidationError, msg=values):
                Case._validate(read_afresh())
            cursor.execute(*table.update(
                    [getattr(table, n) for n in values],
                    [None if n != 'state' else 'draft' for n in values],
                    where=table.id == target.id))
        # with them, nothing is wrong
        cursor.execute(*table.update(
                [table.payment_method, table.payment_reference,
                    table.state, table.recipient_kind, table.recipient_name],
                ['mobile_money', 'MM-1', 'ready', 'proxy', "Ousmane Sy"],
                where=table.id == target.id))
        self.assertIsNotNone(Case._set_check(read_afresh()))
        Case._validate(read_afresh())

        # a filled time is checked by Tryton
        cursor.execute(*table.update([table.paid_at],
                [dt.datetime(2026, 2, 6, 10, 0, 0)],
                where=table.id == target.id))
        validated = Case._set_check(read_afresh())
        self.assertNotIn('paid_at', validated)
        self.assertIn('rated_at', validated)

        # the user reads Tryton's message naming the field
        with self.assertRaises(ValidationError) as refusal:
            Case.create([{'site': closed.id, 'citizen': citizen.id,
                        'procedure': ref('procedure_criminal_record')}])
        self.assertIn('"Site"', refusal.exception.message)

    @with_transaction()
    def test_case_assignee_without_employee_in_context(self):
        """A user without employee in the context opens cases assigned to
        the user's employee, read once and read again when the user
        changes"""
        pool = Pool()
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            fatou = create_employee(company, "Fatou Sané")
            admin, = User.create([{
                        'name': "Réseau", 'login': 'reseau',
                        'groups': [('add', [ref('group_network_admin')])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        }])
            with Transaction().set_user(admin.id):
                self.assertIsNone(create_case().assignee)
                self.assertIsNone(create_case().assignee)
            User.write([admin], {
                    'employees': [('add', [fatou.id])],
                    'employee': fatou.id,
                    })
            with Transaction().set_user(admin.id):
                self.assertEqual(create_case().assignee, fatou)
            User.write([admin], {'employee': None})
            with Transaction().set_user(admin.id):
                self.assertIsNone(create_case().assignee)

    @with_transaction()
    def test_case_alone_checked_in_one_query(self):
        """A case opened alone is checked as a set too: its site open
        (following a site's closing and reopening), its citizen not a
        partner, inactive or not; a wrong one is named by Tryton's
        message"""
        pool = Pool()
        Case = pool.get('case.case')
        Party = pool.get('party.party')
        Site = pool.get('network.site')
        self.assertEqual(Case._set_validation_size, 1)
        zig = Site(ref('site_zig'))
        citizen, partner = Party.create([
                {'name': "Khady Sarr"},
                {'name': "Ministère", 'partner_kind': 'ministry'}])
        values = {'site': zig.id, 'citizen': citizen.id,
            'procedure': ref('procedure_criminal_record')}
        Case.create([values])
        Site.write([zig], {'state': 'closed'})
        with self.assertRaises(ValidationError) as refusal:
            Case.create([values])
        self.assertIn('"Site"', refusal.exception.message)
        Site.write([zig], {'state': 'open'})
        Case.create([values])
        with self.assertRaises(ValidationError) as refusal:
            Case.create([{**values, 'citizen': partner.id}])
        self.assertIn('"Citizen"', refusal.exception.message)
        Party.write([citizen], {'active': False})
        Case.create([values])

    @with_transaction()
    def test_case_phone_invalid(self):
        "The citizen's phone must be a Senegal number"
        pool = Pool()
        Case = pool.get('case.case')
        case = create_case()
        with self.assertRaises(ValidationError):
            Case.write([case], {'phone': '+33 1 23 45 67 89'})

    @with_transaction()
    def test_receipt(self):
        "The receipt is a PDF with the case, its fees and the total in words"
        pool = Pool()
        Case = pool.get('case.case')
        Receipt = pool.get('case.receipt', type='report')
        self.assertEqual(amount_in_words(Decimal(1200)),
            "mille deux cents francs CFA")
        self.assertEqual(amount_in_words(400), "quatre cents francs CFA")
        self.assertEqual(format_xof(Decimal(1250000)), "1\u00a0250\u00a0000")
        case = create_case()
        Case.submit([case])
        case.payment_method = 'mobile_money'
        case.payment_reference = 'WAVE-2026-0001'
        case.save()
        Case.collect([case])

        extension, content, _, name = Receipt.execute([case.id], {})

        self.assertEqual(extension, 'pdf')
        self.assertTrue(content.startswith(b'%PDF'))
        pages = pdf_pages(content)
        self.assertEqual(len(pages), 1)
        text, = pages
        for expected in [
                case.number, "Awa Diatta", "quatre cents francs CFA",
                "Timbre fiscal", "Frais de délivrance",
                case.procedure.partner.rec_name, "WAVE-2026-0001",
                "Mobile Money", case.documents[0].name]:
            self.assertIn(expected, text)
        self.assertNotIn("Not paid yet", text)
        # dates the French way whatever the user's language, times to the
        # minute in Dakar (UTC all year)
        self.assertIn(
            "Expected Delivery " + case.due_date.strftime('%d/%m/%Y'), text)
        self.assertIn(
            "Paid on " + case.paid_at.strftime('%d/%m/%Y %H:%M'), text)
        self.assertIn(
            "Opened on " + case.create_date.strftime('%d/%m/%Y %H:%M'), text)

    @with_transaction()
    def test_receipt_unpaid(self):
        "A receipt printed before payment says so, one page per case"
        pool = Pool()
        Case = pool.get('case.case')
        Receipt = pool.get('case.receipt', type='report')
        cases = [create_case(), create_case()]
        Case.submit(cases)

        _, content, _, _ = Receipt.execute([c.id for c in cases], {})

        pages = pdf_pages(content)
        self.assertEqual(len(pages), 2)
        for case, text in zip(cases, pages, strict=True):
            self.assertIn(case.number, text)
            self.assertIn("Not paid yet", text)

    @with_transaction()
    def test_agent_sees_own_site(self):
        "An agent only sees the cases of the sites where they work"
        pool = Pool()
        Case = pool.get('case.case')
        User = pool.get('res.user')
        Site = pool.get('network.site')
        other_site, = Site.search([('code', '!=', 'ZIG')], limit=1)
        ours = create_case()
        create_case(site=other_site.id)
        agent, = User.create([{
                    'name': "Agent", 'login': 'agent',
                    'groups': [('add', [ref('group_site_agent')])],
                    'sites': [('add', [ref('site_zig')])],
                    }])
        with Transaction().set_user(agent.id), check_access():
            self.assertEqual(Case.search([]), [ours])

    @with_transaction()
    def test_agent_calls_only_at_own_site(self):
        """An agent calling a ticket at another site's counter is refused,
        the counter and the site named, and the ticket stays in its queue;
        at their own site the call is made"""
        pool = Pool()
        Ticket = pool.get('case.ticket')
        Counter = pool.get('network.counter')
        User = pool.get('res.user')
        Site = pool.get('network.site')
        other_site, = Site.search([('code', '!=', 'ZIG')], limit=1)
        justice = ref('sector_justice')
        ours, theirs = Counter.create([
                {'site': ref('site_zig'), 'name': "Guichet 8",
                    'sector': justice},
                {'site': other_site.id, 'name': "Guichet 8",
                    'sector': justice},
                ])
        Ticket.write(Ticket.search([('state', '=', 'waiting')]),
            {'date': dt.date(2000, 1, 1)})
        waiting, = Ticket.create([{'site': other_site.id, 'sector': justice}])
        agent, = User.create([{
                    'name': "Agent", 'login': 'agent',
                    'groups': [('add', [ref('group_site_agent')])],
                    'sites': [('add', [ref('site_zig')])],
                    }])
        with Transaction().set_user(agent.id):
            with self.assertRaises(UserError) as refusal:
                Ticket.call([waiting], theirs)
            self.assertIn(theirs.rec_name, refusal.exception.message)
            self.assertIn(other_site.rec_name, refusal.exception.message)
            self.assertEqual((waiting.state, waiting.counter),
                ('waiting', None))
            mine, = Ticket.create([{
                        'site': ref('site_zig'), 'sector': justice}])
            Ticket.call([mine], ours)
        self.assertEqual((mine.state, mine.counter), ('called', ours))

    @with_transaction()
    def test_ticket_queue(self):
        "Tickets are numbered per sector and called oldest first"
        pool = Pool()
        Ticket = pool.get('case.ticket')
        Counter = pool.get('network.counter')
        site, justice = ref('site_zig'), ref('sector_justice')
        counter, = Counter.create([{
                    'site': site, 'name': "Guichet 2", 'sector': justice,
                    }])
        now = dt.datetime.now()
        first, second, other = Ticket.create([
                {'site': site, 'sector': justice,
                    'arrived_at': now - dt.timedelta(minutes=20)},
                {'site': site, 'sector': justice,
                    'arrived_at': now - dt.timedelta(minutes=5)},
                {'site': site, 'sector': ref('sector_civil_status')},
                ])
        # On PostgreSQL the day's counters of earlier tests were committed
        self.assertTrue(first.number.startswith('J-'))
        self.assertEqual(
            second.number, f'J-{int(first.number[2:]) + 1:03d}')
        self.assertTrue(other.number.startswith('C-'))
        # each move is one write, with its state, logged as a transition
        with counted_writes(Ticket) as writes:
            self.assertEqual(Ticket.call_next(counter), first)
        self.assertEqual(writes, [['agent', 'called_at', 'counter', 'state']])
        self.assertEqual(transitions(first), ['state:called'])
        self.assertEqual(first.state, 'called')
        self.assertEqual(first.counter, counter)
        self.assertGreaterEqual(first.waiting_time, 19)
        with self.assertRaises(UserError):
            Ticket.done([first])
        first.outcome = 'information'
        first.save()
        with counted_writes(Ticket) as writes:
            Ticket.done([first])
        self.assertEqual(writes, [['done_at', 'state']])
        self.assertEqual(transitions(first), ['state:called', 'state:done'])
        self.assertEqual(first.state, 'done')
        self.assertEqual(first.service_time, 0)
        # read together, as the list of tickets reads them: each its own
        # times, none before it is called or finished
        Ticket.write([first], {
                'called_at': first.arrived_at + dt.timedelta(minutes=7),
                'done_at': first.arrived_at + dt.timedelta(minutes=19)})
        self.assertEqual(
            {row['id']: (row['waiting_time'], row['service_time'])
                for row in Ticket.read([first.id, second.id, other.id],
                    ['waiting_time', 'service_time'])},
            {first.id: (7, 12), second.id: (None, None),
                other.id: (None, None)})
        Counter.call_next([counter])
        self.assertEqual(second.state, 'called')
        self.assertIsNone(Ticket.call_next(counter))
        with self.assertRaises(SQLConstraintError):
            Ticket.write([second], {'number': first.number})

    @with_transaction()
    def test_desk_serves_the_queue(self):
        """The desk calls the oldest ticket of its counter's sector, keeps
        a transferred ticket's number and arrival, and says when the queue
        is empty"""
        pool = Pool()
        Desk = pool.get('case.desk')
        Ticket = pool.get('case.ticket')
        Counter = pool.get('network.counter')
        site, justice = ref('site_zig'), ref('sector_justice')
        civil = ref('sector_civil_status')
        counter, = Counter.create([{
                    'site': site, 'name': "Guichet 9", 'sector': justice,
                    }])
        Ticket.write(Ticket.search([('state', '=', 'waiting')]),
            {'date': dt.date(2000, 1, 1)})
        now = dt.datetime.now()
        first, second = Ticket.create([
                {'site': site, 'sector': justice,
                    'arrived_at': now - dt.timedelta(minutes=30)},
                {'site': site, 'sector': justice,
                    'arrived_at': now - dt.timedelta(minutes=10)},
                ])
        desk = Desk.mine()
        self.assertEqual(Desk.mine(), desk)
        desk.counter = counter
        desk.save()
        Desk.call_next([desk])
        self.assertEqual(desk.ticket, first)
        self.assertIn(first.number, desk.message)
        Desk.recall([desk])
        self.assertEqual(first.recalls, 1)
        desk.transfer_sector = civil
        desk.save()
        Desk.transfer([desk])
        self.assertEqual(
            (first.state, first.sector.id, first.counter),
            ('waiting', civil, None))
        self.assertIsNone(desk.ticket)
        Desk.call_next([desk])
        self.assertEqual(desk.ticket, second)
        Desk.absent([desk])
        self.assertEqual(second.state, 'absent')
        Desk.call_next([desk])
        self.assertIsNone(desk.ticket)
        self.assertIn("Justice", desk.message)
        queue, = [q for q in pool.get('case.ticket.queue').search([
                    ('site', '=', site), ('sector', '=', civil)])]
        self.assertEqual(queue.waiting, 1)
        self.assertGreaterEqual(queue.longest_wait, 29)

    @with_transaction()
    def test_desk_serves_a_citizen_without_leaving_it(self):
        """The desk shows the checklist of its procedure; the documents
        ticked and cash picked, Open Case opens, submits and collects the
        case without opening its tab, and Finish and Call Next takes the
        next ticket; a mandatory document missing leaves the case a draft
        opened in its tab, with the documents ticked on the desk"""
        pool = Pool()
        Desk = pool.get('case.desk')
        Ticket = pool.get('case.ticket')
        Counter = pool.get('network.counter')
        Party = pool.get('party.party')
        Procedure = pool.get('network.procedure')
        site, justice = ref('site_zig'), ref('sector_justice')
        procedure = Procedure(ref('procedure_criminal_record'))
        identity, birth = procedure.documents
        counter, = Counter.create([{
                    'site': site, 'name': "Guichet 9", 'sector': justice,
                    }])
        Ticket.write(Ticket.search([('state', '=', 'waiting')]),
            {'date': dt.date(2000, 1, 1)})
        first, second, third = Ticket.create([
                {'site': site, 'sector': justice},
                {'site': site, 'sector': justice},
                {'site': site, 'sector': justice}])
        citizen, = Party.create([{'name': "Awa Diop"}])
        desk = Desk.mine()
        desk.counter = counter
        desk.save()
        Desk.call_next([desk])
        self.assertEqual(desk.ticket, first)

        def serve(*brought, payment_method=None):
            desk.citizen = citizen
            if desk.procedure != procedure:
                desk.procedure = procedure
                desk.on_change_procedure()
                desk.save()
            self.assertEqual(
                [d.requirement for d in desk.documents], [identity, birth])
            self.assertEqual(
                [(d.name, d.mandatory, d.provided) for d in desk.documents],
                [(identity.name, True, False), (birth.name, False, False)])
            self.assertEqual(desk.fee, Decimal(400))
            for line in desk.documents:
                line.provided = line.requirement in brought
            desk.documents = desk.documents
            desk.payment_method = payment_method
            desk.save()
            return Desk.open_case([desk])

        self.assertIsNone(serve(identity, payment_method='cash'))
        case = desk.case
        self.assertEqual(
            (case.state, case.payment_method, case.citizen, case.procedure),
            ('submitted', 'cash', citizen, procedure))
        self.assertTrue(case.paid_at)
        self.assertEqual(
            [d.provided for d in case.documents], [True, False])
        self.assertEqual(first.case, case)
        self.assertIn("collected", desk.message)
        self.assertIn("400", desk.message)

        served = set(desk.documents)
        Desk.finish_call_next([desk])
        self.assertEqual((first.state, first.outcome), ('done', 'case'))
        self.assertEqual(desk.ticket, second)
        self.assertIn(f"{first.number} finished", desk.message)
        self.assertIn(f"{second.number} called", desk.message)
        # the next citizen's checklist starts afresh
        self.assertFalse(served & set(desk.documents))
        self.assertFalse(any(d.provided for d in desk.documents))
        self.assertIsNone(desk.payment_method)

        action = serve(birth, payment_method='cash')
        case = desk.case
        self.assertEqual(action['res_id'], [case.id])
        self.assertEqual(case.state, 'draft')
        self.assertIsNone(case.paid_at)
        self.assertEqual(
            [d.provided for d in case.documents], [False, True])
        self.assertIn(identity.name, desk.message)

        # submitted without a payment method: its fees are collected on
        # its tab, which opens
        Desk.finish_call_next([desk])
        self.assertEqual(desk.ticket, third)
        action = serve(identity, birth)
        case = desk.case
        self.assertEqual(action['res_id'], [case.id])
        self.assertEqual((case.state, case.paid_at), ('submitted', None))
        self.assertEqual(
            [d.provided for d in case.documents], [True, True])
        self.assertIn("to collect", desk.message)

    @with_transaction()
    def test_desk_validates_what_its_write_can_change(self):
        """A desk's write checks the fields written and those reading
        them: its counter (among the user's sites) when the counter is
        written, its procedure (of the ticket's sector) when the ticket or
        the procedure is, not at every click"""
        pool = Pool()
        Desk = pool.get('case.desk')
        Counter = pool.get('network.counter')
        Party = pool.get('party.party')
        self.assertEqual(Desk._fields['counter'].validation_depends, set())
        self.assertEqual(
            Desk._fields['procedure'].validation_depends, {'ticket'})
        self.assertEqual(
            Desk._fields['payment_reference'].validation_depends,
            {'payment_method', 'case', 'procedure'})
        counter, = Counter.create([{
                    'site': ref('site_zig'), 'name': "Guichet 9",
                    'sector': ref('sector_justice'),
                    }])
        desk = Desk.mine()
        desk.counter = counter
        desk.save()
        citizen, = Party.create([{'name': "Awa Diop"}])
        # the counter closed under the agent does not refuse their clicks
        Counter.write([counter], {'active': False})
        Desk.write([desk], {'citizen': citizen.id})
        self.assertEqual(desk.citizen, citizen)
        with self.assertRaises(ValidationError):
            Desk.write([desk], {'counter': counter.id})

    @with_transaction()
    def test_search_rpc_answers_ids(self):
        """The client's search of cases and tickets answers the ids that
        ModelSQL.search finds, in its order and within the user's sites;
        its count is the search's"""
        pool = Pool()
        Case = pool.get('case.case')
        Ticket = pool.get('case.ticket')
        User = pool.get('res.user')
        cases = [create_case(site=ref(s))
            for s in ['site_zig', 'site_dkr', 'site_zig', 'site_zig']]
        Case.submit(cases[2:])
        tickets = Ticket.create([
                {'site': ref(s), 'sector': ref('sector_justice')}
                for s in ['site_zig', 'site_dkr', 'site_zig']])
        agent, = User.create([{
                    'name': "Agent", 'login': 'agent',
                    'groups': [('add', [ref('group_site_agent')])],
                    'sites': [('add', [ref('site_zig')])],
                    }])
        for Model, records, domain in [
                (Case, cases, [('id', 'in', [c.id for c in cases])]),
                (Case, cases, [('id', 'in', [c.id for c in cases]),
                        ('state', '=', 'submitted')]),
                (Ticket, tickets, [('id', 'in', [t.id for t in tickets])]),
                (Case, cases, [('id', 'in', [c.id for c in cases])]),
                ]:
            search = Model.__rpc__['search'].decorate(Model.search)
            with Transaction().set_user(agent.id), check_access():
                for args in [(0, None, None), (0, 2, [('id', 'ASC')]),
                        (1, 10, [('id', 'DESC')])]:
                    found = search(domain, *args)
                    self.assertTrue(all(isinstance(i, int) for i in found))
                    self.assertEqual(
                        found, [r.id for r in Model.search(domain, *args)])
                    self.assertNotIn(records[1].id, found)
                self.assertEqual(search(domain, count=True),
                    Model.search(domain, count=True))
            self.assertEqual(search(domain),
                [r.id for r in Model.search(domain)])
        # other sites' records for a user of every site
        self.assertIn(cases[1].id, search([]))

    @with_transaction()
    def test_desk_named_after_its_counter_else_its_user(self):
        "A desk is named by its counter, else by its user's name or login"
        pool = Pool()
        Desk = pool.get('case.desk')
        Counter = pool.get('network.counter')
        User = pool.get('res.user')
        counter, = Counter.create([{
                    'site': ref('site_zig'), 'name': "Guichet 7",
                    'sector': ref('sector_justice'),
                    }])
        named, unnamed = User.create([
                {'name': "Awa Diatta", 'login': 'awa'},
                {'name': None, 'login': 'moussa'}])
        at_counter, *desks = Desk.create([
                {'user': USER, 'counter': counter.id},
                {'user': named.id},
                {'user': unnamed.id},
                ])
        self.assertEqual(
            [d.rec_name for d in Desk.browse([at_counter] + desks)],
            ["Guichet 7", "Awa Diatta", "moussa"])
        with warnings.catch_warnings():
            # in one query for all (trytond's grouped_slice without a size
            # warns, and slices one by one)
            warnings.simplefilter('error', DeprecationWarning)
            Desk.get_rec_name([at_counter] + desks, 'rec_name')

    @with_transaction()
    def test_case_lists_read_in_one_query(self):
        """The lists of a case (documents, fees, history...) hold the records
        Tryton's One2Many finds, in its order, within the reader's rules"""
        from trytond.model import fields as tryton_fields
        pool = Pool()
        Case = pool.get('case.case')
        User = pool.get('res.user')
        Site = pool.get('network.site')
        other_site, = Site.search([('code', '!=', 'ZIG')], limit=1)
        cases = [create_case(),
            create_case(procedure='procedure_building_permit_simple'),
            create_case(site=other_site.id)]
        Case.submit(cases[:2])
        # the first case's checklist in the reverse order of its ids
        Document = pool.get('case.document')
        documents = Document.search(
            [('case', '=', cases[0].id)], order=[('id', 'ASC')])
        for sequence, document in enumerate(reversed(documents)):
            document.sequence = sequence
        Document.save(documents)
        ids = [c.id for c in cases]
        names = ['documents', 'fees', 'refunds', 'history', 'notifications']

        def both():
            for name in names:
                field = Case._fields[name]
                expected = tryton_fields.One2Many.get(field, ids, Case, name)
                # the one query, not Tryton's search and read
                with mock.patch.object(tryton_fields.One2Many, 'get',
                        side_effect=AssertionError):
                    self.assertEqual(
                        field.get(ids, Case, name), expected, name)
        both()
        self.assertTrue(all(len(c.documents) > 1 for c in cases))
        self.assertEqual(
            list(Case(cases[0].id).documents), list(reversed(documents)))
        self.assertTrue(all(c.history for c in cases[:2]))
        agent, = User.create([{
                    'name': "Agent", 'login': 'agent',
                    'groups': [('add', [ref('group_site_agent')])],
                    'sites': [('add', [ref('site_zig')])],
                    }])
        with Transaction().set_user(agent.id), check_access():
            both()
            # the other site's documents are not shown to the agent
            self.assertEqual(Case._fields['documents'].get(
                    [cases[2].id], Case, 'documents'), {cases[2].id: ()})

    @with_transaction()
    def test_finance_hr_no_personal_data(self):
        "Finance and HR users read neither cases nor citizens' identity"
        pool = Pool()
        Case = pool.get('case.case')
        Ticket = pool.get('case.ticket')
        Document = pool.get('case.document')
        History = pool.get('case.history')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        case = create_case()
        citizen = case.citizen
        Party.write([citizen], {'national_id': '1751199001234'})
        finance, hr, agent = User.create([{
                    'name': "Finance", 'login': 'finance',
                    'groups': [('add', [ref('group_finance')])],
                    }, {
                    'name': "HR", 'login': 'hr',
                    'groups': [('add', [ref('group_hr')])],
                    }, {
                    'name': "Agent", 'login': 'agent',
                    'groups': [('add', [ref('group_site_agent')])],
                    'sites': [('add', [ref('site_zig')])],
                    }])
        for user in [finance, hr]:
            with Transaction().set_user(user.id), check_access():
                for Model in [Case, Ticket, Document, History]:
                    with self.assertRaises(UserError):
                        Model.search([])
                # citizens are the sites' (docs/PERSONAL_DATA.md)
                with self.assertRaises(UserError):
                    Party.read([citizen.id], ['name'])
                with self.assertRaises(UserError):
                    Party.read([citizen.id], ['national_id'])
        with Transaction().set_user(agent.id), check_access():
            self.assertEqual(
                Party.read([citizen.id], ['national_id'])[0]['national_id'],
                '1751199001234')
            self.assertEqual(
                Case.read([case.id], ['phone'])[0]['phone'],
                '+221 77 123 45 67')

    @with_transaction()
    def test_attachment_size_limit(self):
        "Scans larger than the configured limit are refused on cases only"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Configuration = pool.get('case.configuration')
        config = Configuration(1)
        self.assertEqual(config.attachment_max_size, 5)
        config.attachment_max_size = 1
        config.save()
        case = create_case()
        big = b'x' * (1024 * 1024 + 1)
        small, = Attachment.create([{
                    'name': 'cni.pdf', 'resource': str(case),
                    'data': b'x' * 1000,
                    }])
        with self.assertRaises(ValidationError) as cm:
            Attachment.create([{
                        'name': 'acte.pdf', 'resource': str(case),
                        'data': big,
                        }])
        self.assertIn('acte.pdf', cm.exception.message)
        self.assertIn('1 MB', cm.exception.message)
        with self.assertRaises(ValidationError):
            Attachment.write([small], {'data': big})
        Attachment.create([{
                    'name': 'statuts.pdf', 'resource': str(case.citizen),
                    'data': big,
                    }])

    @with_transaction()
    def test_notifications_log_sender(self):
        "Submitting, ready and delivered queue a message sent by the cron"
        pool = Pool()
        Notification = pool.get('case.notification')
        Party = pool.get('party.party')
        Configuration = pool.get('case.configuration')
        Configuration.write([Configuration(1)], {
                'public_url': 'https://ess.sn/'})
        case = create_case()
        Party.write([case.citizen], {
                'contact_mechanisms': [('create', [{
                                'type': 'email', 'value': 'awa@example.sn',
                                }])],
                })
        deliver(case)
        self.assertEqual(
            [(n.event, n.channel) for n in sorted(
                    case.notifications, key=lambda n: n.id)],
            [('submitted', 'sms'), ('submitted', 'email'),
                ('ready', 'sms'), ('ready', 'email'),
                ('delivered', 'sms'), ('delivered', 'email')])
        submitted = min(case.notifications, key=lambda n: n.id)
        self.assertIn(case.number, submitted.text)
        self.assertEqual(submitted.recipient, '+221 77 123 45 67')
        delivered = max(case.notifications, key=lambda n: n.id)
        self.assertTrue(delivered.text.endswith(
                f'https://ess.sn/{DB_NAME}/avis/{case.rating_token}'))
        self.assertEqual(len(Notification.send_pending()), 6)
        self.assertEqual(
            {n.state for n in Notification.browse(case.notifications)},
            {'sent'})
        self.assertEqual(Notification.send_pending(), [])

    @with_transaction()
    def test_notifications_template(self):
        "A configured template replaces the standard text"
        pool = Pool()
        Configuration = pool.get('case.configuration')
        Configuration.write([Configuration(1)], {
                'template_submitted': "Dossier %(number)s %(unknown)s",
                })
        case = create_case()
        pool.get('case.case').submit([case])
        notification, = case.notifications
        self.assertEqual(notification.text, f"Dossier {case.number} ")

    @with_transaction()
    def test_notifications_http_sender(self):
        "The HTTP sender retries a 500 with backoff, then succeeds"
        pool = Pool()
        Case = pool.get('case.case')
        Configuration = pool.get('case.configuration')
        Notification = pool.get('case.notification')
        case = create_case()
        with Gateway([500, 200]) as gateway:
            Configuration.write([Configuration(1)], {
                    'notification_sender': 'http',
                    'sms_gateway_url': gateway.url,
                    'sms_gateway_timeout': 5,
                    'notification_retry_delay': 5,
                    })
            Case.submit([case])
            notification, = case.notifications
            before = dt.datetime.now().replace(microsecond=0)
            Notification.send_pending()
            self.assertEqual(notification.state, 'pending')
            self.assertEqual(notification.attempts, 1)
            self.assertIn('500', notification.last_error)
            self.assertGreaterEqual(
                notification.next_attempt,
                before + dt.timedelta(minutes=5))
            self.assertEqual(Notification.send_pending(), [])  # not due
            Notification.write([notification], {
                    'next_attempt': dt.datetime.now()})
            Notification.send_pending()
            self.assertEqual(notification.state, 'sent')
            self.assertEqual(notification.attempts, 2)
        self.assertEqual(len(gateway.requests), 2)
        headers, payload = gateway.requests[-1]
        self.assertEqual(payload['recipient'], '+221 77 123 45 67')
        self.assertEqual(payload['case'], case.number)
        self.assertEqual(
            headers['Idempotency-Key'],
            f'case-notification-{notification.id}')

    @with_transaction()
    def test_notifications_give_up(self):
        "After the last attempt or a 4xx the notification stays failed"
        pool = Pool()
        Case = pool.get('case.case')
        Configuration = pool.get('case.configuration')
        Notification = pool.get('case.notification')
        first, second = create_case(), create_case()
        with Gateway([500, 400, 500]) as gateway:
            Configuration.write([Configuration(1)], {
                    'notification_sender': 'http',
                    'sms_gateway_url': gateway.url,
                    'notification_max_attempts': 2,
                    })
            Case.submit([first, second])
            Notification.send_pending()
            (one,), (two,) = first.notifications, second.notifications
            self.assertEqual((one.state, two.state), ('pending', 'failed'))
            self.assertIn('400', two.last_error)
            Notification.write([one], {'next_attempt': dt.datetime.now()})
            Notification.send_pending()
            self.assertEqual((one.state, one.attempts), ('failed', 2))
            self.assertIsNone(one.next_attempt)
            Notification.retry([one])
            self.assertEqual((one.state, one.attempts), ('pending', 0))
            Notification.send_pending()
            self.assertEqual(one.state, 'sent')
        Configuration.write([Configuration(1)], {
                'sms_gateway_url': 'http://127.0.0.1:9/closed',
                'sms_gateway_timeout': 1,
                })
        Notification.retry([two])
        Notification.send_pending()
        self.assertIn('ConnectionError', two.last_error)
        self.assertEqual(two.state, 'pending')

    def test_rating_page(self):
        "The citizen rates the delivered case once through the SMS link"
        from werkzeug.test import Client

        from trytond.wsgi import app
        with Transaction().start(DB_NAME, USER) as transaction:
            case = create_case(site=ref('site_kdg'))
            deliver(case)
            token, case_id = case.rating_token, case.id
            transaction.commit()
        client = Client(app)
        url = f'/{DB_NAME}/service_case/rate/{token}'
        try:
            response = client.get(url)
            self.assertEqual(response.status_code, 200)
            text = response.get_data(as_text=True)
            self.assertIn('name="rating"', text)
            self.assertIn('Êtes-vous satisfait', text)
            response = client.post(url, data={'rating': '9'})
            self.assertEqual(response.status_code, 400)
            response = client.post(
                url, data={'rating': '4', 'comment': "Accueil rapide"})
            self.assertEqual(response.status_code, 200)
            self.assertIn('Merci', response.get_data(as_text=True))
            response = client.post(url, data={'rating': '1'})
            self.assertIn('déjà', response.get_data(as_text=True))
            self.assertEqual(client.get(
                    f'/{DB_NAME}/service_case/rate/unknown').status_code,
                404)
            with Transaction().start(DB_NAME, USER):
                case = Pool().get('case.case')(case_id)
                self.assertEqual(
                    (case.rating, case.rating_comment),
                    (4, "Accueil rapide"))
                self.assertTrue(case.rated_at)
        finally:
            with Transaction().start(DB_NAME, USER) as transaction:
                pool = Pool()
                Case = pool.get('case.case')
                Party = pool.get('party.party')
                case = Case(case_id)
                citizen = case.citizen
                Case.write([case], {'state': 'cancelled', 'rating': None})
                Case.delete([case])
                Party.delete([citizen])
                transaction.commit()

    @with_transaction()
    def test_complaint(self):
        "A complaint is answered within its delay in working days"
        pool = Pool()
        Complaint = pool.get('case.complaint')
        case = create_case()
        complaint, = Complaint.create([{
                    'site': ref('site_zig'), 'case': case.id,
                    'citizen': case.citizen.id, 'channel': 'phone',
                    'description': "Personne ne répond au téléphone",
                    }])
        with on_day(FRIDAY):
            Complaint.open([complaint])
        self.assertEqual(complaint.state, 'open')
        self.assertTrue(complaint.number.startswith('REC-ZIG-2026-'))
        self.assertEqual(complaint.opened_on, FRIDAY)
        self.assertEqual(complaint.due_date, dt.date(2026, 2, 20))
        with on_day(dt.date(2026, 2, 23)):
            self.assertTrue(Complaint(complaint.id).late)
            self.assertEqual(
                Complaint.search([('late', '=', True)]), [complaint])
            with self.assertRaises(UserError):
                Complaint.do_answer([complaint])
            complaint.answer = "Une ligne directe a été ouverte."
            complaint.save()
            Complaint.do_answer([complaint])
        self.assertEqual(complaint.answered_on, dt.date(2026, 2, 23))
        self.assertTrue(complaint.late)
        self.assertEqual(Complaint.search([('late', '=', False)]), [])
        Complaint.close([complaint])
        self.assertEqual(complaint.state, 'closed')

    @with_transaction()
    def test_kpi_site_day(self):
        "The indicators add up tickets, cases, ratings and complaints"
        pool = Pool()
        Case = pool.get('case.case')
        Ticket = pool.get('case.ticket')
        Complaint = pool.get('case.complaint')
        SiteDay = pool.get('case.kpi.site_day')
        site = ref('site_zig')
        now = dt.datetime.now()
        first, second = create_case(), create_case()
        for case in [first, second]:
            deliver(case)
        Case.write([first], {'rating': 4})
        Case.write([second], {'due_date': dt.date(2000, 1, 3)})  # late
        ticket, _ = Ticket.create([
                {'site': site, 'sector': ref('sector_justice'),
                    'arrived_at': now - dt.timedelta(minutes=30)},
                {'site': site, 'sector': ref('sector_justice')},
                ])
        Ticket.write([ticket], {
                'state': 'called', 'called_at': now - dt.timedelta(
                    minutes=10)})
        complaint, = Complaint.create([{
                    'site': site, 'description': "Attente trop longue",
                    }])
        Complaint.open([complaint])
        with Transaction().set_context(
                from_date=first.delivery_date, to_date=first.delivery_date):
            day, = SiteDay.search([('site', '=', site)])
            self.assertEqual(day.date, first.delivery_date)
            self.assertEqual(day.visitors, 2)
            self.assertAlmostEqual(day.waiting_time, 20, delta=1)
            self.assertEqual(day.cases_opened, 2)
            self.assertEqual(day.cases_delivered, 2)
            self.assertEqual(day.on_time, 50)
            self.assertEqual(day.rating, 4)
            self.assertEqual(day.response_rate, 50)
            self.assertEqual(day.complaints, 1)
            self.assertEqual(SiteDay.search([('site', '!=', site)]), [])
        with Transaction().set_context(
                from_date=first.delivery_date + dt.timedelta(days=1)):
            self.assertEqual(SiteDay.search([]), [])

    @unittest.skipIf(
        backend.name != 'postgresql', "concurrent numbering needs PostgreSQL")
    def test_case_number_concurrent(self):
        "20 agents opening cases at one site at the same time"
        agents = 20
        with Transaction().start(DB_NAME, USER) as transaction:
            pool = Pool()
            Party = pool.get('party.party')
            citizen, = Party.create([{'name': "Kadiatou Keita"}])
            values = {
                'site': ref('site_kdg'),
                'citizen': citizen.id,
                'procedure': ref('procedure_criminal_record'),
                }
            transaction.commit()
        barrier = threading.Barrier(agents, timeout=60)
        numbers, errors = [], []

        def open_case():
            try:
                with Transaction().start(DB_NAME, USER) as transaction:
                    Case = Pool().get('case.case')
                    Case.search([], limit=1)  # the snapshot is taken
                    barrier.wait()
                    case, = Case.create([values])
                    numbers.append(case.number)
                    transaction.commit()
            except Exception as exception:
                errors.append(exception)
        threads = [threading.Thread(target=open_case) for _ in range(agents)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.assertEqual(errors, [])
            serials = sorted(int(n[-6:]) for n in numbers)
            self.assertEqual(
                serials, list(range(serials[0], serials[0] + agents)))
            self.assertTrue(all(n.startswith('KDG-') for n in numbers))
        finally:
            with Transaction().start(DB_NAME, USER) as transaction:
                pool = Pool()
                Case = pool.get('case.case')
                Numbering = pool.get('case.numbering')
                Party = pool.get('party.party')
                Case.delete(Case.search([('site', '=', values['site'])]))
                Numbering.delete(Numbering.search([
                            ('site', '=', values['site'])]))
                Party.delete([Party(values['citizen'])])
                transaction.commit()
