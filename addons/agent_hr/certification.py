"""Certifications obtained by passing a certifying training session."""
import datetime as dt
import logging

from dateutil.relativedelta import relativedelta

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pyson import Eval, If

from service_network.notify import group_users, notify, site_managers
from service_network.protection import ReadonlyGuardMixin

from .assignment import context_date
from .training import KINDS

logger = logging.getLogger(__name__)
# How long before expiry HR and the site manager are warned
WARNING_DAYS = 60


class Certification(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Certification of an agent"
    __name__ = 'agent.certification'
    employee = fields.Many2One(
        'company.employee', "Agent", required=True, ondelete='CASCADE')
    training = fields.Many2One(
        'agent.training', "Training", required=True, ondelete='RESTRICT',
        domain=[('certifying', '=', True)])
    kind = fields.Function(
        fields.Selection(KINDS, "Kind"), 'on_change_with_kind')
    session = fields.Many2One(
        'agent.training.session', "Session", ondelete='SET NULL',
        domain=[('training', '=', Eval('training', -1))])
    date = fields.Date("Obtained on", required=True)
    expiry_date = fields.Date(
        "Expires on",
        domain=[If(Eval('expiry_date') & Eval('date'),
                ('expiry_date', '>', Eval('date')), ())])
    state = fields.Function(fields.Selection([
                ('valid', "Valid"),
                ('expiring', "Expiring"),
                ('expired', "Expired"),
                ], "State"), 'get_state', searcher='search_state')
    warned = fields.Boolean(
        "Warned", readonly=True,
        help="HR and the site manager were warned of the coming expiry.")
    warned_date = fields.Date("Warned on", readonly=True)
    current_site = fields.Function(
        fields.Many2One('network.site', "Current Site"),
        'get_current_site')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.expiry_date, Index.Range())))
        cls._order.insert(0, ('expiry_date', 'ASC'))

    @classmethod
    def default_warned(cls):
        return False

    @fields.depends('session', 'training', 'date', 'expiry_date')
    def on_change_session(self):
        if self.session and not self.date:
            self.date = self.session.end_date
        self.on_change_date()

    @fields.depends('training', 'date', 'expiry_date')
    def on_change_training(self):
        self.on_change_date()

    @fields.depends('training', 'date', 'expiry_date')
    def on_change_date(self):
        "The expiry defaults to the obtention date plus the validity"
        self.expiry_date = self.validity_expiry_date() or self.expiry_date

    def validity_expiry_date(self):
        "Return the date plus the training's validity, or None"
        if self.training and self.training.validity and self.date:
            return self.date + relativedelta(months=self.training.validity)

    @fields.depends('training')
    def on_change_with_kind(self, name=None):
        return self.training.kind if self.training else None

    def get_rec_name(self, name):
        return f'{self.training.name} - {self.employee.rec_name}'

    def get_current_site(self, name):
        site = self.employee.current_site
        return site.id if site else None

    @classmethod
    def valid_domain(cls, date=None):
        "Domain of the certifications valid at date (default: today)"
        date = date or context_date()
        return ['AND',
            ('date', '<=', date),
            ['OR', ('expiry_date', '=', None), ('expiry_date', '>=', date)],
            ]

    def get_state(self, name):
        date = context_date()
        if self.expiry_date is None:
            return 'valid'
        if self.expiry_date < date:
            return 'expired'
        if self.expiry_date <= date + dt.timedelta(days=WARNING_DAYS):
            return 'expiring'
        return 'valid'

    @classmethod
    def search_state(cls, name, clause):
        _, operator, value = clause
        date = context_date()
        limit = date + dt.timedelta(days=WARNING_DAYS)
        domains = {
            'valid': ['OR',
                ('expiry_date', '=', None),
                ('expiry_date', '>', limit)],
            'expiring': [
                ('expiry_date', '>=', date),
                ('expiry_date', '<=', limit)],
            'expired': [('expiry_date', '<', date)],
            }
        values = {value} if isinstance(value, str) else set(value or [])
        if operator in {'!=', 'not in'}:
            values = domains.keys() - values
        return ['OR', *(domains[v] for v in sorted(values) if v in domains)]

    @classmethod
    def warn_expiring(cls, date=None):
        """Scheduled task: flag the certifications expiring within
        WARNING_DAYS and log a warning for HR and the site managers"""
        date = date or context_date()
        certifications = cls.search([
                ('warned', '=', False),
                ('expiry_date', '>=', date),
                ('expiry_date', '<=', date + dt.timedelta(days=WARNING_DAYS)),
                ])
        hr = group_users('service_network', 'group_hr')
        for certification in certifications:
            site = certification.employee.current_site
            logger.warning(
                "certification %s of %s at %s expires on %s",
                certification.training.name,
                certification.employee.rec_name,
                site.code if site else '-', certification.expiry_date)
            notify(hr + (site_managers(site) if site else []),
                [certification],
                'agent_hr.msg_certification_expiring_notification',
                training=certification.training.rec_name,
                agent=certification.employee.rec_name,
                date=certification.expiry_date.strftime('%d/%m/%Y'))
        cls.write(certifications, {'warned': True, 'warned_date': date})
        return certifications
