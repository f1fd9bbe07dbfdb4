"""Agents are Tryton employees with a staff number, a grade, the languages
they speak, a phone and the history of their site assignments."""
from trytond.model import Unique, fields
from trytond.pool import Pool, PoolMeta

from service_network.phone import check_sn_phone, format_sn_phone
from service_network.search import search_fields

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

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('matricule_unique', Unique(t, t.matricule),
                'agent_hr.msg_employee_matricule_unique'),
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
