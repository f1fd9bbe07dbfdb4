"""The register: categories, pieces of equipment and their history."""
import datetime as dt

from sql import Null

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    Index,
    ModelSQL,
    ModelView,
    Unique,
    fields,
)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from service_network.protection import ReadonlyGuardMixin
from service_network.search import search_fields

from .exceptions import EquipmentValidationError

STATES = [
    ('in_service', "In Service"),
    ('under_repair', "Under Repair"),
    ('damaged', "Damaged"),
    ('stolen', "Stolen"),
    ('missing', "To Investigate"),
    ('retired', "Retired"),
    ]
# Equipment that an inventory expects to find
PRESENT_STATES = ['in_service', 'under_repair', 'damaged', 'missing']
MONEY_DIGITS = (16, 0)  # XOF has no decimals


def now():
    return dt.datetime.now()


class Category(DeactivableMixin, ModelSQL, ModelView):
    "Category of equipment"
    __name__ = 'equipment.category'
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", required=True,
        help="Short code used in imported registers, e.g. PC, PRN.")
    preventive_period = fields.Integer(
        "Preventive Period (days)",
        domain=['OR',
            ('preventive_period', '=', None),
            ('preventive_period', '>', 0),
            ],
        help="Days between two preventive maintenances; "
        "empty for none.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'site_equipment.msg_category_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('code'):
            values['code'] = values['code'].strip().upper()
        return values


class Equipment(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Piece of equipment of a site"
    __name__ = 'equipment.equipment'
    category = fields.Many2One(
        'equipment.category', "Category", required=True)
    brand = fields.Char("Brand")
    model = fields.Char("Model")
    serial_number = fields.Char(
        "Serial Number", help="Unique within a category.")
    asset_tag = fields.Char(
        "Asset Tag", help="The network's inventory label, unique.")
    supplier = fields.Many2One('party.party', "Supplier")
    purchase_date = fields.Date("Purchase Date")
    purchase_value = fields.Numeric(
        "Purchase Value (XOF)", digits=MONEY_DIGITS,
        domain=['OR',
            ('purchase_value', '=', None),
            ('purchase_value', '>=', 0),
            ])
    warranty_end = fields.Date(
        "Warranty End",
        domain=[If(Eval('warranty_end') & Eval('purchase_date'),
                ('warranty_end', '>=', Eval('purchase_date')),
                ())])
    under_warranty = fields.Function(
        fields.Boolean("Under Warranty"), 'get_under_warranty')
    site = fields.Many2One(
        'network.site', "Site", required=True,
        states={
            'readonly': Eval('id', -1) >= 0,
            },
        help="Changed by a transfer once it is received.")
    counter = fields.Many2One(
        'network.counter', "Counter",
        domain=[('site', '=', Eval('site', -1))])
    holder = fields.Many2One(
        'company.employee', "Held by",
        help="The agent to whom the equipment is handed.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    notes = fields.Text("Notes")
    quantity = fields.Function(
        fields.Integer("Quantity", help="1: used to count in graphs."),
        'get_quantity')
    history = fields.One2Many(
        'equipment.move', 'equipment', "History", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('serial_unique', Unique(t, t.category, t.serial_number),
                'site_equipment.msg_equipment_serial_unique'),
            ('asset_tag_unique', Unique(t, t.asset_tag),
                'site_equipment.msg_equipment_asset_tag_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.site, Index.Equality()),
                    (t.state, Index.Equality())),
                Index(t, (t.serial_number, Index.Equality()),
                    where=t.serial_number != Null),
                })
        cls._order = [('site', 'ASC'), ('category', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'retire': {
                    'invisible': Eval('state') == 'retired',
                    'depends': ['state'],
                    },
                'reinstate': {
                    'invisible': Eval('state') == 'in_service',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'in_service'

    @property
    def designation(self):
        "The category, brand and model: what the equipment is"
        return ' '.join(filter(None, [
                    self.category.name, self.brand, self.model]))

    @property
    def label_code(self):
        """The code printed and encoded on the equipment's label: the asset
        tag, else the serial number (both found by the inventory count)"""
        return self.asset_tag or self.serial_number

    def get_rec_name(self, name):
        code = self.label_code or str(self.id)
        return f'[{code}] {self.designation}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_fields(
            clause, ['asset_tag', 'serial_number', 'brand', 'model'])

    def get_quantity(self, name):
        return 1

    def get_under_warranty(self, name):
        pool = Pool()
        Date = pool.get('ir.date')
        return bool(self.warranty_end and self.warranty_end >= Date.today())

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        for name in ['serial_number', 'asset_tag']:
            if name in values:
                values[name] = (values[name] or '').strip().upper() or None
        return values

    @classmethod
    def validate_fields(cls, equipments, field_names):
        super().validate_fields(equipments, field_names)
        if field_names and not {'serial_number', 'asset_tag'} & field_names:
            return
        for equipment in equipments:
            if not (equipment.serial_number or equipment.asset_tag):
                raise EquipmentValidationError(gettext(
                        'site_equipment.msg_equipment_identifier',
                        equipment=equipment.rec_name))

    @classmethod
    def on_modification(cls, mode, equipments, field_names=None):
        pool = Pool()
        Move = pool.get('equipment.move')
        super().on_modification(mode, equipments, field_names=field_names)
        if mode == 'create':
            with without_check_access():
                Move.save([Move(
                            equipment=e, kind='registered', to_site=e.site,
                            to_state=e.state) for e in equipments])

    @classmethod
    def find_by_code(cls, codes):
        "Return {code: equipment} of the codes matching an asset tag or serial"
        codes = {c.strip().upper() for c in codes if c and c.strip()}
        if not codes:
            return {}
        found = {}
        for equipment in cls.search(['OR',
                    ('asset_tag', 'in', list(codes)),
                    ('serial_number', 'in', list(codes)),
                    ]):
            for code in [equipment.serial_number, equipment.asset_tag]:
                if code in codes:
                    found[code] = equipment
        return found

    @classmethod
    def change_state(cls, equipments, state, reason=None, origin=None):
        "Set the state of equipments and keep the change in their history"
        pool = Pool()
        Move = pool.get('equipment.move')
        changed = [e for e in equipments if e.state != state]
        # The history follows from an action the user was allowed to do
        with without_check_access():
            Move.save([Move(
                        equipment=e, kind='state', from_state=e.state,
                        to_state=state, description=reason, origin=origin)
                    for e in changed])
            cls.write(changed, {'state': state})

    @classmethod
    def change_site(cls, equipments, site, reason=None, origin=None):
        "Move equipments to site and keep the move in their history"
        pool = Pool()
        Move = pool.get('equipment.move')
        moved = [e for e in equipments if e.site != site]
        # The receiving site cannot write the equipment before it arrives
        with without_check_access():
            Move.save([Move(
                        equipment=e, kind='site', from_site=e.site,
                        to_site=site, description=reason, origin=origin)
                    for e in moved])
            cls.write(moved, {'site': site.id, 'counter': None})

    @classmethod
    @ModelView.button
    def retire(cls, equipments):
        cls.change_state(equipments, 'retired')

    @classmethod
    @ModelView.button
    def reinstate(cls, equipments):
        cls.change_state(equipments, 'in_service')


class Move(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Event in the history of a piece of equipment"
    __name__ = 'equipment.move'
    equipment = fields.Many2One(
        'equipment.equipment', "Equipment", required=True,
        ondelete='CASCADE')
    date = fields.DateTime("Date", required=True)
    kind = fields.Selection([
            ('registered', "Registered"),
            ('state', "State Change"),
            ('site', "Site Change"),
            ], "Kind", required=True)
    from_site = fields.Many2One('network.site', "From Site")
    to_site = fields.Many2One('network.site', "To Site")
    from_state = fields.Selection(
        [(None, '')] + STATES, "From State", sort=False)
    to_state = fields.Selection(
        [(None, '')] + STATES, "To State", sort=False)
    description = fields.Char("Description")
    origin = fields.Reference(
        "Origin", selection='get_origin', readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.equipment, Index.Equality())))

    @classmethod
    def default_date(cls):
        return now()

    @classmethod
    def default_user(cls):
        return Transaction().user

    @classmethod
    def _get_origin(cls):
        return [
            'equipment.transfer', 'equipment.incident',
            'equipment.maintenance', 'equipment.campaign',
            ]

    @classmethod
    def get_origin(cls):
        pool = Pool()
        IrModel = pool.get('ir.model')
        models = cls._get_origin()
        return [(None, '')] + [
            (m, IrModel.get_name(m)) for m in models]
