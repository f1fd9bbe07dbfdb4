"""Site assignments of agents, the user–site link that follows them, and
the wizard assigning several agents to a site at once."""
import logging

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from service_network.protection import ReadonlyGuardMixin

from .exceptions import AssignmentValidationError
from .protection import check_hr_user

logger = logging.getLogger(__name__)


def context_date():
    "The date of the context, else today in Dakar"
    return Transaction().context.get('date') or Pool().get('ir.date').today()


def running_condition(table, date):
    "SQL condition of the rows of table (from_date, to_date) running at date"
    return ((table.from_date <= date)
        & ((table.to_date == Null) | (table.to_date >= date)))


class Assignment(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Period during which an agent works at a site"
    __name__ = 'agent.assignment'
    employee = fields.Many2One(
        'company.employee', "Agent", required=True, ondelete='CASCADE')
    site = fields.Many2One(
        'network.site', "Site", required=True, ondelete='RESTRICT')
    counter = fields.Many2One(
        'network.counter', "Counter", ondelete='SET NULL',
        domain=[('site', '=', Eval('site', -1))])
    sector = fields.Many2One(
        'network.sector', "Sector", ondelete='SET NULL',
        help="The sector served when the agent has no fixed counter.")
    from_date = fields.Date(
        "From Date", required=True,
        domain=[If(Eval('to_date'),
                ('from_date', '<=', Eval('to_date')), ())])
    to_date = fields.Date(
        "To Date",
        domain=[If(Eval('to_date') & Eval('from_date'),
                ('to_date', '>=', Eval('from_date')), ())],
        help="Leave empty while the assignment runs.")
    current = fields.Function(
        fields.Boolean("Current"), 'get_current', searcher='search_current')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.employee, Index.Range()),
                    (t.from_date, Index.Range())),
                Index(t, (t.site, Index.Range())),
                })
        cls._order.insert(0, ('from_date', 'DESC'))

    @classmethod
    def default_from_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('counter', 'sector')
    def on_change_counter(self):
        if self.counter:
            self.sector = self.counter.sector

    def get_rec_name(self, name):
        return f'{self.employee.rec_name} @ {self.site.code}'

    @classmethod
    def current_domain(cls, date=None):
        "Domain of the assignments running at date (default: today)"
        date = date or context_date()
        return ['AND',
            ('from_date', '<=', date),
            ['OR', ('to_date', '=', None), ('to_date', '>=', date)],
            ]

    def get_current(self, name):
        date = context_date()
        return (self.from_date <= date
            and (self.to_date is None or self.to_date >= date))

    @classmethod
    def search_current(cls, name, clause):
        _, operator, value = clause
        date = context_date()
        if (operator == '=') == bool(value):
            return cls.current_domain(date)
        return ['OR', ('from_date', '>', date), ('to_date', '<', date)]

    @classmethod
    def validate_fields(cls, assignments, field_names):
        super().validate_fields(assignments, field_names)
        if field_names is None or {
                'employee', 'from_date', 'to_date'} & field_names:
            cls.check_overlap(assignments)

    @classmethod
    def check_overlap(cls, assignments):
        for assignment, other in cls.overlaps(assignments):
            raise AssignmentValidationError(
                assignment.overlap_message(other))

    @classmethod
    def overlaps(cls, assignments):
        """Yield (assignment, other) for each of assignments (saved or not)
        overlapping another stored assignment of the same agent"""
        for assignment in assignments:
            domain = [
                ('employee', '=', assignment.employee.id),
                ['OR',
                    ('to_date', '=', None),
                    ('to_date', '>=', assignment.from_date)],
                ]
            if assignment.id is not None and assignment.id >= 0:
                domain.append(('id', '!=', assignment.id))
            if assignment.to_date:
                domain.append(('from_date', '<=', assignment.to_date))
            others = cls.search(domain, limit=1)
            if others:
                other, = others
                yield assignment, other

    def overlap_message(self, other):
        "The message refusing self because it overlaps other"
        values = {
            'employee': self.employee.rec_name,
            'site': self.site.rec_name,
            'other_site': other.site.rec_name,
            'from_date': other.from_date.strftime('%d/%m/%Y'),
            }
        if other.to_date is None:
            return gettext('agent_hr.msg_assignment_overlap_open', **values)
        return gettext('agent_hr.msg_assignment_overlap',
            to_date=other.to_date.strftime('%d/%m/%Y'), **values)

    @classmethod
    def on_modification(cls, mode, assignments, field_names=None):
        super().on_modification(mode, assignments, field_names=field_names)
        if mode in {'create', 'write'}:
            cls.sync_user_sites({a.employee for a in assignments})

    @classmethod
    def on_write(cls, assignments, values):
        callbacks = super().on_write(assignments, values)
        if {'employee', 'site', 'from_date', 'to_date'} & values.keys():
            # the previous agents may lose a site
            employees = {a.employee for a in assignments}
            callbacks.append(lambda: cls.sync_user_sites(employees))
        return callbacks

    @classmethod
    def on_delete(cls, assignments):
        callbacks = super().on_delete(assignments)
        employees = {a.employee for a in assignments}
        callbacks.append(lambda: cls.sync_user_sites(employees))
        return callbacks

    @classmethod
    def sync_user_sites(cls, employees=None):
        """Set the sites of the users of employees (default: every assigned
        agent) to the sites of their current assignments.

        Users whose employees were never assigned keep their sites."""
        pool = Pool()
        User = pool.get('res.user')
        if employees is None:
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(table.employee, distinct=True))
            employee_ids = [e for e, in cursor]
        else:
            employee_ids = [e.id for e in employees]
        if not employee_ids:
            return
        users = User.search(['OR',
                ('employees', 'in', employee_ids),
                ('employee', 'in', employee_ids),
                ])
        to_write = []
        for user in users:
            user_employees = {e.id for e in user.employees}
            if user.employee:
                user_employees.add(user.employee.id)
            assignments = cls.search(
                [('employee', 'in', list(user_employees))])
            if not assignments:
                continue
            sites = {a.site.id for a in assignments if a.current}
            old_sites = {s.id for s in user.sites}
            if sites != old_sites:
                to_write.extend([[user], {'sites': [
                                ('remove', sorted(old_sites - sites)),
                                ('add', sorted(sites - old_sites)),
                                ]}])
                logger.info(
                    "sites of user %s set to %s", user.login, sorted(sites))
        if to_write:
            User.write(*to_write)

    @classmethod
    def sync_all_user_sites(cls):
        "Scheduled task: the user–site link follows today's assignments"
        cls.sync_user_sites()


