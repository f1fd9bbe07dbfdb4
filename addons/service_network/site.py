import datetime as dt

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    Index,
    ModelSQL,
    ModelView,
    Unique,
    Workflow,
    fields,
    sequence_ordered,
)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from .exceptions import SiteStateError, SiteValidationError
from .phone import check_sn_phone, format_sn_phone
from .protection import ReadonlyGuardMixin
from .rec_names import column_names, rows_by_ids
from .search import search_fields

WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]


class Sector(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Sector of activity: groups procedures and the counters serving them"
    __name__ = 'network.sector'
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", required=True, size=3,
        help="The letter that prefixes queue tickets (e.g. B for B-042).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'service_network.msg_sector_code_unique'),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('code'):
            values['code'] = values['code'].strip().upper()
        return values


class Site(
        ReadonlyGuardMixin, DeactivableMixin, Workflow, ModelSQL, ModelView):
    "Espace Sénégal Services or shared-service centre"
    __name__ = 'network.site'
    _states = {'readonly': ~Eval('active', True)}

    code = fields.Char(
        "Code", required=True, size=5, states=_states,
        help="Short code used in case numbers, e.g. ZIG for Ziguinchor.")
    name = fields.Char("Name", required=True, states=_states)
    kind = fields.Selection([
            ('ess', "Espace Sénégal Services"),
            ('shared', "Shared-service centre"),
            ], "Kind", required=True, states=_states)
    region = fields.Many2One(
        'country.subdivision', "Region", required=True, states=_states,
        domain=[
            ('country.code', '=', 'SN'),
            ('type', '=', 'region'),
            ])
    department = fields.Many2One(
        'country.subdivision', "Department", required=True, states=_states,
        domain=[
            ('country.code', '=', 'SN'),
            ('type', '=', 'department'),
            ])
    street = fields.Text("Address", states=_states)
    city = fields.Char("City", states=_states)
    phone = fields.Char("Phone", states=_states)
    email = fields.Char("Email", states=_states)
    manager = fields.Many2One(
        'company.employee', "Site Manager", states=_states)
    opening_days = fields.MultiSelection(
        WEEKDAYS, "Opening Days", sort=False, states=_states)
    opening_time = fields.Time("Opens at", required=True, states=_states)
    closing_time = fields.Time("Closes at", required=True, states=_states)
    counters = fields.One2Many(
        'network.counter', 'site', "Counters", states=_states)
    state = fields.Selection([
            ('open', "Open"),
            ('works', "Closed for Works"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    closure_reason = fields.Text(
        "Closure Reason",
        states={
            'readonly': Eval('state') != 'open',
            },
        help="Why the site closes: required to close it.")
    closure_planned_end = fields.Date(
        "Planned Reopening",
        states={
            'readonly': Eval('state') != 'open',
            })
    closures = fields.One2Many(
        'network.site.closure', 'site', "Closures", readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'service_network.msg_site_code_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality())))
        cls._order.insert(0, ('code', 'ASC'))
        cls._transitions |= {
            ('open', 'works'),
            ('open', 'closed'),
            ('works', 'open'),
            ('closed', 'open'),
            ('works', 'closed'),
            }
        cls._buttons.update({
                'close_for_works': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') == 'closed',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') == 'open',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_kind(cls):
        return 'ess'

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_opening_days(cls):
        return ('0', '1', '2', '3', '4')

    @classmethod
    def default_opening_time(cls):
        return dt.time(8, 0)

    @classmethod
    def default_closing_time(cls):
        return dt.time(17, 0)

    @classmethod
    def get_rec_name(cls, sites, name):
        return column_names(cls, sites, ['code', 'name'],
            lambda code, name: f'[{code}] {name}')

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_fields(clause, ['code', 'name'])

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('code'):
            values['code'] = values['code'].strip().upper()
        if values.get('phone'):
            values['phone'] = format_sn_phone(values['phone'])
        return values

    @classmethod
    def validate_fields(cls, sites, field_names):
        super().validate_fields(sites, field_names)
        for site in sites:
            site.check_department(field_names)
            site.check_opening_hours(field_names)
            if field_names is None or 'phone' in field_names:
                check_sn_phone(site.phone,
                    cls.__names__('phone')['field'], site.rec_name)

    def check_department(self, field_names=None):
        if field_names and not {'region', 'department'} & field_names:
            return
        if self.department.parent != self.region:
            raise SiteValidationError(gettext(
                    'service_network.msg_site_department_region',
                    site=self.rec_name,
                    department=self.department.name,
                    region=self.region.name))

    def check_opening_hours(self, field_names=None):
        if (field_names
                and not {'opening_time', 'closing_time'} & field_names):
            return
        if self.closing_time <= self.opening_time:
            raise SiteValidationError(gettext(
                    'service_network.msg_site_opening_hours',
                    site=self.rec_name))

    @fields.depends('department', 'region')
    def on_change_department(self):
        if self.department:
            self.region = self.department.parent

    @property
    def is_open(self):
        return self.state == 'open'

    @classmethod
    def _close(cls, sites, kind):
        pool = Pool()
        Closure = pool.get('network.site.closure')
        closures = []
        for site in sites:
            if not site.closure_reason:
                raise SiteStateError(gettext(
                        'service_network.msg_site_closure_reason',
                        site=site.rec_name))
            if site.state != 'open':
                # from works to closed: the running closure changes kind
                continue
            closures.append(Closure(
                    site=site, kind=kind, reason=site.closure_reason,
                    start_date=Pool().get('ir.date').today(),
                    planned_end_date=site.closure_planned_end))
        Closure.save(closures)

    @classmethod
    @ModelView.button
    @Workflow.transition('works')
    def close_for_works(cls, sites):
        cls._close(sites, 'works')

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, sites):
        pool = Pool()
        Closure = pool.get('network.site.closure')
        cls._close(sites, 'closed')
        running = Closure.search([
                ('site', 'in', [s.id for s in sites]),
                ('end_date', '=', None),
                ])
        Closure.write(running, {'kind': 'closed'})

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def reopen(cls, sites):
        pool = Pool()
        Closure = pool.get('network.site.closure')
        running = Closure.search([
                ('site', 'in', [s.id for s in sites]),
                ('end_date', '=', None),
                ])
        Closure.write(running, {'end_date': Pool().get('ir.date').today()})
        cls.write(sites, {
                'closure_reason': None,
                'closure_planned_end': None,
                })


class SiteClosure(ModelSQL, ModelView):
    "Period when a site was closed, kept as history"
    __name__ = 'network.site.closure'
    site = fields.Many2One(
        'network.site', "Site", required=True, ondelete='CASCADE')
    kind = fields.Selection([
            ('works', "Closed for Works"),
            ('closed', "Closed"),
            ], "Kind", required=True)
    reason = fields.Text("Reason", required=True)
    start_date = fields.Date("Closed on", required=True)
    planned_end_date = fields.Date("Planned Reopening")
    end_date = fields.Date("Reopened on")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('start_date', 'DESC'))


class Counter(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Counter (box) of a site serving one sector"
    __name__ = 'network.counter'
    site = fields.Many2One(
        'network.site', "Site", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    sector = fields.Many2One('network.sector', "Sector", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('site_name_unique', Unique(t, t.site, t.name),
                'service_network.msg_counter_name_unique'),
            ]

    @classmethod
    def get_rec_name(cls, counters, name):
        # the three names only: the counter's and its site's code from
        # their columns in one query, the sectors' translated names
        pool = Pool()
        Sector = pool.get('network.sector')
        Site = pool.get('network.site')
        counter = cls.__table__()
        site = Site.__table__()
        rows = list(rows_by_ids(
                counter.join(site, condition=counter.site == site.id),
                counter.id, [counter.name, site.code, counter.sector],
                [c.id for c in counters]))
        with without_check_access():
            sectors = {s.id: s.name
                for s in Sector.browse(sorted({r[3] for r in rows}))}
        return {counter_id: f"{code} - {name} ({sectors[sector]})"
            for counter_id, name, code, sector in rows}
