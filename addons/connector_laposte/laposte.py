"""Cases whose partner is La Poste go to its SOAP service when they are
transmitted: a money order when the case carries one, else the postal
delivery of the document to the citizen. Their state follows La Poste's
tracking, pulled on a schedule and pushed through the callback."""
import logging
from collections import defaultdict

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import without_check_access

from connector.transport import TransportError
from service_network.procedure import XOF_DIGITS

from .client import LaPosteClient

logger = logging.getLogger(__name__)

LAPOSTE_STATUSES = [
    (None, ""),
    ('accepted', "Accepted"),
    ('in_transit', "In Transit"),
    ('delivered', "Delivered"),
    ('returned', "Returned"),
    ('issued', "Issued"),
    ('paid', "Paid"),
    ('reimbursed', "Reimbursed"),
    ('cancelled', "Cancelled"),
    ]
# La Poste's statuses in the words the cases follow (connector.case)
CASE_STATUSES = {
    'accepted': 'received',
    'in_transit': 'received',
    'issued': 'received',
    'paid': 'ready',
    'delivered': 'delivered',
    'returned': 'rejected',
    'reimbursed': 'rejected',
    'cancelled': 'rejected',
    }
TRACKING = {
    'submit_delivery': ('track_delivery', 'trackingNumber'),
    'issue_money_order': ('track_money_order', 'orderReference'),
    }
TRACKED_CASE_STATES = ['transmitted', 'at_partner', 'ready']


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = ('laposte', "La Poste (SOAP)")
        if selection not in cls.transmission.selection:
            cls.transmission.selection.append(selection)


class Endpoint(metaclass=PoolMeta):
    __name__ = 'connector.endpoint'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = ('laposte', "La Poste (SOAP)")
        if selection not in cls.protocol.selection:
            cls.protocol.selection.append(selection)

    @classmethod
    def operation_labels(cls):
        labels = super().operation_labels()
        labels.update({
                'submit_delivery': gettext(
                    'connector_laposte.msg_operation_submit_delivery'),
                'issue_money_order': gettext(
                    'connector_laposte.msg_operation_issue_money_order'),
                'track_delivery': gettext(
                    'connector_laposte.msg_operation_track_delivery'),
                'track_money_order': gettext(
                    'connector_laposte.msg_operation_track_money_order'),
                })
        return labels

    @fields.depends('protocol', 'kind')
    def on_change_protocol(self):
        super().on_change_protocol()
        if self.protocol == 'laposte':
            self.kind = 'soap'

    def get_client_laposte(self):
        return LaPosteClient(
            self.url, self.username, self.secret, self.timeout)


