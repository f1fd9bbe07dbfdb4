import datetime as dt
import io
import unittest
from decimal import Decimal

import openpyxl
import xlwt
from dateutil.relativedelta import relativedelta

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import (
    CompanyTestMixin,
    create_company,
    set_company,
)
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests import test_tryton
from trytond.tests.test_tryton import (
    DB_NAME,
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction

from service_network.tests.tools import on_day


def site(code):
    pool = Pool()
    Site = pool.get('network.site')
    record, = Site.search([('code', '=', code)])
    return record


def create_agents(company, *names, **values):
    pool = Pool()
    Party = pool.get('party.party')
    Employee = pool.get('company.employee')
    parties = Party.create([{'name': n} for n in names])
    return Employee.create([{
                'party': p.id, 'company': company.id,
                'matricule': f'M{i:03d}', **values}
            for i, p in enumerate(parties, 1)])


def assign(employee, code, from_date, to_date=None):
    pool = Pool()
    Assignment = pool.get('agent.assignment')
    assignment, = Assignment.create([{
                'employee': employee.id, 'site': site(code).id,
                'from_date': from_date, 'to_date': to_date}])
    return assignment


def create_counter(code, name="Box 1"):
    pool = Pool()
    Counter = pool.get('network.counter')
    Sector = pool.get('network.sector')
    sector, = Sector.search([], limit=1)
    counter, = Counter.create([{
                'site': site(code).id, 'name': name, 'sector': sector.id}])
    return counter


def assign_agents(employees, values, user=None):
    """Run the wizard assigning employees, selected in the agents list (or
    from the menu if none), with values; return the defaults it offered and
    the action it opened"""
    pool = Pool()
    Wizard = pool.get('agent.assignment.assign', type='wizard')
    transaction = Transaction()
    if employees:
        context = {'active_model': 'company.employee',
            'active_ids': [e.id for e in employees],
            'active_id': employees[0].id}
    else:
        context = {'active_model': 'ir.ui.menu', 'active_ids': [],
            'active_id': None}
    with transaction.set_context(context):
        session_id, _, _ = Wizard.create()
        try:
            with transaction.set_user(user or transaction.user):
                defaults = Wizard.execute(
                    session_id, {}, 'start')['view']['defaults']
                result = Wizard.execute(session_id, {'start': {
                            'employees': defaults.get('employees', []),
                            'from_date': defaults['from_date'],
                            **values}}, 'assign')
        finally:
            Wizard.delete(session_id)
    (action, _), = result['actions']
    return defaults, action


def ref(name):
    "The id of service_network's record name"
    return Pool().get('ir.model.data').get_id('service_network', name)


def create_training(**values):
    pool = Pool()
    Training = pool.get('agent.training')
    training, = Training.create([{
                'name': "Label Marianne", 'kind': 'marianne',
                'duration': 2, 'certifying': True, 'validity': 24,
                **values}])
    return training


def create_session(training, start=dt.date(2026, 3, 2), **values):
    pool = Pool()
    Session = pool.get('agent.training.session')
    session, = Session.create([{
                'training': training.id, 'start_date': start,
                'end_date': start + dt.timedelta(days=training.duration - 1),
                **values}])
    return session


def enrol(session, employees):
    pool = Pool()
    Enrolment = pool.get('agent.training.enrolment')
    return Enrolment.create([{
                'session': session.id, 'employee': e.id}
            for e in employees])


def attend(enrolments, dates, present=True):
    pool = Pool()
    Attendance = pool.get('agent.training.attendance')
    Attendance.create([{
                'enrolment': e.id, 'date': d, 'present': present}
            for e in enrolments for d in dates])


def xlsx(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def xls(rows):
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet('Agents')
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            sheet.write(i, j, value)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def run_wizard(name, values, **context):
    pool = Pool()
    Wizard = pool.get(name, type='wizard')
    with Transaction().set_context(**context):
        session_id, _, _ = Wizard.create()
        wizard = Wizard(session_id)
        wizard.execute(session_id, {'start': values}, 'import_')
        Wizard.delete(session_id)


class AgentHrTestCase(CompanyTestMixin, test_tryton.ModuleTestCase):
    "Test Agent HR module"
    module = 'agent_hr'
    extras = ['service_case']

    def setUp(self):
        super().setUp()
        # the day of the test, taken once: the network's clock is kept on it
        # so that a test running across midnight compares the same day
        self.today = dt.date.today()
        day = on_day(self.today, DB_NAME)
        day.start()
        self.addCleanup(day.stop)

    @with_transaction()
    def test_employee_fields(self):
        "Staff numbers are unique, phones are Senegal numbers"
        pool = Pool()
        Employee = pool.get('company.employee')
        company = create_company()
        with set_company(company):
            awa, = create_agents(company, "Awa Ndiaye",
                phone='77 123 45 67', languages=['fr', 'wo'])
            self.assertEqual(awa.phone, '+221 77 123 45 67')
            self.assertEqual(awa.matricule, 'M001')
            self.assertEqual(awa.rec_name, '[M001] Awa Ndiaye')
            self.assertEqual(Employee.search([('rec_name', '=', 'M001')]),
                [awa])
            with self.assertRaises(ValidationError):
                Employee.write([awa], {'phone': '0612345678'})
            with self.assertRaises(ValidationError):
                create_agents(company, "Duplicate")

    @with_transaction()
    def test_assignment_overlap(self):
        "An agent cannot be assigned to two sites over overlapping dates"
        company = create_company()
        with set_company(company):
            fatou, = create_agents(company, "Fatou Sané")
            assign(fatou, 'THS', dt.date(2025, 1, 1), dt.date(2025, 12, 31))
            assignment = assign(fatou, 'ZIG', dt.date(2026, 1, 1))
            self.assertEqual(fatou.current_site, site('ZIG'))
            self.assertTrue(assignment.current)
            with self.assertRaises(ValidationError) as cm:
                assign(fatou, 'DKR', dt.date(2025, 6, 1), dt.date(2025, 7, 1))
            self.assertIn('THS', str(cm.exception))

    @with_transaction()
    def test_assign_agents(self):
        "HR assigns the agents selected in the list to a site at once"
        pool = Pool()
        Assignment = pool.get('agent.assignment')
        company = create_company()
        with set_company(company):
            awa, moussa, fatou = create_agents(
                company, "Awa Ndiaye", "Moussa Diatta", "Fatou Sané")
            counter = create_counter('ZIG')
            later = self.today + dt.timedelta(days=10)
            defaults, action = assign_agents([awa, moussa], {
                    'site': site('ZIG').id, 'counter': counter.id,
                    'sector': counter.sector.id, 'to_date': later})
            self.assertEqual(defaults['from_date'], self.today)
            self.assertEqual(
                sorted(defaults['employees']), sorted([awa.id, moussa.id]))
            created = Assignment.search([('site.code', '=', 'ZIG')])
            self.assertEqual(
                {a.employee for a in created}, {awa, moussa})
            for assignment in created:
                self.assertEqual(assignment.counter, counter)
                self.assertEqual(assignment.sector, counter.sector)
                self.assertEqual(
                    (assignment.from_date, assignment.to_date),
                    (self.today, later))
            self.assertEqual(awa.current_site, site('ZIG'))
            self.assertFalse(Assignment.search([('employee', '=', fatou)]))
            # from the menu, the agents are chosen in the form
            defaults, _ = assign_agents([], {
                    'site': site('THS').id, 'employees': [fatou.id]})
            self.assertEqual(defaults.get('employees', []), [])
            ths, = Assignment.search([('employee', '=', fatou)])
            self.assertEqual(ths.site, site('THS'))
            # the created assignments open, whatever their dates
            self.assertEqual(action['name'], 'Assignments Created at ZIG (2)')
            self.assertEqual(action['domains'], [])
            self.assertEqual(
                sorted(Assignment.search(
                        PYSONDecoder().decode(action['pyson_domain']))),
                sorted(created))

    @with_transaction()
    def test_assign_agents_all_or_nothing(self):
        """One agent already assigned over the dates: the refusal names the
        agent and no assignment is created for the others"""
        pool = Pool()
        Assignment = pool.get('agent.assignment')
        company = create_company()
        with set_company(company):
            awa, moussa, fatou = create_agents(
                company, "Awa Ndiaye", "Moussa Diatta", "Fatou Sané")
            assign(moussa, 'THS', dt.date(2025, 1, 6))
            before = Assignment.search([])
            with self.assertRaises(ValidationError) as cm:
                assign_agents([awa, moussa, fatou], {
                        'site': site('ZIG').id})
            message = str(cm.exception)
            self.assertIn('[M002] Moussa Diatta', message)
            self.assertIn('from 06/01/2025 with no end date', message)
            self.assertNotIn('Awa', message)
            self.assertNotIn('Fatou', message)
            self.assertEqual(Assignment.search([]), before)

            # an assignment ending before the other starts is accepted
            ths, = before
            Assignment.write([ths], {'from_date': self.today})
            assign_agents([awa, moussa], {
                    'site': site('ZIG').id,
                    'from_date': self.today - dt.timedelta(days=30),
                    'to_date': self.today - dt.timedelta(days=1)})
            self.assertEqual(len(Assignment.search([])), 3)

            # dates in the wrong order or a counter of another site
            for values in [
                    {'to_date': self.today - dt.timedelta(days=1)},
                    {'counter': create_counter('THS').id}]:
                with self.assertRaises(ValidationError):
                    assign_agents([fatou], {
                            'site': site('ZIG').id,
                            'from_date': self.today + dt.timedelta(days=400),
                            **values})
            with self.assertRaises(ValidationError):
                assign_agents([fatou], {
                        'site': site('ZIG').id, 'employees': []})
            self.assertFalse(Assignment.search([('employee', '=', fatou)]))

    @with_transaction()
    def test_assign_agents_groups(self):
        "Only HR and network administrators assign agents with the wizard"
        pool = Pool()
        User = pool.get('res.user')
        Assignment = pool.get('agent.assignment')
        company = create_company()
        with set_company(company):
            awa, = create_agents(company, "Awa Ndiaye")
            manager, hr = User.create([{
                        'login': login, 'name': login,
                        'groups': [('add', [ref(group)])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        } for login, group in [
                        ('chef', 'group_site_manager'), ('rh', 'group_hr')]])
            with self.assertRaises(AccessError):
                assign_agents([awa], {'site': site('ZIG').id},
                    user=manager.id)
            self.assertFalse(Assignment.search([]))
            assign_agents([awa], {'site': site('ZIG').id}, user=hr.id)
            self.assertEqual(len(Assignment.search([])), 1)

    @with_transaction()
    def test_user_sites_follow_assignments(self):
        "The sites of a user follow the current assignments of its agent"
        pool = Pool()
        User = pool.get('res.user')
        Assignment = pool.get('agent.assignment')
        company = create_company()
        with set_company(company):
            fatou, = create_agents(company, "Fatou Sané")
            user, = User.create([{
                        'login': 'fatou', 'name': "Fatou Sané",
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [fatou.id])],
                        'employee': fatou.id}])
            ths = assign(fatou, 'THS', self.today - dt.timedelta(days=30))
            self.assertEqual(list(user.sites), [site('THS')])
            Assignment.write([ths], {
                    'to_date': self.today - dt.timedelta(days=1)})
            self.assertEqual(list(User(user.id).sites), [])
            zig = assign(fatou, 'ZIG', self.today)
            self.assertEqual(list(User(user.id).sites), [site('ZIG')])
            Assignment.delete([zig])
            self.assertEqual(list(User(user.id).sites), [])
            # the daily task catches up with assignments starting today
            Assignment.write([ths], {'to_date': None})
            User.write([user], {'sites': [('remove', [site('THS').id])]})
            Assignment.sync_all_user_sites()
            self.assertEqual(list(User(user.id).sites), [site('THS')])

    @with_transaction()
    def test_session_capacity(self):
        "Enrolment stops at the capacity of the session"
        company = create_company()
        with set_company(company):
            agents = create_agents(company, "A", "B", "C")
            session = create_session(create_training(), capacity=2)
            enrol(session, agents[:2])
            with self.assertRaises(ValidationError) as cm:
                enrol(session, agents[2:])
            # the count and the capacity, not digits of the session's name
            self.assertIn(
                "3 agents enrolled for a capacity of 2", str(cm.exception))
            with self.assertRaises(ValidationError):
                enrol(session, agents[:1])

    @with_transaction()
    def test_session_certifies(self):
        "Closing a session evaluates agents and certifies who passed"
        pool = Pool()
        Session = pool.get('agent.training.session')
        Enrolment = pool.get('agent.training.enrolment')
        company = create_company()
        with set_company(company):
            awa, moussa, ibou = create_agents(
                company, "Awa", "Moussa", "Ibou")
            session = create_session(create_training())
            Session.confirm([session])
            good, low, absent = enrol(session, [awa, moussa, ibou])
            days = [session.start_date, session.end_date]
            attend([good, low], days)
            attend([absent], days[:1])
            Enrolment.write([good, absent], {'score': Decimal(15)})
            with self.assertRaises(UserError):
                Session.do([session])
            Enrolment.write([low], {'score': Decimal('9.5')})
            Session.do([session])
            self.assertEqual(
                [e.result for e in (good, low, absent)],
                ['passed', 'failed', 'failed'])
            certification, = awa.certifications
            self.assertEqual(certification.expiry_date, dt.date(2028, 3, 3))
            self.assertFalse(moussa.certifications)
            with self.assertRaises(UserError):
                enrol(session, create_agents(company, "Late"))

    @with_transaction()
    def test_procedure_training_gives_skill(self):
        "A passed procedure training qualifies the agent"
        pool = Pool()
        Procedure = pool.get('network.procedure')
        Session = pool.get('agent.training.session')
        Enrolment = pool.get('agent.training.enrolment')
        company = create_company()
        procedure, = Procedure.search([('code', '=', 'CJ-B3')])
        with set_company(company):
            awa, = create_agents(company, "Awa")
            training = create_training(
                name="Casier judiciaire", kind='procedure',
                procedure=procedure.id, skill_level='confirmed',
                certifying=False, validity=None, duration=1)
            session = create_session(training)
            Session.confirm([session])
            enrolment, = enrol(session, [awa])
            attend([enrolment], [session.start_date])
            Enrolment.write([enrolment], {'score': Decimal(12)})
            Session.do([session])
            skill, = awa.skills
            self.assertEqual(
                (skill.procedure, skill.level, skill.training),
                (procedure, 'confirmed', training))
            self.assertFalse(awa.certifications)

    @with_transaction()
    def test_warn_expiring(self):
        "Certifications expiring within 60 days are flagged once"
        pool = Pool()
        Certification = pool.get('agent.certification')
        company = create_company()
        with set_company(company):
            awa, moussa = create_agents(company, "Awa", "Moussa")
            training = create_training()
            soon, later = Certification.create([{
                        'employee': awa.id, 'training': training.id,
                        'date': self.today - dt.timedelta(days=700),
                        'expiry_date': self.today + dt.timedelta(days=30),
                        }, {
                        'employee': moussa.id, 'training': training.id,
                        'date': self.today - dt.timedelta(days=600),
                        'expiry_date': self.today + dt.timedelta(days=120),
                        }])
            assign(awa, 'ZIG', self.today - dt.timedelta(days=100))
            User = pool.get('res.user')
            hr, zig, dkr = User.create([{
                        'name': "HR", 'login': 'hr',
                        'groups': [('add', [ref('group_hr')])],
                        }, {
                        'name': "Manager ZIG", 'login': 'manager.zig',
                        'groups': [('add', [ref('group_site_manager')])],
                        'sites': [('add', [site('ZIG').id])],
                        }, {
                        'name': "Manager DKR", 'login': 'manager.dkr',
                        'groups': [('add', [ref('group_site_manager')])],
                        'sites': [('add', [site('DKR').id])],
                        }])
            self.assertEqual(Certification.warn_expiring(self.today), [soon])
            self.assertEqual(Certification.warn_expiring(self.today), [])
            self.assertTrue(soon.warned)
            # HR (the new user and the admin, who holds every role) and
            # the manager of Awa's site are notified, once; not Dakar's
            hr_users = User.search([('groups', '=', ref('group_hr'))])
            self.assertIn(hr, hr_users)
            notifications = Transaction().user_notifications
            self.assertEqual(
                sorted(n.user.id for n in notifications),
                sorted({u.id for u in hr_users} | {zig.id}))
            self.assertNotIn(dkr.id, [n.user.id for n in notifications])
            for notification in notifications:
                self.assertIn("Label Marianne", notification.label)
                self.assertIn("Awa", notification.label)
                self.assertIn(
                    soon.expiry_date.strftime('%d/%m/%Y'),
                    notification.label)
                self.assertEqual(
                    (notification.model, notification.records),
                    ('agent.certification', f'[{soon.id}]'))
            self.assertEqual(
                (soon.state, later.state), ('expiring', 'valid'))
            self.assertEqual(
                Certification.search([('state', '=', 'expiring')]), [soon])
            self.assertEqual(
                Certification.search([('state', '!=', 'expiring')]), [later])

    @with_transaction()
    def test_compliance(self):
        "Sites short of Label Marianne agents or of qualified agents"
        pool = Pool()
        Compliance = pool.get('agent.compliance')
        Certification = pool.get('agent.certification')
        Procedure = pool.get('network.procedure')
        Skill = pool.get('agent.skill')
        company = create_company()
        procedures = Procedure.search([])
        with set_company(company):
            agents = create_agents(company, "A", "B", "C")
            for agent in agents:
                assign(agent, 'ZIG', self.today - dt.timedelta(days=10))
            training = create_training()
            Certification.create([{
                        'employee': a.id, 'training': training.id,
                        'date': self.today - dt.timedelta(days=5),
                        'expiry_date': self.today + dt.timedelta(days=365),
                        } for a in agents[:2]])
            Skill.create([{
                        'employee': agents[2].id, 'procedure': p.id}
                    for p in procedures[1:]])
            zig = site('ZIG')
            rows = Compliance.search([('site', '=', zig.id)])
            row, = rows
            self.assertEqual(
                (row.kind, row.procedure), ('procedure', procedures[0]))
            self.assertIn(procedures[0].name, row.reason)
            ths_rows = Compliance.search([('site', '=', site('THS').id)])
            self.assertEqual(len(ths_rows), 1 + len(procedures))
            marianne, = [r for r in ths_rows if r.kind == 'marianne']
            self.assertEqual(marianne.certified, 0)
            self.assertEqual(marianne.reason,
                "Fewer than 2 agents with a valid Label Marianne "
                "certification: 0.")

    @with_transaction()
    def test_import_agents(self):
        "Agents import from .xlsx and .xls only when every row is valid"
        pool = Pool()
        Employee = pool.get('company.employee')
        company = create_company()
        header = ['Matricule', 'Nom', 'Grade', 'Téléphone',
            "Date d'embauche", 'Langues', 'Site']
        bad = [header,
            ['SN001', 'Awa Ndiaye', 'Agent', '77 123 45 67', '02/01/2024',
                'Français, Wolof', 'ZIG'],
            ['SN001', '', 'Agent', '123', 'demain', 'Klingon', 'XXX']]
        with set_company(company):
            with self.assertRaises(UserError) as cm:
                run_wizard('agent.import', {'file_': xlsx(bad)},
                    company=company.id)
            message = str(cm.exception)
            for text in ['Row 3', 'Matricule', 'Nom', 'Téléphone',
                    "Date d'embauche", 'klingon', 'XXX']:
                self.assertIn(text, message)
            self.assertIn('6 errors', message)
            self.assertFalse(Employee.search([('matricule', '!=', None)]))
            good = [header,
                ['SN001', 'Awa Ndiaye', 'Agent', '77 123 45 67',
                    dt.datetime(2024, 1, 2), 'Français, Wolof', 'ZIG'],
                ['SN002', 'Moussa Diatta', 'Chef', None, None, None, None]]
            run_wizard('agent.import', {'file_': xlsx(good)},
                company=company.id)
            awa, = Employee.search([('matricule', '=', 'SN001')])
            self.assertEqual(awa.languages, ('fr', 'wo'))
            self.assertEqual(awa.hire_date, dt.date(2024, 1, 2))
            self.assertEqual(awa.current_site, site('ZIG'))
            self.assertEqual(awa.phone, '+221 77 123 45 67')
            run_wizard('agent.import', {'file_': xls([header,
                            ['SN003', 'Ibou Fall', 'Agent', '338211111',
                                '15/09/2023', 'Pulaar', 'THS']])},
                company=company.id)
            ibou, = Employee.search([('matricule', '=', 'SN003')])
            self.assertEqual(ibou.current_site, site('THS'))
            with self.assertRaises(UserError):
                run_wizard('agent.import', {'file_': b'not excel'},
                    company=company.id)

    @with_transaction()
    def test_import_agents_done(self):
        "The import says what it created and the upcoming agents are found"
        pool = Pool()
        Employee = pool.get('company.employee')
        Wizard = pool.get('agent.import', type='wizard')
        ActWindow = pool.get('ir.action.act_window')
        Domain = pool.get('ir.action.act_window.domain')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        later = self.today + dt.timedelta(days=30)
        header = ['Matricule', 'Nom', "Date d'embauche", 'Site']
        rows = [header,
            ['SN101', 'Awa Ndiaye', later.strftime('%d/%m/%Y'), 'ZIG'],
            ['SN102', 'Moussa Diatta', '02/01/2024', None]]
        with set_company(company), \
                Transaction().set_context(company=company.id):
            session_id, _, _ = Wizard.create()
            result = Wizard.execute(
                session_id, {'start': {'file_': xlsx(rows)}}, 'import_')
            view = result['view']
            self.assertEqual(view['state'], 'done')
            values = view['defaults']
            self.assertEqual(values['agents'], 2)
            self.assertEqual(values['assignments'], 1)
            self.assertEqual(values['upcoming'], 1)
            with Transaction().set_context(active_test=False):
                imported = Employee.search([
                        ('matricule', 'in', ['SN101', 'SN102'])])
            self.assertEqual(
                sorted(values['employees']), sorted(e.id for e in imported))
            result = Wizard.execute(session_id, {'done': values}, 'open_')
            action, = result['actions']
            action, _ = action
            self.assertEqual(action['name'], 'Imported Agents (2)')
            domain = PYSONDecoder().decode(action['pyson_domain'])
            context = PYSONDecoder().decode(action['pyson_context'])
            self.assertEqual(context['active_test'], False)
            with Transaction().set_context(context):
                self.assertEqual(len(Employee.search(domain)), 2)
            Wizard.delete(session_id)

            # The upcoming agent is hidden by the default active test but
            # found by the tabs of the agents list
            self.assertFalse(Employee.search([('matricule', '=', 'SN101')]))
            act_window = ActWindow(ModelData.get_id(
                    'agent_hr', 'act_employee_form'))
            tabs = {d.name: d for d in Domain.search([
                        ('act_window', '=', act_window.id)])}
            self.assertEqual(
                list(tabs), ['Current and Upcoming', 'Upcoming', 'All'])

            context = PYSONDecoder().decode(act_window.context)
            self.assertEqual(context['active_test'], False)

            def found(tab):
                domain = PYSONDecoder().decode(tabs[tab].domain)
                with Transaction().set_context(context):
                    return {e.matricule for e in Employee.search(
                            domain
                            + [('matricule', 'in', ['SN101', 'SN102'])])}
            self.assertEqual(found('Current and Upcoming'), {'SN101', 'SN102'})
            self.assertEqual(found('Upcoming'), {'SN101'})
            self.assertEqual(found('All'), {'SN101', 'SN102'})

    @with_transaction()
    def test_certification_expiry_default(self):
        "The expiry of a certification defaults from the training's validity"
        pool = Pool()
        Certification = pool.get('agent.certification')
        company = create_company()
        with set_company(company):
            training = create_training(validity=24)
            certification = Certification()
            certification.date = dt.date(2026, 1, 31)
            certification.on_change_date()
            self.assertIsNone(certification.expiry_date)
            certification.training = training
            certification.on_change_training()
            self.assertEqual(certification.expiry_date, dt.date(2028, 1, 31))
            certification.date = dt.date(2026, 3, 15)
            certification.on_change_date()
            self.assertEqual(certification.expiry_date, dt.date(2028, 3, 15))
            session = create_session(training)
            certification = Certification(training=training)
            certification.session = session
            certification.on_change_session()
            self.assertEqual(certification.date, session.end_date)
            self.assertEqual(
                certification.expiry_date,
                session.end_date + relativedelta(months=24))
            # Without validity, the expiry typed in is kept
            permanent = create_training(name="Accueil", validity=None)
            certification = Certification(
                date=dt.date(2026, 1, 31), expiry_date=dt.date(2030, 1, 1))
            certification.training = permanent
            certification.on_change_training()
            self.assertEqual(certification.expiry_date, dt.date(2030, 1, 1))

    @with_transaction()
    def test_import_attendance(self):
        "A session's attendance list imports with the scores"
        pool = Pool()
        Session = pool.get('agent.training.session')
        company = create_company()
        with set_company(company):
            awa, moussa = create_agents(company, "Awa", "Moussa")
            session = create_session(create_training())
            Session.confirm([session])
            first, second = enrol(session, [awa, moussa])
            header = ['Matricule', 'Date', 'Présent', 'Note']
            rows = [header,
                ['M001', '02/03/2026', 'oui', 14],
                ['M001', '03/03/2026', 'oui', 14],
                ['M002', '02/03/2026', 'non', '8,5'],
                ['M009', '09/03/2026', 'peut-être', 25]]
            with self.assertRaises(UserError) as cm:
                run_wizard('agent.training.attendance.import', {
                        'session': session.id, 'file_': xlsx(rows)})
            self.assertIn('4 errors', str(cm.exception))
            self.assertFalse(first.attendances)
            run_wizard('agent.training.attendance.import', {
                    'session': session.id, 'file_': xlsx(rows[:-1])})
            self.assertEqual(first.days_present, 2)
            self.assertEqual(second.days_present, 0)
            self.assertEqual(
                (first.score, second.score), (Decimal(14), Decimal('8.5')))

    @with_transaction()
    def test_access(self):
        "Staff see their sites' HR records; only HR reads grades and phones"
        pool = Pool()
        User = pool.get('res.user')
        Employee = pool.get('company.employee')
        Assignment = pool.get('agent.assignment')
        Certification = pool.get('agent.certification')
        ModelData = pool.get('ir.model.data')
        company = create_company()

        def group(name):
            return ModelData.get_id('service_network', name)
        with set_company(company):
            fatou, awa, moussa = create_agents(
                company, "Fatou", "Awa", "Moussa", grade="A2")
            for agent, code in [(fatou, 'ZIG'), (awa, 'ZIG'),
                    (moussa, 'THS')]:
                assign(agent, code, self.today)
            training = create_training()
            Certification.create([{
                        'employee': e.id, 'training': training.id,
                        'date': self.today} for e in [fatou, awa, moussa]])
            agent_user, manager_user = User.create([{
                        'login': login, 'name': login,
                        'groups': [('add', [group(g)])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [e.id])], 'employee': e.id,
                        } for login, g, e in [
                        ('fatou', 'group_site_agent', fatou),
                        ('awa', 'group_site_manager', awa)]])
            for user, expected in [
                    (agent_user, {fatou}), (manager_user, {fatou, awa})]:
                with Transaction().set_user(user.id), \
                        Transaction().set_context(_check_access=True):
                    self.assertEqual(
                        {c.employee for c in Certification.search([])},
                        expected)
                    self.assertEqual(
                        {a.site.code for a in Assignment.search([])},
                        {'ZIG'})
                    # names stay readable to show the agent on any record
                    self.assertEqual(len(Employee.search([])), 3)
                    with self.assertRaises(AccessError):
                        Employee.read([fatou.id], ['grade'])
                    with self.assertRaises(AccessError):
                        Employee.read([moussa.id], ['phone'])
            User.write([manager_user], {'groups': [('add', [
                                group('group_hr')])]})
            with Transaction().set_user(manager_user.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(len(Certification.search([])), 3)
                record, = Employee.read([moussa.id], ['grade'])
                self.assertEqual(record['grade'], 'A2')


    @with_transaction()
    def test_qualified_first(self):
        "The agent of a case is chosen among the qualified agents first"
        pool = Pool()
        Case = pool.get('case.case')
        Employee = pool.get('company.employee')
        Procedure = pool.get('network.procedure')
        Skill = pool.get('agent.skill')
        company = create_company()
        procedure, = Procedure.search([('code', '=', 'CJ-B3')])
        with set_company(company):
            anta, binta, zeynab = create_agents(
                company, "Anta", "Binta", "Zeynab")
            assign(anta, 'ZIG', self.today)
            assign(binta, 'THS', self.today)
            assign(zeynab, 'ZIG', self.today)
            # Binta is qualified at another site, Anta is not qualified
            Skill.create([{
                        'employee': e.id, 'procedure': procedure.id}
                    for e in [binta, zeynab]])
            # what the client sends when it searches the agent of a case
            field = Case.fields_get(['assignee'])['assignee']
            record = {'procedure': procedure.id, 'site': site('ZIG').id}
            decoder = PYSONDecoder(record)
            context = decoder.decode(field['search_context'])
            order = decoder.decode(field['search_order'])
            with Transaction().set_context(context):
                proposed = Employee.autocomplete('', [], 10, order)
                self.assertEqual(
                    [p['id'] for p in proposed],
                    [zeynab.id, anta.id, binta.id])
                self.assertEqual(
                    [e.qualified for e in Employee.browse(
                            [anta, binta, zeynab])],
                    [False, False, True])
                self.assertEqual(
                    Employee.search([('qualified', '=', True)]), [zeynab])
            # without a procedure nobody is qualified and the order is kept
            with Transaction().set_context(qualified_for_procedure=''):
                self.assertFalse(Employee(zeynab.id).qualified)
                self.assertEqual(
                    Employee.search([('qualified', '=', True)]), [])
            # the column shows in the search window of a case only
            view = Employee.fields_view_get(view_type='tree')
            self.assertIn('tree_invisible', view['arch'])

    @with_transaction()
    def test_workload(self):
        "Tickets served and cases handled per agent, site and period"
        pool = Pool()
        Case = pool.get('case.case')
        Ticket = pool.get('case.ticket')
        Party = pool.get('party.party')
        Procedure = pool.get('network.procedure')
        Sector = pool.get('network.sector')
        Workload = pool.get('agent.workload')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        procedure, = Procedure.search([('code', '=', 'CJ-B3')])
        sector, = Sector.search([('code', '=', 'J')])
        zig, ths = site('ZIG'), site('THS')
        now = dt.datetime.now()
        with set_company(company):
            awa, moussa = create_agents(company, "Awa", "Moussa")
            tickets = Ticket.create([{
                        'site': s.id, 'sector': sector.id,
                        'arrived_at': now - dt.timedelta(minutes=60)}
                    for s in [zig, zig, zig, ths]])
            for ticket, agent, minutes in zip(
                    tickets, [awa, awa, moussa, moussa], [10, 20, 5, 7],
                    strict=True):
                Ticket.write([ticket], {
                        'state': 'done', 'agent': agent.id,
                        'outcome': 'information',
                        'called_at': now - dt.timedelta(minutes=30),
                        'done_at': now - dt.timedelta(minutes=30 - minutes),
                        })
            # a ticket still at the counter is not served yet
            waiting, = Ticket.create([{
                        'site': zig.id, 'sector': sector.id}])
            Ticket.write([waiting], {
                    'state': 'called', 'agent': awa.id, 'called_at': now})
            citizen, = Party.create([{'name': "Citoyen"}])
            Case.create([{
                        'site': zig.id, 'citizen': citizen.id,
                        'procedure': procedure.id, 'assignee': a.id}
                    for a in [awa, awa, moussa]])

            def figures():
                return sorted(
                    (w.employee.party.name, w.site.code, w.tickets_served,
                        w.service_time, w.cases_handled, w.cases_delivered)
                    for w in Workload.search([]))
            with Transaction().set_context(
                    from_date=self.today, to_date=self.today):
                self.assertEqual(figures(), [
                        ('Awa', 'ZIG', 2, 15.0, 2, 0),
                        ('Moussa', 'THS', 1, 7.0, 0, 0),
                        ('Moussa', 'ZIG', 1, 5.0, 1, 0),
                        ])
            with Transaction().set_context(
                    from_date=self.today, to_date=self.today, site=ths.id):
                self.assertEqual(figures(), [
                        ('Moussa', 'THS', 1, 7.0, 0, 0)])
            with Transaction().set_context(
                    from_date=self.today - dt.timedelta(days=10),
                    to_date=self.today - dt.timedelta(days=1)):
                self.assertEqual(figures(), [])

            manager, = User.create([{
                        'login': 'manager.ths', 'name': "Manager",
                        'groups': [('add', [ModelData.get_id(
                                        'service_network',
                                        'group_site_manager')])],
                        'sites': [('add', [ths.id])],
                        }])
            with Transaction().set_user(manager.id), \
                    Transaction().set_context(
                        _check_access=True, from_date=self.today,
                        to_date=self.today):
                self.assertEqual(figures(), [
                        ('Moussa', 'THS', 1, 7.0, 0, 0)])

    @with_transaction()
    def test_workload_row_id_stable(self):
        """A workload row keeps its id, derived from its agent and site,
        whatever the site filtered and the work added later"""
        pool = Pool()
        Ticket = pool.get('case.ticket')
        Sector = pool.get('network.sector')
        Workload = pool.get('agent.workload')
        company = create_company()
        sector, = Sector.search([('code', '=', 'J')])
        zig, ths = site('ZIG'), site('THS')
        now = dt.datetime.now()

        def serve(agent, site):
            ticket, = Ticket.create([{
                        'site': site.id, 'sector': sector.id,
                        'arrived_at': now - dt.timedelta(minutes=20)}])
            Ticket.write([ticket], {
                    'state': 'done', 'agent': agent.id,
                    'outcome': 'information',
                    'called_at': now - dt.timedelta(minutes=10),
                    'done_at': now - dt.timedelta(minutes=5),
                    })

        def ids(**context):
            with Transaction().set_context(
                    from_date=self.today, to_date=self.today, **context):
                return {(w.employee, w.site): w.id
                    for w in Workload.search([])}
        with set_company(company):
            awa, moussa = create_agents(company, "Awa", "Moussa")
            serve(moussa, ths)
            serve(moussa, zig)
            before = ids()
            self.assertEqual(before[moussa, ths],
                moussa.id * 10 ** 6 + ths.id)
            self.assertEqual(ids(site=ths.id),
                {(moussa, ths): before[moussa, ths]})
            # Awa's work adds rows: Moussa's keep their ids
            serve(awa, ths)
            serve(awa, zig)
            after = ids()
            self.assertEqual(len(after), 4)
            self.assertEqual(
                {k: v for k, v in after.items() if k[0] == moussa}, before)
            with Transaction().set_context(
                    from_date=self.today, to_date=self.today):
                self.assertEqual(
                    Workload(before[moussa, zig]).tickets_served, 1)

    @with_transaction()
    def test_compliance_presence(self):
        "Where attendance is recorded, a qualified agent must be present"
        pool = Pool()
        Compliance = pool.get('agent.compliance')
        Procedure = pool.get('network.procedure')
        Skill = pool.get('agent.skill')
        Attendance = pool.get('attendance.line')
        company = create_company()
        procedure, = Procedure.search([('code', '=', 'CJ-B3')])
        zig = site('ZIG')
        with set_company(company):
            qualified, other = create_agents(company, "Awa", "Moussa")
            for agent in [qualified, other]:
                assign(agent, 'ZIG', self.today - dt.timedelta(days=10))
            Skill.create([{
                        'employee': qualified.id,
                        'procedure': procedure.id}])

            def shortfall():
                return Compliance.search([
                        ('site', '=', zig.id),
                        ('procedure', '=', procedure.id)])
            # no attendance recorded at the site: being assigned is enough
            self.assertEqual(shortfall(), [])
            now = dt.datetime.combine(self.today, dt.time(8, 30))
            Attendance.create([{
                        'company': company.id, 'employee': other.id,
                        'at': now, 'date': self.today, 'type': 'in'}])
            row, = shortfall()
            self.assertTrue(row.absent)
            self.assertIn('did not clock in', row.reason)
            Attendance.create([{
                        'company': company.id, 'employee': qualified.id,
                        'at': now + dt.timedelta(minutes=5),
                        'date': self.today, 'type': 'in'}])
            self.assertEqual(shortfall(), [])
            # another day without attendance: assignments count again
            with Transaction().set_context(
                    date=self.today - dt.timedelta(days=1)):
                self.assertEqual(shortfall(), [])

    @with_transaction()
    def test_attendance_access(self):
        "Agents see their attendance, managers their sites', HR everyone's"
        pool = Pool()
        User = pool.get('res.user')
        Attendance = pool.get('attendance.line')
        Sheet = pool.get('attendance.sheet')
        ModelData = pool.get('ir.model.data')
        company = create_company()

        def group(name):
            return ModelData.get_id('service_network', name)
        with set_company(company):
            fatou, awa, moussa, hr = create_agents(
                company, "Fatou", "Awa", "Moussa", "RH")
            for agent, code in [(fatou, 'ZIG'), (awa, 'ZIG'),
                    (moussa, 'THS')]:
                assign(agent, code, self.today)
            start = dt.datetime.combine(self.today, dt.time(8))
            Attendance.create([{
                        'company': company.id, 'employee': e.id,
                        'at': start + dt.timedelta(hours=h),
                        'date': self.today, 'type': t}
                    for e in [fatou, awa, moussa]
                    for h, t in [(0, 'in'), (9, 'out')]])
            users = User.create([{
                        'login': login, 'name': login,
                        'groups': [('add', [group(g)])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [e.id])], 'employee': e.id,
                        } for login, g, e in [
                        ('fatou', 'group_site_agent', fatou),
                        ('awa', 'group_site_manager', awa),
                        ('rh', 'group_hr', hr)]])
            expectations = [{fatou}, {fatou, awa}, {fatou, awa, moussa}]
            for user, expected in zip(users, expectations, strict=True):
                with Transaction().set_user(user.id), \
                        Transaction().set_context(
                            _check_access=True, company=company.id):
                    self.assertEqual(
                        {a.employee for a in Attendance.search([])},
                        expected)
                    self.assertEqual(
                        {s.employee for s in Sheet.search([])}, expected)
            # an agent records their own attendance only
            with Transaction().set_user(users[0].id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                Attendance.create([{
                            'company': company.id, 'employee': fatou.id,
                            'at': start + dt.timedelta(hours=10),
                            'date': self.today, 'type': 'in'}])
                with self.assertRaises(AccessError):
                    Attendance.create([{
                                'company': company.id,
                                'employee': moussa.id,
                                'at': start + dt.timedelta(hours=10),
                                'date': self.today, 'type': 'in'}])
            # a site manager records the attendance of the site's agents
            with Transaction().set_user(users[1].id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                Attendance.create([{
                            'company': company.id, 'employee': fatou.id,
                            'at': start + dt.timedelta(hours=11),
                            'date': self.today, 'type': 'out'}])
                with self.assertRaises(AccessError):
                    Attendance.create([{
                                'company': company.id,
                                'employee': moussa.id,
                                'at': start + dt.timedelta(hours=11),
                                'date': self.today, 'type': 'out'}])
            sheet, = Sheet.search([('employee', '=', fatou.id)])
            self.assertEqual(sheet.duration, dt.timedelta(hours=10))


class AgentHrFrenchTestCase(unittest.TestCase):
    "Messages reach HR in French"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('agent_hr', lang='fr')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        # the next test restores its database under the same name
        drop_db()

    @with_transaction(context={'language': 'fr'})
    def test_french_messages(self):
        company = create_company()
        with set_company(company):
            fatou, = create_agents(company, "Fatou Sané")
            assign(fatou, 'THS', dt.date(2025, 1, 1))
            with self.assertRaises(ValidationError) as cm:
                assign(fatou, 'ZIG', dt.date(2025, 6, 1))
            self.assertIn('affecté', str(cm.exception))
            with self.assertRaises(UserError) as cm:
                run_wizard('agent.import', {'file_': xlsx([
                                ['Matricule', 'Nom'], ['', 'X']])},
                    company=company.id)
            self.assertIn('Ligne 2', str(cm.exception))
            awa, = create_agents(company, "Awa Ndiaye", matricule='A001')
            with self.assertRaises(ValidationError) as cm:
                assign_agents([awa, fatou], {'site': site('ZIG').id})
            self.assertIn(
                "Aucune affectation n'a été créée", str(cm.exception))
            self.assertIn("[M001] Fatou Sané", str(cm.exception))
            self.assertIn("sans date de fin", str(cm.exception))