class AssignAgentsStart(ModelView):
    "Assign Agents to a Site"
    __name__ = 'agent.assignment.assign.start'
    employees = fields.Many2Many(
        'company.employee', None, None, "Agents", required=True,
        context={'active_test': False},
        help="The agents to assign: one assignment is created for each.")
    site = fields.Many2One('network.site', "Site", required=True)
    counter = fields.Many2One(
        'network.counter', "Counter",
        domain=[('site', '=', Eval('site', -1))])
    sector = fields.Many2One(
        'network.sector', "Sector",
        help="The sector served when the agents have no fixed counter.")
    from_date = fields.Date(
        "From Date", required=True,
        domain=[If(Eval('to_date'),
                ('from_date', '<=', Eval('to_date')), ())])
    to_date = fields.Date(
        "To Date",
        domain=[If(Eval('to_date') & Eval('from_date'),
                ('to_date', '>=', Eval('from_date')), ())],
        help="Leave empty while the assignments run.")

    @classmethod
    def default_from_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('site', 'counter')
    def on_change_site(self):
        if self.counter and self.counter.site != self.site:
            self.counter = None

    @fields.depends('counter', 'sector')
    def on_change_counter(self):
        if self.counter:
            self.sector = self.counter.sector


class AssignAgents(Wizard):
    """Assign several agents to a site in one step: every assignment is
    checked before any is created, and none is created if one is refused"""
    __name__ = 'agent.assignment.assign'
    start = StateView('agent.assignment.assign.start',
        'agent_hr.assignment_assign_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Assign", 'assign', 'tryton-ok', default=True),
            ])
    assign = StateAction('agent_hr.act_assignment_form')

    def default_start(self, fields):
        "The agents selected in the agents list"
        context = Transaction().context
        if context.get('active_model') == 'company.employee':
            return {'employees': list(context.get('active_ids') or [])}
        return {}

    def do_assign(self, action):
        check_hr_user(self)
        Assignment = Pool().get('agent.assignment')
        assignments = self.new_assignments()
        Assignment.save(assignments)
        action['name'] = gettext('agent_hr.msg_assign_open_name',
            count=len(assignments), site=self.start.site.code)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', [a.id for a in assignments])])
        # assignments starting later are not current yet
        action['domains'] = []
        return action, {}

    def new_assignments(self):
        "Return the unsaved assignments, or raise every refusal at once"
        Assignment = Pool().get('agent.assignment')
        start = self.start
        if not start.employees:
            raise AssignmentValidationError(
                gettext('agent_hr.msg_assign_no_agent'))
        if start.to_date and start.to_date < start.from_date:
            raise AssignmentValidationError(gettext(
                    'agent_hr.msg_assign_dates',
                    from_date=start.from_date.strftime('%d/%m/%Y'),
                    to_date=start.to_date.strftime('%d/%m/%Y')))
        if start.counter and start.counter.site != start.site:
            raise AssignmentValidationError(gettext(
                    'agent_hr.msg_assign_counter_site',
                    counter=start.counter.rec_name,
                    site=start.site.rec_name))
        assignments = [Assignment(
                employee=employee, site=start.site, counter=start.counter,
                sector=start.sector, from_date=start.from_date,
                to_date=start.to_date)
            for employee in start.employees]
        refusals = [assignment.overlap_message(other)
            for assignment, other in Assignment.overlaps(assignments)]
        if refusals:
            raise AssignmentValidationError(gettext(
                    'agent_hr.msg_assign_overlaps',
                    count=len(refusals), refusals='\n'.join(refusals)))
        return assignments


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('agent.assignment|sync_all_user_sites',
                    "Update the Sites of Users from Assignments"),
                ('agent.certification|warn_expiring',
                    "Warn of Expiring Certifications"),
                ])
