"""Agreements (conventions) with the partner administrations: what the
network bills them and what it remits to them."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from service_network.procedure import XOF_DIGITS

from .exceptions import AgreementError, AgreementValidationError

BASES = [
    ('delivered', "Per Case Delivered"),
    ('transmitted', "Per Case Transmitted"),
    ('collected', "Percentage of Amounts Collected"),
    ('monthly', "Fixed Monthly Fee per Site"),
    ]
# The bases billed case by case (the others are billed per site and month)
CASE_BASES = ['delivered', 'transmitted', 'collected']
RATE_DIGITS = (5, 2)


class Agreement(Workflow, ModelSQL, ModelView):
    "Agreement with a partner administration"
    __name__ = 'billing.agreement'
    _draft = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    partner = fields.Many2One(
        'party.party', "Partner", required=True, states=_draft,
        domain=[('partner_kind', '!=', None)],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    partner_kind = fields.Function(
        fields.Selection('get_partner_kinds', "Partner Kind"),
        'on_change_with_partner_kind')
    reference = fields.Char(
        "Reference", states=_draft,
        help="The reference of the signed convention.")
    start_date = fields.Date("Valid from", required=True, states=_draft)
    end_date = fields.Date(
        "Valid until", states=_draft,
        domain=[If(Eval('end_date') & Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())],
        help="Leave empty for an open-ended agreement.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('active', "Active"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    lines = fields.One2Many(
        'billing.agreement.line', 'agreement', "Fee Schedule", states=_draft)
    remit_on_behalf = fields.Boolean(
        "Remit Fees Collected on Behalf", states=_draft,
        help="The stamps, fees and taxes the network collects for the "
        "partner are remitted to it.")
    commission_rate = fields.Numeric(
        "Commission (%)", digits=RATE_DIGITS,
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': ~Eval('remit_on_behalf'),
            },
        help="Withheld by the network on the amounts it remits.")

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('start_date', 'DESC'))
        cls._transitions |= {
            ('draft', 'active'),
            ('active', 'draft'),
            ('active', 'closed'),
            }
        cls._buttons.update({
                'activate': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_remit_on_behalf(cls):
        return True

    @classmethod
    def default_commission_rate(cls):
        return Decimal(0)

    @classmethod
    def get_partner_kinds(cls):
        pool = Pool()
        Party = pool.get('party.party')
        return Party.fields_get(['partner_kind'])['partner_kind']['selection']

    @fields.depends('partner')
    def on_change_with_partner_kind(self, name=None):
        return self.partner.partner_kind if self.partner else None

    def get_rec_name(self, name):
        return f'{self.partner.rec_name} ({self.start_date:%d/%m/%Y})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('partner',) + tuple(clause[1:]),
            ('reference',) + tuple(clause[1:]),
            ]

    @classmethod
    def validate_fields(cls, agreements, field_names):
        super().validate_fields(agreements, field_names)
        if field_names is None or 'commission_rate' in field_names:
            for agreement in agreements:
                rate = agreement.commission_rate
                if rate is not None and not 0 <= rate <= 100:
                    raise AgreementValidationError(gettext(
                            'partner_billing.msg_agreement_commission_rate',
                            agreement=agreement.rec_name, rate=rate))
        if field_names is None or field_names & {
                'state', 'partner', 'start_date', 'end_date'}:
            cls.check_overlap([a for a in agreements if a.state == 'active'])

    @classmethod
    def check_overlap(cls, agreements):
        "Refuse two active agreements of one partner valid on a same day"
        for agreement in agreements:
            domain = [
                ('id', '!=', agreement.id),
                ('partner', '=', agreement.partner.id),
                ('company', '=', agreement.company.id),
                ('state', '=', 'active'),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', agreement.start_date),
                    ],
                ]
            if agreement.end_date:
                domain.append(('start_date', '<=', agreement.end_date))
            others = cls.search(domain, limit=1)
            if others:
                other, = others
                raise AgreementValidationError(gettext(
                        'partner_billing.msg_agreement_overlap',
                        agreement=agreement.rec_name,
                        other=other.rec_name))

    @classmethod
    def check_modification(
            cls, mode, agreements, values=None, external=False):
        super().check_modification(
            mode, agreements, values=values, external=external)
        if mode == 'delete':
            for agreement in agreements:
                if agreement.state != 'draft':
                    raise AgreementError(gettext(
                            'partner_billing.msg_agreement_delete_draft',
                            agreement=agreement.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, agreements):
        for agreement in agreements:
            if not agreement.lines:
                raise AgreementError(gettext(
                        'partner_billing.msg_agreement_no_line',
                        agreement=agreement.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, agreements):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, agreements):
        pass

    @classmethod
    def active_for(cls, company, start_date, end_date, partner=None):
        "Return the active agreements valid on a day of the period"
        domain = [
            ('company', '=', company.id),
            ('state', '=', 'active'),
            ('start_date', '<=', end_date),
            ['OR',
                ('end_date', '=', None),
                ('end_date', '>=', start_date),
                ],
            ]
        if partner:
            domain.append(('partner', '=', partner.id))
        return cls.search(domain, order=[('partner', 'ASC')])


class AgreementLine(ModelSQL, ModelView):
    "Line of an agreement's fee schedule"
    __name__ = 'billing.agreement.line'
    agreement = fields.Many2One(
        'billing.agreement', "Agreement", required=True, ondelete='CASCADE')
    procedure = fields.Many2One(
        'network.procedure', "Procedure",
        domain=[
            ('partner', '=', Eval('_parent_agreement', {}).get('partner', -1)),
            ],
        help="Leave empty for all the procedures of the partner that have "
        "no line of their own with the same basis.")
    basis = fields.Selection(BASES, "Basis", required=True)
    basis_string = basis.translated('basis')
    amount = fields.Numeric(
        "Amount (XOF)", digits=XOF_DIGITS,
        states={
            'required': Eval('basis') != 'collected',
            'invisible': Eval('basis') == 'collected',
            },
        help="Per case, or per site and month for the monthly fee.")
    rate = fields.Numeric(
        "Rate (%)", digits=RATE_DIGITS,
        states={
            'required': Eval('basis') == 'collected',
            'invisible': Eval('basis') != 'collected',
            },
        help="Share of the stamps, fees and taxes collected for the case.")
    tax = fields.Many2One(
        'account.tax', "VAT",
        domain=[('parent', '=', None), ('group', '=', None)],
        help="The VAT billed on this line, e.g. TVA 18 %; leave empty when "
        "the service is exempt.")

    @classmethod
    def default_basis(cls):
        return 'delivered'

    def get_rec_name(self, name):
        procedure = self.procedure.rec_name if self.procedure else '*'
        return f'{procedure} - {self.basis_string}'

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        if field_names and not field_names & {'amount', 'rate', 'basis'}:
            return
        for line in lines:
            for name in ['amount', 'rate']:
                value = getattr(line, name)
                if value is not None and value < 0:
                    raise AgreementValidationError(gettext(
                            'partner_billing.msg_agreement_line_negative',
                            line=line.rec_name,
                            field=cls.__names__(name)['field']))
            if line.basis == 'collected' and line.rate is None:
                raise AgreementValidationError(gettext(
                        'partner_billing.msg_agreement_line_rate',
                        line=line.rec_name))
            if line.basis != 'collected' and line.amount is None:
                raise AgreementValidationError(gettext(
                        'partner_billing.msg_agreement_line_amount',
                        line=line.rec_name))
