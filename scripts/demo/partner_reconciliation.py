"""Demo data of partner_reconciliation: an import profile for the Ministry
of Justice and for La Poste, and this month's statement of Justice with a
few discrepancies, imported through the wizard.

Runs after service_case's demo, whose paid cases the statement lists.
"""
import datetime as dt
import io
from decimal import Decimal

import openpyxl
from proteus import Model, Wizard

ORDER = 300


def ref(xml_id):
    ModelData = Model.get('ir.model.data')
    module, name = xml_id.split('.')
    return ModelData.get_id(module, name, {})


def create_profiles():
    Party = Model.get('party.party')
    Profile = Model.get('reconciliation.profile')
    justice = Profile(name="Justice - relevé mensuel des extraits")
    justice.partner = Party(ref('service_network.party_justice'))
    justice.reference_column = "N° dossier"
    justice.date_column = "Date de paiement"
    justice.amount_column = "Frais (FCFA)"
    justice.citizen_column = "Demandeur"
    justice.tolerance = Decimal(0)
    justice.save()
    laposte = Profile(name="La Poste - mandats émis")
    laposte.partner = Party(ref('service_network.party_laposte'))
    laposte.sheet = "Mandats"
    laposte.header_row = 3
    laposte.date_column = "A"
    laposte.reference_column = "B"
    laposte.citizen_column = "C"
    laposte.amount_column = "D"
    laposte.tolerance = Decimal(5)
    laposte.rule_date_citizen = True
    laposte.save()
    return justice, laposte


def justice_statement(cases):
    """Return the workbook Justice would send for cases: one case left
    out, one amount wrong, one money order it does not know"""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Relevé"
    sheet.append(["N° dossier", "Date de paiement", "Demandeur",
            "Frais (FCFA)"])
    for index, case in enumerate(cases[1:]):
        amount = sum(fee.amount for fee in case.fees
            if fee.beneficiary.id == ref('service_network.party_justice'))
        if index == 0:
            amount += 100
        sheet.append([case.number, case.paid_at.date(), case.citizen.name,
                int(amount)])
    sheet.append(["TRB-ZIG-0042", dt.date.today(), "Demandeur inconnu", 200])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def load(company):
    Case = Model.get('case.case')
    Statement = Model.get('reconciliation.statement')
    justice, _ = create_profiles()
    first = dt.date.today().replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) \
        - dt.timedelta(days=1)
    cases = Case.find([
            ('procedure.partner', '=', justice.partner.id),
            ('paid_at', '!=', None),
            ('state', 'not in', ['draft', 'cancelled']),
            ], order=[('number', 'ASC')])
    if not cases:
        print("  no paid case of Justice: no statement imported")
        return
    wizard = Wizard('reconciliation.statement.import')
    wizard.form.profile = justice
    wizard.form.start_date = first
    wizard.form.end_date = last
    wizard.form.file = justice_statement(cases)
    wizard.form.filename = f'justice-{first:%Y-%m}.xlsx'
    wizard.execute('preview')
    wizard.execute('import_all')
    statement, = Statement.find([('partner', '=', justice.partner.id)])
    print(f"  statement of Justice {first:%m/%Y}: {statement.line_count} "
        f"lines, {statement.matched_count} matched, "
        f"{statement.amount_differs_count} amount differs, "
        f"{statement.unknown_count} unknown, "
        f"{statement.missing_count} missing")
