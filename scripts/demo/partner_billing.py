"""Demo data of partner_billing: the Senegal VAT, the billing accounts of
the SYSCOHADA chart, an agreement for each partner administration, the
billing run of last month and a remittance to the Ministry of Justice of
this month so far.

Runs after service_case's demo, whose cases it bills.
"""
import datetime as dt
from decimal import Decimal

from proteus import Model, Wizard

ORDER = 200
# partner xml id: (lines, remit on behalf, commission %)
# lines: (procedure xml id or None, basis, amount or rate, with VAT)
AGREEMENTS = {
    'party_justice': ([
            ('procedure_criminal_record', 'delivered', 500, True),
            ], True, 10),
    'party_urbanism': ([
            (None, 'transmitted', 1000, True),
            (None, 'collected', 5, True),
            ], True, 5),
    'party_laposte': ([
            ('procedure_money_order', 'transmitted', 300, False),
            (None, 'monthly', 5000, False),
            ], True, 8),
    'party_commune_ziguinchor': ([
            ('procedure_birth_certificate', 'delivered', 100, False),
            ], True, 0),
    'party_treasury': ([
            (None, 'collected', 1, False),
            ], True, 2),
    'party_apix': ([
            (None, 'monthly', 10000, True),
            ], False, 0),
    }


def ref(xml_id):
    ModelData = Model.get('ir.model.data')
    module, name = xml_id.split('.')
    return ModelData.get_id(module, name, {})


def account(code, company):
    Account = Model.get('account.account')
    found, = Account.find([
            ('code', '=', code), ('company', '=', company.id)])
    return found


def setup_accounts(company):
    "Return the VAT 18 % after setting the billing accounts"
    Tax = Model.get('account.tax')
    Configuration = Model.get('billing.configuration')
    vat = Tax(name="TVA 18 %", description="TVA 18 %", company=company)
    vat.type = 'percentage'
    vat.rate = Decimal('0.18')
    vat.invoice_account = account('4431', company)
    vat.credit_note_account = account('4431', company)
    vat.save()
    on_behalf = account('4712', company)
    on_behalf.type.debt = True  # booked through supplier invoices
    on_behalf.type.save()
    config = Configuration(1)
    config.revenue_account = account('7061', company)
    config.on_behalf_account = on_behalf
    config.commission_account = account('7072', company)
    config.bank_details = (
        "Banque : CBAO Groupe Attijariwafa bank, agence Plateau, Dakar\n"
        "Titulaire : Sénégal Services - Espaces Sénégal Services\n"
        "RIB : SN012 01201 036182000012 26")
    config.save()
    return vat


def load(company):
    Party = Model.get('party.party')
    Procedure = Model.get('network.procedure')
    Agreement = Model.get('billing.agreement')
    Remittance = Model.get('billing.remittance')
    vat = setup_accounts(company)
    first_of_month = dt.date.today().replace(day=1)
    agreements = []
    for partner_id, (lines, remit, commission) in AGREEMENTS.items():
        partner = Party(ref(f'service_network.{partner_id}'))
        if not partner.addresses:
            partner.addresses.new(city="Dakar")
            partner.save()
        agreement = Agreement(partner=partner, company=company)
        agreement.start_date = dt.date(first_of_month.year - 1, 1, 1)
        agreement.reference = f"CONV-{first_of_month.year - 1}-{partner.id}"
        agreement.remit_on_behalf = remit
        agreement.commission_rate = Decimal(commission)
        for procedure, basis, value, with_vat in lines:
            line = agreement.lines.new(basis=basis)
            if procedure:
                line.procedure = Procedure(
                    ref(f'service_network.{procedure}'))
            if basis == 'collected':
                line.rate = Decimal(value)
            else:
                line.amount = Decimal(value)
            line.tax = vat if with_vat else None
        agreement.save()
        agreements.append(agreement)
    Agreement.click(agreements, 'activate')

    last_month_end = first_of_month - dt.timedelta(days=1)
    last_month = last_month_end.replace(day=1)
    bill = Wizard('billing.run.wizard')
    bill.form.start_date = last_month
    bill.form.end_date = last_month_end
    bill.execute('bill')
    Run = Model.get('billing.run')
    run, = Run.find([], limit=1)
    print(f"  billing run {last_month:%m/%Y}: {len(run.invoices)} draft "
        "invoices")

    # the demo cases are paid this month: the remittance of the month so
    # far has them
    remittance = Remittance(
        partner=Party(ref('service_network.party_justice')),
        company=company, start_date=first_of_month,
        end_date=dt.date.today())
    remittance.save()
    remittance.click('compute')
    print(f"  remittance to Justice: {remittance.collected} collected, "
        f"{remittance.net_due} net due")
