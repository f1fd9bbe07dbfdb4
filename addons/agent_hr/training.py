"""The training catalogue, sessions, enrolments and daily attendance."""
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    Index,
    ModelSQL,
    ModelView,
    Unique,
    Workflow,
    fields,
)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If

from service_network.protection import ReadonlyGuardMixin

from .exceptions import EnrolmentValidationError, SessionError
from .skill import LEVELS

KINDS = [
    ('marianne', "Label Marianne Reception Quality"),
    ('procedure', "Procedure Handling"),
    ('digital', "Digital Tools"),
    ('security', "Security"),
    ]
MAX_SCORE = Decimal(20)
# Share of the session days an agent must attend to pass
MIN_ATTENDANCE = Decimal('0.8')


class Training(ReadonlyGuardMixin, DeactivableMixin, ModelSQL, ModelView):
    "Training of the catalogue"
    __name__ = 'agent.training'
    name = fields.Char("Name", required=True, translate=True)
    kind = fields.Selection(KINDS, "Kind", required=True, sort=False)
    procedure = fields.Many2One(
        'network.procedure', "Procedure",
        states={
            'invisible': Eval('kind') != 'procedure',
            'required': Eval('kind') == 'procedure',
            },
        help="The procedure whose handling the training teaches.")
    skill_level = fields.Selection(
        LEVELS, "Skill Level", sort=False,
        states={
            'invisible': Eval('kind') != 'procedure',
            'required': Eval('kind') == 'procedure',
            },
        help="The level of the skill given to the agents who pass.")
    duration = fields.Integer(
        "Duration (days)", required=True,
        domain=[('duration', '>', 0)])
    certifying = fields.Boolean(
        "Certifying", help="Agents who pass receive a certification.")
    validity = fields.Integer(
        "Validity (months)",
        domain=[If(Eval('validity'), ('validity', '>', 0), ())],
        states={
            'invisible': ~Eval('certifying'),
            },
        help="How long the certification stays valid; "
        "leave empty for no expiry.")
    passing_score = fields.Numeric(
        "Passing Score (out of 20)", digits=(4, 2), required=True,
        domain=[('passing_score', '>=', 0), ('passing_score', '<=', 20)])
    description = fields.Text("Description")
    sessions = fields.One2Many(
        'agent.training.session', 'training', "Sessions", readonly=True)

    @classmethod
    def default_kind(cls):
        return 'marianne'

    @classmethod
    def default_duration(cls):
        return 1

    @classmethod
    def default_skill_level(cls):
        return 'basic'

    @classmethod
    def default_passing_score(cls):
        return Decimal(10)


