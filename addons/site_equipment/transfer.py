"""Transfers of equipment between sites: the equipment's site changes only
when the receiving site confirms the reception."""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report

from service_network.calendar import TIMEZONE, to_dakar_date
from service_network.protection import (
    ReadonlyGuardMixin,
    check_user_sites,
    user_sites,
)
from service_network.user import current_employee

from .equipment import now
from .exceptions import TransferError


class Transfer(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Transfer of equipment between two sites"
    __name__ = 'equipment.transfer'
    _states = {'readonly': Eval('state') != 'draft'}

    from_site = fields.Many2One(
        'network.site', "From Site", required=True, states=_states)
    to_site = fields.Many2One(
        'network.site', "To Site", required=True, states=_states,
        domain=[('id', '!=', Eval('from_site', -1))])
    lines = fields.One2Many(
        'equipment.transfer.line', 'transfer', "Equipment", states=_states)
    reason = fields.Char("Reason", states=_states)
    sent_by = fields.Many2One(
        'company.employee', "Sent by",
        states={'readonly': Eval('state') != 'draft'})
    sent_date = fields.DateTime("Sent on", readonly=True)
    received_by = fields.Many2One(
        'company.employee', "Received by",
        states={'readonly': Eval('state').in_(['received', 'cancelled'])})
    received_date = fields.DateTime("Received on", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('sent', "Sent"),
            ('received', "Received"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    can_receive = fields.Function(
        fields.Boolean("Can Receive"), 'get_can_receive')
    to_receive = fields.Function(fields.Boolean(
            "To Receive",
            help="Sent to one of the user's sites and not received yet."),
        'get_to_receive', searcher='search_to_receive')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sent'),
            ('sent', 'received'),
            ('draft', 'cancelled'),
            ('sent', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'receive': {
                    # only the receiving site acknowledges what arrived
                    'invisible': ((Eval('state') != 'sent')
                        | ~Eval('can_receive', False)),
                    'depends': ['state', 'can_receive'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'sent']),
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                })

    def get_to_receive(self, name):
        pool = Pool()
        User = pool.get('res.user')
        return self.state == 'sent' and self.to_site.id in User.get_sites()

    @classmethod
    def search_to_receive(cls, name, clause):
        pool = Pool()
        User = pool.get('res.user')
        _, operator, value = clause
        sites = list(User.get_sites())
        if (operator == '=') == bool(value):
            return [('state', '=', 'sent'), ('to_site', 'in', sites)]
        return ['OR', ('state', '!=', 'sent'), ('to_site', 'not in', sites)]

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def copy(cls, transfers, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        for name in ['sent_by', 'sent_date', 'received_by', 'received_date']:
            default.setdefault(name, None)
        return super().copy(transfers, default=default)

    @classmethod
    def get_can_receive(cls, transfers, name):
        mine = user_sites()
        return {t.id: mine is None or t.to_site.id in mine for t in transfers}

    def get_rec_name(self, name):
        return f'{self.from_site.code} → {self.to_site.code} ({self.id})'

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, transfers):
        for transfer in transfers:
            if not transfer.lines:
                raise TransferError(gettext(
                        'site_equipment.msg_transfer_empty',
                        transfer=transfer.rec_name))
            for line in transfer.lines:
                if line.equipment.site != transfer.from_site:
                    raise TransferError(gettext(
                            'site_equipment.msg_transfer_wrong_site',
                            equipment=line.equipment.rec_name,
                            site=transfer.from_site.rec_name))
            transfer.sent_date = now()
            if not transfer.sent_by:
                transfer.sent_by = current_employee()
        cls.save(transfers)

    @classmethod
    @ModelView.button
    @Workflow.transition('received')
    def receive(cls, transfers):
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        # only the receiving site acknowledges what arrived
        for transfer in transfers:
            check_user_sites([transfer.to_site.id], transfer.rec_name)
        for transfer in transfers:
            Equipment.change_site(
                [line.equipment for line in transfer.lines],
                transfer.to_site, reason=transfer.reason, origin=transfer)
            if not transfer.received_by:
                transfer.received_by = current_employee()
            transfer.received_date = now()
        cls.save(transfers)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, transfers):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, transfers):
        pass


class TransferLine(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Piece of equipment of a transfer"
    __name__ = 'equipment.transfer.line'
    transfer = fields.Many2One(
        'equipment.transfer', "Transfer", required=True, ondelete='CASCADE')
    equipment = fields.Many2One(
        'equipment.equipment', "Equipment", required=True,
        domain=[
            # In the transfer's form the line's parent field is not sent
            # to on_change_with by the client, so from_site stays empty
            # on new lines: read the source site from the parent first
            ('site', '=', Eval('_parent_transfer', {}).get(
                    'from_site', Eval('from_site', -1))),
            ('state', '!=', 'retired'),
            ],
        help="The equipment at the transfer's source site.")
    from_site = fields.Function(
        fields.Many2One('network.site', "From Site"),
        'on_change_with_from_site')

    @fields.depends('transfer', '_parent_transfer.from_site')
    def on_change_with_from_site(self, name=None):
        return self.transfer.from_site if self.transfer else None


class TransferSlip(Report):
    """Slip that travels with the equipment of a transfer, signed by the
    sending and the receiving site: an HTML template rendered to PDF by
    weasyprint"""
    __name__ = 'equipment.transfer.slip'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['format_dakar'] = cls.format_dakar
        context['to_dakar_date'] = to_dakar_date
        return context

    @classmethod
    def format_dakar(cls, value):
        "Return a stored (UTC) date-time as the date and minute in Dakar"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        return cls.format_datetime(
            value, lang, format=lang.date + ' %H:%M', timezone=TIMEZONE)
