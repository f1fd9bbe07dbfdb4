"""Maintenance requests, corrective and preventive, and the reliability of
equipment per category and site (mean time between failures and to
repair)."""
import datetime as dt

from sql import Null
from sql.aggregate import Count, Min

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If

from service_network.protection import ReadonlyGuardMixin

from .equipment import MONEY_DIGITS, now
from .exceptions import MaintenanceError

OPEN_STATES = ['requested', 'assigned', 'in_progress']


class Maintenance(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Maintenance request for a piece of equipment"
    __name__ = 'equipment.maintenance'
    _states = {'readonly': Eval('state') != 'requested'}
    _done = {'readonly': Eval('state').in_(['done', 'cancelled'])}

    kind = fields.Selection([
            ('corrective', "Corrective"),
            ('preventive', "Preventive"),
            ], "Kind", required=True, states=_states)
    equipment = fields.Many2One(
        'equipment.equipment', "Equipment", required=True, states=_states,
        ondelete='CASCADE')
    category = fields.Function(
        fields.Many2One('equipment.category', "Category"),
        'on_change_with_category', searcher='search_category')
    site = fields.Many2One(
        'network.site', "Site", required=True, readonly=True)
    incident = fields.Many2One(
        'equipment.incident', "Incident", states=_states,
        domain=[('site', '=', Eval('site', -1))])
    description = fields.Text("Description", states=_done)
    requested_at = fields.DateTime(
        "Requested on", required=True, states=_states)
    due_date = fields.Date(
        "Due Date", states=_states,
        help="For a preventive maintenance, the date it is due.")
    technician = fields.Many2One(
        'company.employee', "Technician", states=_done)
    supplier = fields.Many2One(
        'party.party', "Supplier", states=_done,
        help="The company that does the work, when not a technician.")
    started_at = fields.DateTime("Started on", readonly=True)
    done_at = fields.DateTime("Done on", readonly=True)
    outcome = fields.Selection([
            (None, ''),
            ('repaired', "Repaired"),
            ('replaced', "Replaced"),
            ], "Outcome", states={
            'readonly': Eval('state').in_(['done', 'cancelled']),
            'invisible': Eval('kind') != 'corrective',
            },
        help="Replaced: the equipment is retired and its replacement "
        "put in service.")
    replacement = fields.Many2One(
        'equipment.equipment', "Replacement", states={
            'readonly': Eval('state').in_(['done', 'cancelled']),
            'invisible': Eval('outcome') != 'replaced',
            'required': (
                (Eval('outcome') == 'replaced')
                & (Eval('state') == 'done')),
            },
        domain=[
            ('site', '=', Eval('site', -1)),
            ('id', '!=', Eval('equipment', -1)),
            If(Eval('state') != 'done',
                ('state', '=', 'in_service'), ()),
            ])
    cost = fields.Numeric(
        "Cost (XOF)", digits=MONEY_DIGITS, states=_done,
        domain=['OR', ('cost', '=', None), ('cost', '>=', 0)])
    repair_hours = fields.Float(
        "Time to Repair (hours)", digits=(16, 1), readonly=True,
        help="From the request to the end of the work.")
    age = fields.Function(
        fields.Integer("Age (days)"), 'get_age')
    state = fields.Selection([
            ('requested', "Requested"),
            ('assigned', "Assigned"),
            ('in_progress', "In Progress"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    del _states, _done

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    where=t.state.in_(OPEN_STATES)),
                Index(t, (t.equipment, Index.Equality())),
                })
        cls._order = [('requested_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('requested', 'assigned'),
            ('assigned', 'in_progress'),
            ('in_progress', 'done'),
            ('requested', 'cancelled'),
            ('assigned', 'cancelled'),
            ('in_progress', 'cancelled'),
            }
        cls._buttons.update({
                'assign': {
                    'invisible': Eval('state') != 'requested',
                    'depends': ['state'],
                    },
                'start': {
                    'invisible': Eval('state') != 'assigned',
                    'depends': ['state'],
                    },
                'done': {
                    'invisible': Eval('state') != 'in_progress',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'requested'

    @classmethod
    def default_kind(cls):
        return 'corrective'

    @classmethod
    def default_requested_at(cls):
        return now()

    @fields.depends('equipment')
    def on_change_with_category(self, name=None):
        return self.equipment.category if self.equipment else None

    @classmethod
    def search_category(cls, name, clause):
        return [('equipment.' + clause[0], *clause[1:])]

    @fields.depends('equipment')
    def on_change_equipment(self):
        if self.equipment:
            self.site = self.equipment.site

    @classmethod
    def copy(cls, maintenances, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'requested')
        for name in ['started_at', 'done_at', 'repair_hours']:
            default.setdefault(name, None)
        return super().copy(maintenances, default=default)

    def get_rec_name(self, name):
        return f'{self.equipment.rec_name} ({self.id})'

    def get_age(self, name):
        end = self.done_at or now()
        return (end - self.requested_at).days

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('site') and values.get(
                'equipment'):
            values['site'] = Equipment(values['equipment']).site.id
        return values

    @classmethod
    @ModelView.button
    @Workflow.transition('assigned')
    def assign(cls, maintenances):
        for maintenance in maintenances:
            if not (maintenance.technician or maintenance.supplier):
                raise MaintenanceError(gettext(
                        'site_equipment.msg_maintenance_assign',
                        maintenance=maintenance.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start(cls, maintenances):
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        Equipment.change_state(
            [m.equipment for m in maintenances
                if m.kind == 'corrective' and m.equipment.state in {
                    'in_service', 'damaged'}],
            'under_repair')
        cls.write(maintenances, {'started_at': now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, maintenances):
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        for maintenance in maintenances:
            equipment = maintenance.equipment
            if maintenance.kind == 'corrective':
                if not maintenance.outcome:
                    raise MaintenanceError(gettext(
                            'site_equipment.msg_maintenance_outcome',
                            maintenance=maintenance.rec_name))
                if maintenance.outcome == 'replaced':
                    if not maintenance.replacement:
                        raise MaintenanceError(gettext(
                                'site_equipment.msg_maintenance_replacement',
                                maintenance=maintenance.rec_name))
                    Equipment.change_state(
                        [equipment], 'retired', origin=maintenance,
                        reason=maintenance.replacement.rec_name)
                else:
                    Equipment.change_state(
                        [equipment], 'in_service', origin=maintenance)
            maintenance.done_at = now()
            maintenance.repair_hours = round((
                    maintenance.done_at - maintenance.requested_at
                    ).total_seconds() / 3600, 1)
        cls.save(maintenances)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, maintenances):
        pass

    @classmethod
    def generate_preventive(cls, date=None):
        "Request the preventive maintenances due on date (default today)"
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        if date is None:
            date = Pool().get('ir.date').today()
        equipments = Equipment.search([
                ('state', '=', 'in_service'),
                ('category.preventive_period', '!=', None),
                ])
        previous = {}
        for maintenance in cls.search([
                    ('kind', '=', 'preventive'),
                    ('equipment', 'in', [e.id for e in equipments]),
                    ('state', '!=', 'cancelled'),
                    ], order=[('requested_at', 'ASC')]):
            previous[maintenance.equipment] = maintenance
        requests = []
        for equipment in equipments:
            last = previous.get(equipment)
            if last and last.state != 'done':
                continue  # one open preventive request at a time
            if last:
                start = last.done_at.date()
            else:
                start = (equipment.purchase_date
                    or equipment.create_date.date())
            due = start + dt.timedelta(
                days=equipment.category.preventive_period)
            if due <= date:
                requests.append(cls(
                        kind='preventive', equipment=equipment,
                        site=equipment.site, due_date=due))
        cls.save(requests)
        return requests


class Reliability(ModelSQL, ModelView):
    "Reliability of equipment per category and site"
    __name__ = 'equipment.reliability'
    category = fields.Many2One('equipment.category', "Category")
    site = fields.Many2One('network.site', "Site")
    failures = fields.Integer("Failures")
    mtbf = fields.Function(fields.Float(
            "Mean Time Between Failures (days)", digits=(16, 1)),
        'get_means')
    mttr = fields.Function(fields.Float(
            "Mean Time to Repair (hours)", digits=(16, 1)),
        'get_means')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('site', 'ASC'), ('category', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Maintenance = pool.get('equipment.maintenance')
        Equipment = pool.get('equipment.equipment')
        maintenance = Maintenance.__table__()
        equipment = Equipment.__table__()
        return maintenance.join(equipment,
            condition=maintenance.equipment == equipment.id
            ).select(
                Min(maintenance.id).as_('id'),
                equipment.category.as_('category'),
                maintenance.site.as_('site'),
                Count(maintenance.id).as_('failures'),
                where=(maintenance.kind == 'corrective')
                & (maintenance.state != 'cancelled')
                & (maintenance.site != Null),
                group_by=[equipment.category, maintenance.site])

    @classmethod
    def get_means(cls, records, names):
        pool = Pool()
        Maintenance = pool.get('equipment.maintenance')
        result = {n: {r.id: None for r in records} for n in names}
        for record in records:
            failures = Maintenance.search([
                    ('kind', '=', 'corrective'),
                    ('state', '!=', 'cancelled'),
                    ('site', '=', record.site.id),
                    ('equipment.category', '=', record.category.id),
                    ], order=[('requested_at', 'ASC')])
            dates = [m.requested_at for m in failures]
            if 'mtbf' in result and len(dates) > 1:
                result['mtbf'][record.id] = round(
                    (dates[-1] - dates[0]).total_seconds()
                    / 86400 / (len(dates) - 1), 1)
            hours = [m.repair_hours for m in failures
                if m.repair_hours is not None]
            if 'mttr' in result and hours:
                result['mttr'][record.id] = round(
                    sum(hours) / len(hours), 1)
        return result


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('equipment.maintenance|generate_preventive',
                "Request Preventive Maintenances"))


