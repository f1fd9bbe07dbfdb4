"""Accounts the billing uses, chosen by finance in the company's chart."""
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pyson import Eval


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Partner Billing Configuration"
    __name__ = 'billing.configuration'
    revenue_account = fields.Many2One(
        'account.account', "Service Revenue Account",
        domain=[
            ('type.revenue', '=', True),
            ('closed', '!=', True),
            ('company', '=', Eval('context', {}).get('company', -1)),
            ],
        help="Where the fees billed to partners are booked, "
        "e.g. 7061 Services vendus dans la Région.")
    on_behalf_account = fields.Many2One(
        'account.account', "Collected on Behalf Account",
        domain=[
            ('type.debt', '=', True),
            ('closed', '!=', True),
            ('company', '=', Eval('context', {}).get('company', -1)),
            ],
        help="The third-party debt (class 4) holding the stamps and fees "
        "collected for partners until they are remitted, e.g. 4712 "
        "Créditeurs divers; its type must allow debt on supplier invoices.")
    commission_account = fields.Many2One(
        'account.account', "Commission Account",
        domain=[
            ('type.revenue', '=', True),
            ('closed', '!=', True),
            ('company', '=', Eval('context', {}).get('company', -1)),
            ],
        help="Where the commission withheld on remittances is booked, "
        "e.g. 7072 Commissions et courtages.")
    remittance_journal = fields.Many2One(
        'account.journal', "Commission Journal",
        domain=[('type', '=', 'general')],
        help="The journal of the move that transfers the commission from "
        "the third-party account to revenue.")
    bank_details = fields.Text(
        "Bank Details",
        help="Printed on the partner invoices so that partners know where "
        "to pay: bank, account holder, RIB or IBAN.")
