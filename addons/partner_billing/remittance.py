"""Remittances: the stamps, fees and taxes collected for a partner in a
period, remitted net of the network's commission.

Accounting (SYSCOHADA): the collected amounts are a third-party debt on the
"collected on behalf" account (class 4, e.g. 4712), never revenue. Posting
a remittance creates
- a draft supplier invoice of the partner for the net due, on that class 4
  account (debit 4712, credit 4011 Fournisseurs), which finance pays;
- a move of the commission from the class 4 account to the commission
  revenue (debit 4712, credit 7072 Commissions et courtages).
"""
import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Literal, Null
from sql.functions import CurrentTimestamp

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from service_case.events import collected_fees
from service_network.procedure import FEE_KINDS, ON_BEHALF_KINDS, XOF_DIGITS

from .agreement import RATE_DIGITS
from .exceptions import RemittanceError


class Remittance(Workflow, ModelSQL, ModelView):
    "Remittance of the fees collected on behalf of a partner"
    __name__ = 'billing.remittance'
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
    start_date = fields.Date("From", required=True, states=_draft)
    end_date = fields.Date(
        "To", required=True, states=_draft,
        domain=[('end_date', '>=', Eval('start_date'))])
    state = fields.Selection([
            ('draft', "Draft"),
            ('posted', "Posted"),
            ], "State", readonly=True, required=True, sort=False)
    lines = fields.One2Many(
        'billing.remittance.line', 'remittance', "Collected Fees",
        readonly=True)
    commission_rate = fields.Numeric(
        "Commission (%)", digits=RATE_DIGITS, readonly=True,
        help="Taken from the partner's agreement.")
    collected = fields.Function(fields.Numeric(
            "Collected (XOF)", digits=XOF_DIGITS), 'get_amounts')
    commission = fields.Function(fields.Numeric(
            "Commission (XOF)", digits=XOF_DIGITS), 'get_amounts')
    net_due = fields.Function(fields.Numeric(
            "Net Due (XOF)", digits=XOF_DIGITS), 'get_amounts')
    invoice = fields.Many2One(
        'account.invoice', "Supplier Invoice", readonly=True)
    move = fields.Many2One(
        'account.move', "Commission Move", readonly=True)

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('start_date', 'DESC'))
        cls._transitions |= {('draft', 'posted')}
        cls._buttons.update({
                'compute': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'post': {
                    'invisible': Eval('state') != 'draft',
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
    def default_start_date(cls):
        "The previous month, remitted at the start of this one"
        today = Pool().get('ir.date').today()
        return today.replace(day=1) - relativedelta(months=1)

    @classmethod
    def default_end_date(cls):
        today = Pool().get('ir.date').today()
        return today.replace(day=1) - dt.timedelta(days=1)

    def get_rec_name(self, name):
        return (f'{self.partner.rec_name} {self.start_date:%d/%m/%Y}'
            f' - {self.end_date:%d/%m/%Y}')

    @classmethod
    def get_amounts(cls, remittances, names):
        result = {n: {} for n in names}
        for remittance in remittances:
            collected = sum(
                (line.amount for line in remittance.lines), Decimal(0))
            rate = remittance.commission_rate or Decimal(0)
            commission = remittance.company.currency.round(
                collected * rate / 100)
            amounts = {
                'collected': collected,
                'commission': commission,
                'net_due': collected - commission,
                }
            for name in names:
                result[name][remittance.id] = amounts[name]
        return result

    @classmethod
    def check_modification(
            cls, mode, remittances, values=None, external=False):
        super().check_modification(
            mode, remittances, values=values, external=external)
        if mode == 'delete':
            for remittance in remittances:
                if remittance.state != 'draft':
                    raise RemittanceError(gettext(
                            'partner_billing.msg_remittance_delete_posted',
                            remittance=remittance.rec_name))

    def get_agreement(self):
        "Return the agreement of the partner that asks for remittances"
        pool = Pool()
        Agreement = pool.get('billing.agreement')
        for agreement in Agreement.active_for(
                self.company, self.start_date, self.end_date, self.partner):
            if agreement.remit_on_behalf:
                return agreement
        raise RemittanceError(gettext(
                'partner_billing.msg_remittance_no_agreement',
                partner=self.partner.rec_name))

    @classmethod
    @ModelView.button
    def compute(cls, remittances):
        """List the fees collected for the partner in the period that no
        other remittance holds, in one INSERT ... SELECT"""
        pool = Pool()
        Line = pool.get('billing.remittance.line')
        with without_check_access():
            Line.delete(Line.search([('remittance', 'in', remittances)]))
        for remittance in remittances:
            remittance.commission_rate = (
                remittance.get_agreement().commission_rate or Decimal(0))
            Line.add_collected(remittance)
        cls.save(remittances)

    @classmethod
    @ModelView.button
    @Workflow.transition('posted')
    def post(cls, remittances):
        pool = Pool()
        Configuration = pool.get('billing.configuration')
        Invoice = pool.get('account.invoice')
        Move = pool.get('account.move')
        config = Configuration(1)
        if not config.on_behalf_account or not config.commission_account:
            raise RemittanceError(gettext(
                    'partner_billing.msg_remittance_accounts'))
        for remittance in remittances:
            if not remittance.lines:
                raise RemittanceError(gettext(
                        'partner_billing.msg_remittance_empty',
                        remittance=remittance.rec_name))
        # One step: the supplier invoice of the net due and the commission
        # move are posted with the remittance, or nothing is kept
        with without_check_access():
            for remittance in remittances:
                remittance.invoice = remittance._get_invoice(config)
                remittance.invoice.save()
                remittance.move = remittance._get_move(config)
                if remittance.move:
                    remittance.move.save()
            Invoice.post([remittance.invoice for remittance in remittances])
            Move.post([remittance.move for remittance in remittances
                    if remittance.move])
        cls.save(remittances)

    def _period_text(self):
        return gettext(
            'partner_billing.msg_remittance_description',
            start=self.start_date.strftime('%d/%m/%Y'),
            end=self.end_date.strftime('%d/%m/%Y'))

    def _get_invoice(self, config):
        "Return the supplier invoice of the net due to the partner"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        with Transaction().set_context(company=self.company.id):
            partner = self.partner.__class__(self.partner.id)
            invoice = Invoice(
                company=self.company, type='in', party=partner,
                currency=self.company.currency, invoice_date=self.end_date,
                account=partner.account_payable_used,
                invoice_address=partner.address_get(type='invoice'),
                payment_term=partner.supplier_payment_term)
        invoice.set_journal()
        if not invoice.account:
            raise RemittanceError(gettext(
                    'partner_billing.msg_remittance_payable',
                    partner=self.partner.rec_name))
        if not invoice.invoice_address:
            raise RemittanceError(gettext(
                    'partner_billing.msg_run_partner_address',
                    partner=self.partner.rec_name))
        invoice.description = self._period_text()
        invoice.lines = [InvoiceLine(
                type='line', company=self.company,
                currency=self.company.currency,
                account=config.on_behalf_account,
                description=self._period_text(),
                quantity=1, unit_price=self.net_due)]
        return invoice

    def _get_move(self, config):
        "Return the move of the commission from class 4 to revenue"
        pool = Pool()
        Move = pool.get('account.move')
        Line = pool.get('account.move.line')
        Period = pool.get('account.period')
        Journal = pool.get('account.journal')
        if not self.commission:
            return None
        journal = config.remittance_journal
        if not journal:
            journal, = Journal.search([('type', '=', 'general')], limit=1)
        period = Period.find(self.company, date=self.end_date)
        description = gettext(
            'partner_billing.msg_remittance_commission',
            remittance=self.rec_name)
        return Move(
            company=self.company, journal=journal, period=period,
            date=self.end_date, description=description,
            lines=[
                Line(account=config.on_behalf_account,
                    debit=self.commission, credit=Decimal(0),
                    description=description),
                Line(account=config.commission_account,
                    debit=Decimal(0), credit=self.commission,
                    description=description),
                ])


class RemittanceLine(ModelSQL, ModelView):
    "Fee collected on behalf of a partner, to remit"
    __name__ = 'billing.remittance.line'
    remittance = fields.Many2One(
        'billing.remittance', "Remittance", required=True,
        ondelete='CASCADE')
    fee = fields.Many2One(
        'case.fee', "Fee", required=True, ondelete='RESTRICT')
    case = fields.Many2One(
        'case.case', "Case", required=True, ondelete='RESTRICT')
    label = fields.Char("Label", required=True)
    kind = fields.Selection([
            (kind, name) for kind, name in FEE_KINDS
            if kind in ON_BEHALF_KINDS], "Kind", required=True)
    amount = fields.Numeric("Amount (XOF)", digits=XOF_DIGITS, required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('fee_unique', Unique(t, t.fee),
                'partner_billing.msg_remittance_fee_unique'),
            ]
        # deleting a case checks its remittance lines (RESTRICT)
        cls._sql_indexes.add(Index(t, (t.case, Index.Range())))
        cls._order.insert(0, ('case', 'ASC'))

    @classmethod
    def add_collected(cls, remittance):
        """Add to remittance the fees collected for its partner in its
        period that no other remittance holds, in one INSERT ... SELECT"""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        line, other = cls.__table__(), cls.__table__()
        fees = collected_fees(
            remittance.start_date, remittance.end_date,
            beneficiary=remittance.partner.id)
        query = (fees
            .join(other, 'LEFT', condition=other.fee == fees.fee)
            .select(
                Literal(remittance.id), fees.fee, fees.case, fees.label,
                fees.kind, fees.amount, Literal(transaction.user),
                CurrentTimestamp(),
                where=other.id == Null))
        cursor.execute(*line.insert(
                columns=[line.remittance, line.fee, line.case,
                    line.label, line.kind, line.amount,
                    line.create_uid, line.create_date],
                values=query))
