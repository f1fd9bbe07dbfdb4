"""Sites that fall short of the staffing rules of the network.

A site needs at least MIN_MARIANNE agents currently assigned with a valid
Label Marianne certification, and for every active procedure at least one
qualified agent currently assigned. A site that records the attendance of
its agents (someone assigned there clocked in or out that day) needs that
qualified agent present: clocked in that day."""
from sql import Cast, Literal, Null
from sql.aggregate import Count
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp
from sql.operators import Exists

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool

from .assignment import context_date, running_condition

MIN_MARIANNE = 2
# Rows of one site: the Label Marianne row, then one per procedure
ID_STRIDE = 100000


class Compliance(ModelSQL, ModelView):
    "Staffing shortfall of a site"
    __name__ = 'agent.compliance'
    site = fields.Many2One('network.site', "Site", readonly=True)
    kind = fields.Selection([
            ('marianne', "Label Marianne"),
            ('procedure', "Procedure"),
            ], "Kind", readonly=True, sort=False)
    procedure = fields.Many2One(
        'network.procedure', "Procedure", readonly=True)
    certified = fields.Integer(
        "Certified Agents", readonly=True,
        help="Agents currently assigned with a valid Label Marianne "
        "certification.")
    absent = fields.Boolean(
        "Qualified Agents Absent", readonly=True,
        help="Qualified agents are assigned but none clocked in that day.")
    reason = fields.Function(fields.Char("Reason"), 'get_reason')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('site', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        return cls._marianne_query() | cls._procedure_query()

    @classmethod
    def _site_columns(cls):
        return [
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            Cast(Null, 'INTEGER').as_('write_uid'),
            Cast(Null, 'TIMESTAMP').as_('write_date'),
            ]

    @classmethod
    def _marianne_query(cls):
        pool = Pool()
        Site = pool.get('network.site')
        Assignment = pool.get('agent.assignment')
        Certification = pool.get('agent.certification')
        Training = pool.get('agent.training')
        site = Site.__table__()
        assignment = Assignment.__table__()
        certification = Certification.__table__()
        training = Training.__table__()
        date = context_date()

        certified = (assignment
            .join(certification,
                condition=certification.employee == assignment.employee)
            .join(training, condition=certification.training == training.id)
            .select(
                assignment.site.as_('site'),
                Count(assignment.employee, distinct=True).as_('count'),
                where=running_condition(assignment, date)
                & (training.kind == 'marianne')
                & (certification.date <= date)
                & ((certification.expiry_date == Null)
                    | (certification.expiry_date >= date)),
                group_by=[assignment.site]))
        count = Coalesce(certified.count, 0)
        return (site
            .join(certified, 'LEFT', condition=certified.site == site.id)
            .select(
                (site.id * ID_STRIDE).as_('id'),
                *cls._site_columns(),
                site.id.as_('site'),
                Literal('marianne').as_('kind'),
                Cast(Null, 'INTEGER').as_('procedure'),
                count.as_('certified'),
                Literal(False).as_('absent'),
                where=cls._site_condition(site) & (count < MIN_MARIANNE)))

    @classmethod
    def _procedure_query(cls):
        pool = Pool()
        Site = pool.get('network.site')
        Procedure = pool.get('network.procedure')
        Assignment = pool.get('agent.assignment')
        Skill = pool.get('agent.skill')
        site = Site.__table__()
        procedure = Procedure.__table__()
        assignment = Assignment.__table__()
        skill = Skill.__table__()
        date = context_date()

        assigned_condition = ((assignment.site == site.id)
            & (skill.procedure == procedure.id)
            & running_condition(assignment, date))
        skilled = (assignment
            .join(skill, condition=skill.employee == assignment.employee))
        # qualified agents assigned, and those of them present
        assigned_qualified = skilled.select(
            Literal(1), where=assigned_condition)
        present_qualified = skilled.select(Literal(1),
            where=assigned_condition
            & cls._presence_condition(site, assignment, date))
        return (site.join(procedure, 'CROSS')
            .select(
                (site.id * ID_STRIDE + procedure.id).as_('id'),
                *cls._site_columns(),
                site.id.as_('site'),
                Literal('procedure').as_('kind'),
                procedure.id.as_('procedure'),
                Cast(Null, 'INTEGER').as_('certified'),
                Exists(assigned_qualified).as_('absent'),
                where=cls._site_condition(site)
                & (procedure.active == Literal(True))
                & ~Exists(present_qualified)))

    @classmethod
    def _presence_condition(cls, site, assignment, date):
        """SQL condition: the agent of assignment clocked in at date, or
        nobody assigned to site recorded an attendance at date"""
        pool = Pool()
        Assignment = pool.get('agent.assignment')
        Attendance = pool.get('attendance.line')
        line = Attendance.__table__()
        recorder = Assignment.__table__()
        recorded_line = Attendance.__table__()
        present = line.select(Literal(1),
            where=(line.employee == assignment.employee)
            & (line.date == date) & (line.type == 'in'))
        recorded = (recorded_line
            .join(recorder,
                condition=recorder.employee == recorded_line.employee)
            .select(Literal(1),
                where=(recorder.site == site.id)
                & running_condition(recorder, date)
                & (recorded_line.date == date)))
        return Exists(present) | ~Exists(recorded)

    @classmethod
    def _site_condition(cls, site):
        return (site.active == Literal(True)) & (site.state == 'open')

    def get_reason(self, name):
        if self.kind == 'marianne':
            return gettext('agent_hr.msg_compliance_marianne',
                minimum=MIN_MARIANNE, count=self.certified)
        if self.absent:
            lang = Pool().get('ir.lang').get()
            return gettext('agent_hr.msg_compliance_procedure_absent',
                procedure=self.procedure.rec_name,
                date=lang.strftime(context_date()))
        return gettext('agent_hr.msg_compliance_procedure',
            procedure=self.procedure.rec_name)
