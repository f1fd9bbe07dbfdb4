"""Invoices of the billing runs: the run, the procedure, site and cases
behind each line, and the partner invoice printed to PDF."""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.report import Report
from trytond.transaction import without_check_access

from service_case.receipt import amount_in_words, format_xof

from .agreement import BASES


def format_day(date):
    "Return a date as the module writes it on documents: 31/03/2026"
    return date.strftime('%d/%m/%Y')


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'
    billing_run = fields.Many2One(
        'billing.run', "Billing Run", readonly=True, ondelete='RESTRICT',
        states={'invisible': ~Eval('billing_run')})
    billing_remittance = fields.Function(fields.Many2One(
            'billing.remittance', "Remittance",
            states={'invisible': ~Eval('billing_remittance')}),
        'get_billing_remittance')

    @classmethod
    def get_billing_remittance(cls, invoices, name):
        "Return the remittance whose posting created each supplier invoice"
        pool = Pool()
        Remittance = pool.get('billing.remittance')
        result = dict.fromkeys((i.id for i in invoices), None)
        # the link only: who reads the invoice may not read remittances
        with without_check_access():
            remittances = Remittance.search([
                    ('invoice', 'in', [i.id for i in invoices]),
                    ])
        for remittance in remittances:
            result[remittance.invoice.id] = remittance.id
        return result


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'
    _billing = {'invisible': ~Bool(Eval('billing_basis'))}

    billing_agreement_line = fields.Many2One(
        'billing.agreement.line', "Agreement Line", readonly=True,
        ondelete='RESTRICT', states=_billing)
    billing_basis = fields.Selection(
        [(None, "")] + BASES, "Billing Basis", readonly=True,
        states=_billing)
    billing_basis_string = billing_basis.translated('billing_basis')
    billing_procedure = fields.Many2One(
        'network.procedure', "Procedure", readonly=True, states=_billing)
    billing_site = fields.Many2One(
        'network.site', "Site", readonly=True, states=_billing)
    billing_credited_line = fields.Many2One(
        'account.invoice.line', "Credited Line", readonly=True,
        ondelete='RESTRICT',
        states={'invisible': ~Eval('billing_credited_line')})
    billing_cases = fields.One2Many(
        'billing.line.case', 'invoice_line', "Cases Billed", readonly=True,
        states=_billing)
    billing_credited_cases = fields.One2Many(
        'billing.line.case', 'credit_line', "Cases Credited", readonly=True,
        states={'invisible': ~Eval('billing_credited_line')})

    del _billing

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # the network bills in F CFA, which has no subunit: a unit price
        # reads 4 000, not 4 000,0000
        cls.unit_price.digits = 'currency'

    @classmethod
    def copy(cls, lines, default=None):
        default = default.copy() if default is not None else {}
        for name in ['billing_agreement_line', 'billing_basis',
                'billing_procedure', 'billing_site', 'billing_credited_line',
                'billing_cases', 'billing_credited_cases']:
            default.setdefault(name, None)
        return super().copy(lines, default=default)


class InvoiceReport(metaclass=PoolMeta):
    """Tryton's invoice report, printed as the network's PDF (the template
    of partner_billing replaces Tryton's OpenDocument one)"""
    __name__ = 'account.invoice'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        BillingInvoiceReport.add_context(context)
        return context


class BillingInvoiceReport(Report):
    """Invoice of partner fees in XOF with its total in words, in the
    partner's language: an HTML template rendered to PDF by weasyprint"""
    __name__ = 'billing.invoice'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        cls.add_context(context)
        return context

    @classmethod
    def add_context(cls, context):
        pool = Pool()
        Configuration = pool.get('billing.configuration')
        context['amount_in_words'] = amount_in_words
        context['format_xof'] = format_xof
        context['format_day'] = format_day
        context['due_dates'] = cls.due_dates
        context['bank_details'] = Configuration(1).bank_details

    @classmethod
    def due_dates(cls, invoice):
        """Return the (date, amount) left to pay: the maturities of a posted
        invoice, those of its payment term before"""
        pool = Pool()
        Date = pool.get('ir.date')
        if invoice.total_amount <= 0:
            return []
        if invoice.lines_to_pay:
            return [(line.maturity_date, line.debit - line.credit)
                for line in invoice.lines_to_pay
                if line.maturity_date and not line.reconciliation]
        if invoice.payment_term:
            return invoice.payment_term.compute(
                invoice.total_amount, invoice.currency,
                invoice.invoice_date or Date.today())
        return []
