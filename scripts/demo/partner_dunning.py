"""Demo data of partner_dunning: two partner invoices left unpaid long
enough to be overdue, so that « Créer les relances » finds them.

Runs after partner_billing's demo, which gives the partners an address and
sets the billing accounts. The partners follow the module's procedure
(premier rappel at 15 days, second rappel at 30, mise en demeure at 60)
through the accounting configuration's default.
"""
import datetime as dt
import hashlib
from decimal import Decimal

from proteus import Model, config

ORDER = 210
# partner xml id, days since the invoice fell due, description, amount
OVERDUE = [
    ('party_urbanism', 75,
        "Accompagnement des demandes TéléDAC - forfait trimestriel", 250000),
    ('party_commune_ziguinchor', 40,
        "Numérisation des registres d'état civil", 45000),
    ]


def ref(xml_id):
    ModelData = Model.get('ir.model.data')
    module, name = xml_id.split('.')
    return ModelData.get_id(module, name, {})


def load(company):
    Account = Model.get('account.account')
    Invoice = Model.get('account.invoice')
    Party = Model.get('party.party')
    revenue, = Account.find([
            ('code', '=', '7061'), ('company', '=', company.id)])
    invoices = []
    for partner_id, days, description, amount in OVERDUE:
        invoice = Invoice(type='out', company=company)
        invoice.party = Party(ref(f'service_network.{partner_id}'))
        invoice.invoice_date = dt.date.today() - dt.timedelta(days=days)
        # due on its date (without it, posting makes it due today)
        invoice.payment_term_date = invoice.invoice_date
        invoice.description = description
        line = invoice.lines.new()
        line.account = revenue
        line.description = description
        line.quantity = 1
        line.unit_price = Decimal(amount)
        invoice.save()
        invoices.append(invoice)
    # Tryton warns of a due date in the past, the point of the demo:
    # answered yes, as finance would in the client
    User = Model.get('res.user')
    Warning = Model.get('res.user.warning')
    for invoice in invoices:
        key = hashlib.md5(f'account.invoice,{invoice.id}'.encode())
        Warning(user=User(config.get_config().user),
            name=f'{key.hexdigest()}.invoice_payment_term').save()
    Invoice.click(invoices, 'post')
    for invoice in invoices:
        print(f"  {invoice.number} to {invoice.party.name}: "
            f"{invoice.total_amount} due since {invoice.invoice_date}")
