"""Incidents: breakdown, vandalism, theft, fire, flood. A serious incident
closes its site until the rehabilitation is done."""
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from service_network.protection import ReadonlyGuardMixin

from .equipment import MONEY_DIGITS
from .exceptions import IncidentError

KINDS = [
    ('breakdown', "Breakdown"),
    ('vandalism', "Vandalism"),
    ('theft', "Theft"),
    ('fire', "Fire"),
    ('flood', "Flood"),
    ]
# Incidents the police must have recorded
POLICE_KINDS = {'vandalism', 'theft'}


class Incident(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Incident at a site"
    __name__ = 'equipment.incident'
    _states = {'readonly': Eval('state') != 'draft'}
    _cost = {'readonly': Eval('state').in_(['resolved', 'cancelled'])}

    kind = fields.Selection(KINDS, "Kind", required=True, states=_states)
    kind_string = kind.translated('kind')
    date = fields.Date("Date", required=True, states=_states)
    site = fields.Many2One(
        'network.site', "Site", required=True, states=_states)
    description = fields.Text("Description", required=True, states=_states)
    equipments = fields.Many2Many(
        'equipment.incident-equipment.equipment', 'incident', 'equipment',
        "Equipment Affected", states=_states,
        domain=[('site', '=', Eval('site', -1))],
        help="Stolen equipment becomes stolen, the rest damaged, "
        "when the incident is reported.")
    police_report = fields.Char(
        "Police Report", states=_states,
        help="Reference of the police report, required for theft "
        "and vandalism.")
    estimated_cost = fields.Numeric(
        "Estimated Cost (XOF)", digits=MONEY_DIGITS, states=_cost,
        domain=['OR',
            ('estimated_cost', '=', None),
            ('estimated_cost', '>=', 0),
            ])
    actual_cost = fields.Numeric(
        "Actual Cost (XOF)", digits=MONEY_DIGITS, states=_cost,
        domain=['OR',
            ('actual_cost', '=', None),
            ('actual_cost', '>=', 0),
            ],
        help="Repairs and replacements; the sum of the maintenance costs "
        "when left empty.")
    close_site = fields.Boolean(
        "Close the Site", states=_states,
        help="The site closes when the incident is reported and reopens "
        "when it is resolved, after the rehabilitation.")
    planned_reopening = fields.Date(
        "Planned Reopening", states={
            'readonly': Eval('state') != 'draft',
            'invisible': ~Eval('close_site'),
            })
    rehabilitation_work = fields.Text(
        "Rehabilitation Work", states={
            'readonly': Eval('state').in_(['resolved', 'cancelled']),
            'invisible': ~Eval('close_site'),
            })
    rehabilitation_cost = fields.Numeric(
        "Rehabilitation Cost (XOF)", digits=MONEY_DIGITS, states={
            'readonly': Eval('state').in_(['resolved', 'cancelled']),
            'invisible': ~Eval('close_site'),
            },
        domain=['OR',
            ('rehabilitation_cost', '=', None),
            ('rehabilitation_cost', '>=', 0),
            ])
    reopening_date = fields.Date(
        "Reopened on", readonly=True,
        states={'invisible': ~Eval('close_site')})
    total_cost = fields.Function(
        fields.Numeric("Total Cost (XOF)", digits=MONEY_DIGITS),
        'get_total_cost')
    maintenances = fields.One2Many(
        'equipment.maintenance', 'incident', "Repairs", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('reported', "Reported"),
            ('resolved', "Resolved"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    del _states, _cost

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.site, Index.Equality()), (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'reported'),
            ('reported', 'resolved'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'report': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'resolve': {
                    'invisible': Eval('state') != 'reported',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_close_site(cls):
        return False

    @classmethod
    def copy(cls, incidents, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        for name in ['maintenances', 'actual_cost', 'reopening_date']:
            default.setdefault(name, None)
        return super().copy(incidents, default=default)

    def get_rec_name(self, name):
        date = self.date.strftime('%d/%m/%Y')
        return f'{self.kind_string} - {self.site.code} - {date}'

    def get_total_cost(self, name):
        return sum(filter(None, [
                    self.actual_cost, self.rehabilitation_cost]), 0)

    @property
    def repair_cost(self):
        return sum(m.cost or 0 for m in self.maintenances
            if m.state == 'done')

    @classmethod
    @ModelView.button
    @Workflow.transition('reported')
    def report(cls, incidents):
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        Maintenance = pool.get('equipment.maintenance')
        Site = pool.get('network.site')
        requests = []
        for incident in incidents:
            if incident.kind in POLICE_KINDS and not incident.police_report:
                raise IncidentError(gettext(
                        'site_equipment.msg_incident_police_report',
                        incident=incident.rec_name))
            stolen = incident.kind == 'theft'
            Equipment.change_state(
                incident.equipments, 'stolen' if stolen else 'damaged',
                reason=incident.description, origin=incident)
            if not stolen:
                requests.extend(Maintenance(
                        kind='corrective', equipment=e, site=e.site,
                        incident=incident,
                        description=incident.description)
                    for e in incident.equipments)
            if incident.close_site and incident.site.state == 'open':
                site = incident.site
                site.closure_reason = incident.rec_name + '\n' + (
                    incident.description)
                site.closure_planned_end = incident.planned_reopening
                # Reporting the incident is the authority to close its site
                with without_check_access():
                    site.save()
                    Site.close([site])
        Maintenance.save(requests)

    @classmethod
    @ModelView.button
    @Workflow.transition('resolved')
    def resolve(cls, incidents):
        pool = Pool()
        Site = pool.get('network.site')
        for incident in incidents:
            if any(m.state not in {'done', 'cancelled'}
                    for m in incident.maintenances):
                raise IncidentError(gettext(
                        'site_equipment.msg_incident_open_maintenance',
                        incident=incident.rec_name))
            if incident.actual_cost is None:
                incident.actual_cost = incident.repair_cost
            if incident.close_site and incident.site.state != 'open':
                if incident.rehabilitation_cost is None:
                    raise IncidentError(gettext(
                            'site_equipment.msg_incident_rehabilitation',
                            incident=incident.rec_name,
                            site=incident.site.rec_name))
                with without_check_access():
                    Site.reopen([incident.site])
                incident.reopening_date = Pool().get('ir.date').today()
        cls.save(incidents)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, incidents):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, incidents):
        pass


class IncidentEquipment(ModelSQL):
    "Equipment affected by an incident"
    __name__ = 'equipment.incident-equipment.equipment'
    incident = fields.Many2One(
        'equipment.incident', "Incident", required=True, ondelete='CASCADE')
    equipment = fields.Many2One(
        'equipment.equipment', "Equipment", required=True,
        ondelete='CASCADE')
