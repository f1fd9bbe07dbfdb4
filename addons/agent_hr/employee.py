"""Agents are Tryton employees with a staff number, a grade, the languages
they speak, a phone and the history of their site assignments."""
from sql import Literal
from sql.conditionals import Case
from sql.operators import Exists

from trytond import backend
from trytond.model import Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from service_network.phone import check_sn_phone, format_sn_phone
from service_network.search import search_fields

from .assignment import context_date, running_condition

LANGUAGES = [
    ('fr', "French"),
    ('wo', "Wolof"),
    ('ff', "Pulaar"),
    ('srr', "Serer"),
    ('dyo', "Diola"),
    ('mnk', "Mandinka"),
    ('snk', "Soninke"),
    ('en', "English"),
    ('ar', "Arabic"),
    ]


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'
    matricule = fields.Char(
        "Staff Number", help="The staff number (matricule) of the agent.")
    grade = fields.Char("Grade")
    languages = fields.MultiSelection(
        LANGUAGES, "Languages Spoken", sort=False)
    phone = fields.Char("Phone", help="The personal phone of the agent.")
    hire_date = fields.Date("Hire Date")
    assignments = fields.One2Many(
        'agent.assignment', 'employee', "Assignments")
    current_site = fields.Function(
        fields.Many2One('network.site', "Current Site"),
        'get_current_site', searcher='search_current_site')
    skills = fields.One2Many('agent.skill', 'employee', "Skills")
    certifications = fields.One2Many(
        'agent.certification', 'employee', "Certifications", readonly=True)
    qualified = fields.Function(
        fields.Boolean(
            "Qualified",
            help="Skilled for the procedure and currently assigned to the "
            "site of the record being edited (a case)."),
        'get_qualified', searcher='search_qualified')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('matricule_unique', Unique(t, t.matricule),
                'agent_hr.msg_employee_matricule_unique'),
            ]

    @classmethod
    def view_attributes(cls):
        # The column shows only where a procedure is given (choosing the
        # agent of a case)
        return super().view_attributes() + [
            ('//field[@name="qualified"]', 'tree_invisible',
                ~Eval('qualified_for_procedure')),
            ]

    def get_rec_name(self, name):
        name = super().get_rec_name(name)
        if self.matricule:
            name = f'[{self.matricule}] {name}'
        return name

    @classmethod
    def search_rec_name(cls, name, clause):
        domain = search_fields(clause, ['matricule'])
        domain.append(super().search_rec_name(name, clause))
        return domain

    @classmethod
    def get_current_site(cls, employees, name):
        pool = Pool()
        Assignment = pool.get('agent.assignment')
        sites = dict.fromkeys((e.id for e in employees), None)
        for assignment in Assignment.search([
                    ('employee', 'in', list(sites)),
                    Assignment.current_domain(),
                    ], order=[('from_date', 'ASC')]):
            sites[assignment.employee.id] = assignment.site.id
        return sites

    @classmethod
    def search_current_site(cls, name, clause):
        pool = Pool()
        Assignment = pool.get('agent.assignment')
        _, operator, operand, *extra = clause
        return [('assignments', 'where', [
                    ('site', operator, operand, *extra),
                    Assignment.current_domain(),
                    ])]

    @classmethod
    def _qualification(cls):
        """Return the procedure and site ids the context asks the agents to
        be qualified for (context keys qualified_for_procedure and
        qualified_at_site), or None when no procedure is given"""
        context = Transaction().context
        procedure = context.get('qualified_for_procedure')
        site = context.get('qualified_at_site')
        if not isinstance(procedure, int) or procedure < 0:
            return None
        if not isinstance(site, int) or site < 0:
            site = None
        return procedure, site

    @classmethod
    def _qualified_condition(cls, employee, procedure, site):
        "SQL condition of the employees skilled for procedure working at site"
        pool = Pool()
        Skill = pool.get('agent.skill')
        Assignment = pool.get('agent.assignment')
        skill = Skill.__table__()
        assignment = Assignment.__table__()
        condition = Exists(skill.select(Literal(1),
                where=(skill.employee == employee.id)
                & (skill.procedure == procedure)))
        if site is not None:
            condition &= Exists(assignment.select(Literal(1),
                    where=(assignment.employee == employee.id)
                    & (assignment.site == site)
                    & running_condition(assignment, context_date())))
        return condition

    @classmethod
    def get_qualified(cls, employees, name):
        qualification = cls._qualification()
        ids = [e.id for e in employees]
        qualified = set()
        if qualification is not None:
            employee = cls.__table__()
            cursor = Transaction().connection.cursor()
            for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
                cursor.execute(*employee.select(employee.id,
                        where=reduce_ids(employee.id, sub_ids)
                        & cls._qualified_condition(
                            employee, *qualification)))
                qualified.update(i for i, in cursor)
        return {i: i in qualified for i in ids}

    @classmethod
    def search_qualified(cls, name, clause):
        _, operator, value = clause
        wanted = (operator == '=') == bool(value)
        qualification = cls._qualification()
        if qualification is None:
            # without a procedure nobody is qualified
            return [('id', '=', -1)] if wanted else []
        employee = cls.__table__()
        query = employee.select(employee.id,
            where=cls._qualified_condition(employee, *qualification))
        return [('id', 'in' if wanted else 'not in', query)]

    @classmethod
    def order_qualified(cls, tables):
        table, _ = tables[None]
        qualification = cls._qualification()
        if qualification is None:
            return [Literal(0)]
        return [Case(
                (cls._qualified_condition(table, *qualification), 1),
                else_=0)]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('matricule'):
            values['matricule'] = values['matricule'].strip().upper()
        if values.get('phone'):
            values['phone'] = format_sn_phone(values['phone'])
        return values

    @classmethod
    def validate_fields(cls, employees, field_names):
        super().validate_fields(employees, field_names)
        if field_names is None or 'phone' in field_names:
            for employee in employees:
                check_sn_phone(employee.phone,
                    cls.__names__('phone')['field'], employee.rec_name)


class Rule(metaclass=PoolMeta):
    "Add the current user's employees to the record-rule context"
    __name__ = 'ir.rule'

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        return (*super()._get_cache_key(model_names), User.get_employees())

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        context['employees'] = list(User.get_employees())
        return context



class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        pool = Pool()
        Assignment = pool.get('agent.assignment')
        super().on_modification(mode, users, field_names=field_names)
        if mode != 'delete' and (
                field_names is None
                or {'employees', 'employee'} & field_names):
            # a user linked to an agent works at the agent's sites
            Assignment.sync_user_sites(
                {e for u in users for e in u.employees}
                | {u.employee for u in users if u.employee})
