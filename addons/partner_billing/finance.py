"""Finance views computed in SQL over the whole network: per partner and
month, and the revenue billed per partner and site."""
from sql import Cast, Literal, Null, Union
from sql.aggregate import Min, Sum
from sql.functions import ToChar

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool

from service_case.events import collected_fees
from service_network.grouped_id import grouped_id, month_number
from service_network.procedure import XOF_DIGITS

MONTH_FORMAT = 'YYYY-MM'


def _billed_lines():
    "Return the tables and condition of the lines of billing invoices"
    pool = Pool()
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    invoice = Invoice.__table__()
    line = InvoiceLine.__table__()
    from_ = line.join(invoice, condition=line.invoice == invoice.id)
    where = ((line.billing_basis != Null)
        & (invoice.type == 'out') & (invoice.state != 'cancelled'))
    return from_, invoice, line, where


class PartnerMonth(ModelSQL, ModelView):
    "Partner Billing per Month"
    __name__ = 'billing.partner.month'
    partner = fields.Many2One('party.party', "Partner", readonly=True)
    month = fields.Char("Month", readonly=True)
    billed = fields.Numeric("Billed", digits=XOF_DIGITS, readonly=True)
    collected = fields.Numeric(
        "Collected on Behalf", digits=XOF_DIGITS, readonly=True)
    remitted = fields.Numeric("Remitted", digits=XOF_DIGITS, readonly=True)
    outstanding = fields.Numeric(
        "Outstanding", digits=XOF_DIGITS, readonly=True,
        help="Collected on behalf and not remitted yet.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order[0:0] = [('month', 'DESC'), ('partner', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Remittance = pool.get('billing.remittance')
        RemittanceLine = pool.get('billing.remittance.line')
        zero = Literal(0)
        from_, invoice, line, where = _billed_lines()
        billed = from_.select(
            invoice.party.as_('partner'),
            ToChar(invoice.invoice_date, MONTH_FORMAT).as_('month'),
            Cast(line.quantity * line.unit_price, 'NUMERIC').as_('billed'),
            zero.as_('collected'), zero.as_('remitted'),
            where=where)
        fees = collected_fees()
        collected = fees.select(
            fees.beneficiary.as_('partner'),
            ToChar(fees.paid_at, MONTH_FORMAT).as_('month'),
            zero.as_('billed'), fees.amount.as_('collected'),
            zero.as_('remitted'))
        remittance = Remittance.__table__()
        remittance_line = RemittanceLine.__table__()
        remitted = remittance_line.join(remittance,
            condition=remittance_line.remittance == remittance.id).select(
            remittance.partner.as_('partner'),
            ToChar(remittance.end_date, MONTH_FORMAT).as_('month'),
            zero.as_('billed'), zero.as_('collected'),
            remittance_line.amount.as_('remitted'),
            where=remittance.state == 'posted')
        union = Union(billed, collected, remitted, all_=True)
        sums = union.select(
            union.partner, union.month,
            Cast(Sum(union.billed), 'NUMERIC').as_('billed'),
            Cast(Sum(union.collected), 'NUMERIC').as_('collected'),
            Cast(Sum(union.remitted), 'NUMERIC').as_('remitted'),
            group_by=[union.partner, union.month])
        return sums.select(
            grouped_id(sums.partner, (month_number(sums.month), 6)
                ).as_('id'),
            sums.partner, sums.month, sums.billed, sums.collected,
            sums.remitted, (sums.collected - sums.remitted).as_('outstanding'))


class Revenue(ModelSQL, ModelView):
    "Revenue Billed per Partner and Site"
    __name__ = 'billing.revenue'
    partner = fields.Many2One('party.party', "Partner", readonly=True)
    site = fields.Many2One('network.site', "Site", readonly=True)
    month = fields.Char("Month", readonly=True)
    amount = fields.Numeric("Amount", digits=XOF_DIGITS, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order[0:0] = [('month', 'DESC'), ('partner', 'ASC')]

    @classmethod
    def table_query(cls):
        from_, invoice, line, where = _billed_lines()
        # Grouped outside: PostgreSQL does not match the parameter of
        # TO_CHAR in GROUP BY with the one in the selected columns
        lines = from_.select(
            line.id.as_('id'), invoice.party.as_('partner'),
            line.billing_site.as_('site'),
            ToChar(invoice.invoice_date, MONTH_FORMAT).as_('month'),
            (line.quantity * line.unit_price).as_('amount'),
            where=where)
        return lines.select(
            Min(lines.id).as_('id'), lines.partner, lines.site, lines.month,
            Cast(Sum(lines.amount), 'NUMERIC').as_('amount'),
            group_by=[lines.partner, lines.site, lines.month])