class Case(metaclass=PoolMeta):
    __name__ = 'case.case'
    _money_order = {
        'invisible': ~Bool(Eval('money_order_amount')),
        'readonly': Eval('state') != 'draft',
        }
    laposte = fields.Function(
        fields.Boolean("La Poste"), 'on_change_with_laposte')
    money_order_amount = fields.Numeric(
        "Money Order Amount", digits=XOF_DIGITS,
        domain=['OR',
            ('money_order_amount', '=', None),
            ('money_order_amount', '>', 0)],
        states={
            'invisible': ~Eval('laposte'),
            'readonly': Eval('state') != 'draft',
            },
        help="The amount sent by money order, in XOF.")
    beneficiary_name = fields.Char(
        "Beneficiary", states={
            **_money_order,
            'required': Bool(Eval('money_order_amount')),
            })
    beneficiary_phone = fields.Char("Beneficiary Phone", states=_money_order)
    beneficiary_city = fields.Char(
        "Beneficiary City", states={
            **_money_order,
            'required': Bool(Eval('money_order_amount')),
            })
    delivery_street = fields.Char(
        "Delivery Street", states={
            'invisible': ~Eval('laposte') | Bool(Eval('money_order_amount')),
            'readonly': Eval('state') != 'draft',
            },
        help="Where La Poste delivers the document to the citizen.")
    delivery_city = fields.Char(
        "Delivery City", states={
            'invisible': ~Eval('laposte') | Bool(Eval('money_order_amount')),
            'readonly': Eval('state') != 'draft',
            })
    laposte_reference = fields.Char(
        "La Poste Reference", readonly=True,
        states={'invisible': ~Eval('laposte')})
    laposte_status = fields.Selection(
        LAPOSTE_STATUSES, "La Poste Status", readonly=True,
        states={'invisible': ~Eval('laposte')})
    del _money_order

    @fields.depends('procedure', '_parent_procedure.partner')
    def on_change_with_laposte(self, name=None):
        return bool(self.procedure and self.procedure.partner
            and self.procedure.partner.transmission == 'laposte')

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//page[@id="laposte"]', 'states', {
                    'invisible': ~Eval('laposte'),
                    }),
            ]

    @classmethod
    def transmit(cls, cases):
        super().transmit(cases)
        cls.write_partner_messages(cases, 'laposte')

    def get_laposte_request(self):
        "The La Poste operation of the case and its payload"
        citizen = {'name': self.citizen.name, 'phone': self.phone}
        if self.money_order_amount:
            return 'issue_money_order', {
                'orderNumber': self.number,
                'sender': citizen,
                'beneficiary': {
                    'name': self.beneficiary_name,
                    'phone': self.beneficiary_phone,
                    'city': self.beneficiary_city,
                    },
                # XOF has no decimals: whole francs travel as integers
                'amount': int(self.money_order_amount),
                'fees': int(self.total_fee),
                'currency': 'XOF',
                }
        if not self.delivery_street:
            raise UserError(gettext(
                    'connector_laposte.msg_delivery_address',
                    case=self.rec_name))
        return 'submit_delivery', {
            'caseNumber': self.number,
            'citizen': citizen,
            'address': {
                'street': self.delivery_street or '',
                'city': self.delivery_city or self.site.name,
                },
            }

    @classmethod
    def follow_partner_statuses(cls, items):
        laposte, others = [], []
        for case, status, data in items:
            if status in CASE_STATUSES and case.laposte:
                laposte.append((case, status, data))
            else:
                others.append((case, status, data))
        for case, status, data in laposte:
            case = cls(case.id)
            case.laposte_status = status
            if data.get('reference'):
                case.laposte_reference = data['reference']
            case.save()
        super().follow_partner_statuses(others + [
                (c, CASE_STATUSES[s], d) for c, s, d in laposte])

    @classmethod
    def laposte_track(cls):
        "Ask La Poste where the cases it holds are; follow what changed"
        pool = Pool()
        Message = pool.get('connector.message')
        with without_check_access():
            messages = Message.search([
                    ('endpoint.protocol', '=', 'laposte'),
                    ('state', '=', 'acknowledged'),
                    ('operation', 'in', list(TRACKING)),
                    ('origin.state', 'in', TRACKED_CASE_STATES, 'case.case'),
                    ])
            by_endpoint = defaultdict(list)
            for message in messages:
                by_endpoint[message.endpoint].append(message)
            statuses = []
            for endpoint, messages in by_endpoint.items():
                statuses.extend(cls._laposte_track(endpoint, messages))
            Message.apply_statuses(statuses)

    @classmethod
    def _laposte_track(cls, endpoint, messages):
        try:
            client = endpoint.get_client()
        except TransportError as error:
            logger.warning("La Poste %s: %s", endpoint.id, error.code)
            return []
        statuses = []
        for message in messages:
            operation, name = TRACKING[message.operation]
            try:
                result = client.call(
                    operation, {name: message.partner_reference},
                    message.idempotency_key)
            except TransportError as error:
                # The next run asks again: tracking changes nothing
                logger.info(
                    "tracking %s: %s", message.id, error.code)
                continue
            if result['status'] and result['status'] != (
                    message.partner_status):
                statuses.append((message, result['status'], result))
        return statuses


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('case.case|laposte_track', "Track La Poste Cases"))