class Session(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Session of a training"
    __name__ = 'agent.training.session'
    _states = {'readonly': Eval('state') != 'draft'}

    training = fields.Many2One(
        'agent.training', "Training", required=True, states=_states)
    start_date = fields.Date(
        "Start Date", required=True, states=_states,
        domain=[If(Eval('end_date'),
                ('start_date', '<=', Eval('end_date')), ())])
    end_date = fields.Date(
        "End Date", required=True, states=_states,
        domain=[If(Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    site = fields.Many2One(
        'network.site', "Site", states=_states,
        help="The site hosting the session; leave empty when it is held "
        "elsewhere.")
    place = fields.Char(
        "Place", states={
            'readonly': Eval('state') != 'draft',
            'invisible': Bool(Eval('site')),
            },
        help="Where the session is held when not at a site.")
    trainer = fields.Many2One(
        'party.party', "Trainer or Organisation", states=_states,
        help="The trainer, consulting firm or programme giving the session.")
    capacity = fields.Integer(
        "Capacity", required=True, states=_states,
        domain=[('capacity', '>', 0)])
    enrolments = fields.One2Many(
        'agent.training.enrolment', 'session', "Enrolments",
        states={
            'readonly': Eval('state').in_(['done', 'cancelled']),
            })
    enrolled = fields.Function(fields.Integer("Enrolled"), 'get_enrolled')
    state = fields.Selection([
            ('draft', "Draft"),
            ('confirmed', "Confirmed"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality())))
        cls._order.insert(0, ('start_date', 'DESC'))
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('confirmed', 'draft'),
            ('confirmed', 'done'),
            ('draft', 'cancelled'),
            ('confirmed', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['confirmed', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': Eval('state') != 'confirmed',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'confirmed']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_capacity(cls):
        return 20

    @fields.depends('training', 'start_date')
    def on_change_training(self):
        if self.training and self.start_date:
            self.end_date = self.start_date + relativedelta(
                days=self.training.duration - 1)

    def get_rec_name(self, name):
        return f'{self.training.name} ({self.start_date})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('training.name',) + tuple(clause[1:])]

    def get_enrolled(self, name):
        return len(self.enrolments)

    @property
    def days(self):
        return (self.end_date - self.start_date).days + 1

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, sessions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, sessions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, sessions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, sessions):
        "Evaluate the enrolled agents, then certify and qualify who passed"
        pool = Pool()
        Enrolment = pool.get('agent.training.enrolment')
        Certification = pool.get('agent.certification')
        Skill = pool.get('agent.skill')
        enrolments = [e for s in sessions for e in s.enrolments]
        for enrolment in enrolments:
            if enrolment.score is None:
                raise SessionError(gettext(
                        'agent_hr.msg_session_score_missing',
                        session=enrolment.session.rec_name,
                        employee=enrolment.employee.rec_name))
            enrolment.result = enrolment.evaluate()
        Enrolment.save(enrolments)
        passed = [e for e in enrolments if e.result == 'passed']
        certifications = [
            e.get_certification() for e in passed
            if e.session.training.certifying]
        Certification.save(certifications)
        Skill.save(list(filter(None, (e.get_skill() for e in passed))))


class Enrolment(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Agent enrolled in a training session"
    __name__ = 'agent.training.enrolment'
    session = fields.Many2One(
        'agent.training.session', "Session", required=True,
        ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Agent", required=True, ondelete='CASCADE')
    attendances = fields.One2Many(
        'agent.training.attendance', 'enrolment', "Attendance")
    days_present = fields.Function(
        fields.Integer("Days Present"), 'get_days_present')
    score = fields.Numeric(
        "Score (out of 20)", digits=(4, 2),
        domain=[If(Bool(Eval('score')),
                [('score', '>=', 0), ('score', '<=', 20)], [])],
        help="The evaluation score, out of 20.")
    result = fields.Selection([
            (None, "Pending"),
            ('passed', "Passed"),
            ('failed', "Failed"),
            ], "Result", readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('session_employee_unique', Unique(t, t.session, t.employee),
                'agent_hr.msg_enrolment_unique'),
            ]

    def get_rec_name(self, name):
        return f'{self.employee.rec_name} - {self.session.rec_name}'

    def get_days_present(self, name):
        return len({a.date for a in self.attendances if a.present})

    def evaluate(self):
        "Return the result of the agent from the score and attendance"
        training = self.session.training
        attended = Decimal(self.days_present) / self.session.days
        if (self.score >= training.passing_score
                and attended >= MIN_ATTENDANCE):
            return 'passed'
        return 'failed'

    def get_certification(self):
        pool = Pool()
        Certification = pool.get('agent.certification')
        session = self.session
        training = session.training
        expiry_date = None
        if training.validity:
            expiry_date = session.end_date + relativedelta(
                months=training.validity)
        return Certification(
            employee=self.employee, training=training, session=session,
            date=session.end_date, expiry_date=expiry_date)

    def get_skill(self):
        "Return the skill given by a procedure training, None if none"
        pool = Pool()
        Skill = pool.get('agent.skill')
        training = self.session.training
        if training.kind != 'procedure' or not training.procedure:
            return None
        skills = Skill.search([
                ('employee', '=', self.employee.id),
                ('procedure', '=', training.procedure.id),
                ], limit=1)
        skill = skills[0] if skills else Skill(
            employee=self.employee, procedure=training.procedure)
        levels = [level for level, _ in Skill.level.selection]
        if (skill.id is None or skill.id < 0
                or levels.index(training.skill_level)
                >= levels.index(skill.level)):
            skill.level = training.skill_level
            skill.training = training
            skill.date = self.session.end_date
        return skill

    @classmethod
    def validate_fields(cls, enrolments, field_names):
        super().validate_fields(enrolments, field_names)
        if field_names is None or {'session', 'employee'} & field_names:
            cls.check_capacity(enrolments)

    @classmethod
    def check_capacity(cls, enrolments):
        for session in {e.session for e in enrolments}:
            count = cls.search_count([('session', '=', session.id)])
            if count > session.capacity:
                raise EnrolmentValidationError(gettext(
                        'agent_hr.msg_session_full',
                        session=session.rec_name,
                        capacity=session.capacity,
                        count=count))

    @classmethod
    def check_modification(cls, mode, enrolments, values=None,
            external=False):
        super().check_modification(
            mode, enrolments, values=values, external=external)
        if mode == 'create' or (values and 'session' in values):
            # enrolments are only modified before the session closes
            for enrolment in enrolments:
                if enrolment.session.state in {'done', 'cancelled'}:
                    raise SessionError(gettext(
                            'agent_hr.msg_session_closed',
                            session=enrolment.session.rec_name))


class Attendance(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Presence of an enrolled agent on one day of a session"
    __name__ = 'agent.training.attendance'
    enrolment = fields.Many2One(
        'agent.training.enrolment', "Enrolment", required=True,
        ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    present = fields.Boolean("Present")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('enrolment_date_unique', Unique(t, t.enrolment, t.date),
                'agent_hr.msg_attendance_unique'),
            ]
        cls._order.insert(0, ('date', 'ASC'))

    @classmethod
    def default_present(cls):
        return True

    @classmethod
    def validate_fields(cls, attendances, field_names):
        super().validate_fields(attendances, field_names)
        if field_names is None or {'enrolment', 'date'} & field_names:
            for attendance in attendances:
                session = attendance.enrolment.session
                if not (session.start_date <= attendance.date
                        <= session.end_date):
                    raise EnrolmentValidationError(gettext(
                            'agent_hr.msg_attendance_date',
                            date=attendance.date.strftime('%d/%m/%Y'),
                            session=session.rec_name))
