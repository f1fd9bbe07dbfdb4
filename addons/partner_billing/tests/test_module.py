import datetime as dt
import io
from decimal import Decimal

from pypdf import PdfReader

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import (
    DigitsValidationError,
    ForeignKeyError,
    SQLConstraintError,
    ValidationError,
)
from trytond.modules.account.tests.test_module import (
    create_chart,
    get_fiscalyear,
)
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences,
)
from trytond.modules.company.tests import (
    CompanyTestMixin,
    create_company,
    set_company,
)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import DB_NAME, USER, with_transaction
from trytond.transaction import Transaction, TransactionError

from partner_billing.exceptions import NothingToBillError
from service_case.receipt import amount_in_words, format_xof
from service_network.tests.tools import on_day

# A closed month, billed on the first day of the next one
MONTH_START = dt.date(2026, 3, 1)
MONTH_END = dt.date(2026, 3, 31)
BILLING_DAY = dt.date(2026, 4, 1)


def ref(xml_id, module='service_network'):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    return ModelData.get_id(module, xml_id)


def account(code, company):
    pool = Pool()
    Account = pool.get('account.account')
    found, = Account.search([
            ('code', '=', code), ('company', '=', company.id)])
    return found


def setup_books():
    """Return the XOF company on the SYSCOHADA chart with billing settings
    and its VAT, created unless a test class committed them already
    (commit_books)"""
    pool = Pool()
    Configuration = pool.get('billing.configuration')
    Currency = pool.get('currency.currency')
    Tax = pool.get('account.tax')
    Party = pool.get('party.party')
    made = Tax.search([('name', '=', "TVA 18 %")], limit=1)
    if made:
        vat, = made
        return vat.company, vat
    company = create_company(currency=Currency(ref('currency_xof')))
    with set_company(company):
        create_chart(company, chart='account_syscohada.root_2016_fr')
        vat, = Tax.create([{
                    'name': "TVA 18 %", 'description': "TVA 18 %",
                    'type': 'percentage', 'rate': Decimal('0.18'),
                    'invoice_account': account('4431', company).id,
                    'credit_note_account': account('4431', company).id,
                    }])
        Configuration.write([Configuration(1)], {
                'revenue_account': account('7061', company).id,
                })
    Party.write([Party(ref(p)) for p in [
                'party_justice', 'party_laposte',
                'party_commune_ziguinchor']], {
            'addresses': [('create', [{'city': "Dakar"}])],
            })
    return company, vat


def commit_books():
    """Create the books once for a test class: loading the chart is the
    longest step of these tests, and each test rolls back its own work"""
    extras = {}
    while True:
        with Transaction().start(DB_NAME, USER, **extras) as transaction:
            try:
                setup_books()
            except TransactionError as error:
                # a table to lock: start again with it locked, as
                # with_transaction does
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            return


def pdf_pages(content):
    "The text of each page of a PDF, its lines and spaces joined"
    reader = PdfReader(io.BytesIO(content))
    return [' '.join(page.extract_text().split()) for page in reader.pages]


def create_agreement(partner, lines, start=MONTH_START, activate=True):
    pool = Pool()
    Agreement = pool.get('billing.agreement')
    agreement, = Agreement.create([{
                'partner': ref(partner),
                'start_date': start,
                'lines': [('create', lines)],
                }])
    if activate:
        Agreement.activate([agreement])
    return agreement


def create_cases(procedure, sites, state, day=dt.date(2026, 3, 10)):
    """Create cases of procedure at sites, already in state on day, as the
    workflow would have left them"""
    pool = Pool()
    Case = pool.get('case.case')
    Fee = pool.get('case.fee')
    History = pool.get('case.history')
    Party = pool.get('party.party')
    Procedure = pool.get('network.procedure')
    procedure = Procedure(ref(procedure))
    citizen, = Party.create([{'name': "Awa Diatta"}])
    at = dt.datetime.combine(day, dt.time(10))
    cases = Case.create([{
                'site': ref(site), 'citizen': citizen.id,
                'procedure': procedure.id, 'state': state,
                'submission_date': day, 'paid_at': at, 'transmitted_at': at,
                'delivery_date': day if state == 'delivered' else None,
                } for site in sites])
    Fee.create([{
                'case': case.id, 'label': fee.label, 'kind': fee.kind,
                'amount': fee.amount, 'beneficiary': fee.beneficiary.id,
                } for case in cases for fee in procedure.fees])
    History.create([{
                'case': case.id, 'from_state': 'submitted',
                'to_state': 'transmitted', 'date': at,
                } for case in cases])
    return cases


def bill(company, start=MONTH_START, end=MONTH_END, on=BILLING_DAY,
        partner=None):
    pool = Pool()
    Run = pool.get('billing.run')
    run, = Run.create([{
                'company': company.id, 'start_date': start, 'end_date': end,
                'partner': partner,
                }])
    with on_day(on):
        Run.process([run])
    return run


def bill_money_orders(company):
    """Bill La Poste two money orders transmitted at Thiès, 300 F CFA each:
    return the cases and the invoice"""
    create_agreement('party_laposte', [
            {'basis': 'transmitted', 'amount': Decimal(300)}])
    cases = create_cases(
        'procedure_money_order', ['site_ths', 'site_ths'], 'transmitted')
    invoice, = bill(company).invoices
    return cases, invoice


class PartnerBillingTestCase(CompanyTestMixin, test_tryton.ModuleTestCase):
    "Test Partner Billing module"
    module = 'partner_billing'
    # The SYSCOHADA chart is loaded only in a French database
    language = 'fr'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        commit_books()

    @with_transaction()
    def test_agreement_line_negative(self):
        "A negative amount or rate is refused with the field's name"
        company, _ = setup_books()
        with set_company(company):
            for line in [
                    {'basis': 'delivered', 'amount': Decimal(-1)},
                    {'basis': 'collected', 'rate': Decimal(-5)},
                    ]:
                with self.assertRaises(ValidationError) as cm:
                    create_agreement('party_justice', [line])
                self.assertIn('négatif', cm.exception.message)
            with self.assertRaises(ValidationError):
                create_agreement('party_justice', [{'basis': 'collected'}])

    @with_transaction()
    def test_agreement_lines_checked_each_against_its_partner(self):
        """Lines of two agreements created together: each line's procedure
        is checked against its own agreement's partner (the domain reads
        the parent: the batch's validation keeps one result per parent)"""
        pool = Pool()
        Line = pool.get('billing.agreement.line')
        company, _ = setup_books()
        with set_company(company):
            justice = create_agreement('party_justice', [], activate=False)
            laposte = create_agreement('party_laposte', [], activate=False)

            def line(agreement, procedure):
                return {'agreement': agreement.id, 'basis': 'delivered',
                    'amount': Decimal(500), 'procedure': ref(procedure)}
            lines = Line.create([
                    line(justice, 'procedure_criminal_record'),
                    line(laposte, 'procedure_money_order')])
            self.assertEqual(
                [(created.agreement, created.procedure.partner)
                    for created in lines],
                [(justice, justice.partner), (laposte, laposte.partner)])
            # a wrong line among right ones (Tryton checks a batch's lines
            # against one OR of their domains: a wrong line whose procedure
            # is also a right line's would pass, kept so)
            for wrong in [
                    [line(justice, 'procedure_criminal_record'),
                        line(laposte, 'procedure_birth_certificate')],
                    [line(laposte, 'procedure_money_order'),
                        line(justice, 'procedure_birth_certificate')],
                    ]:
                with self.assertRaises(ValidationError):
                    Line.create(wrong)

    @with_transaction()
    def test_agreement_activation(self):
        "No activation without a fee line; no overlapping agreements"
        pool = Pool()
        Agreement = pool.get('billing.agreement')
        company, _ = setup_books()
        with set_company(company):
            empty = create_agreement('party_justice', [], activate=False)
            with self.assertRaises(UserError):
                Agreement.activate([empty])
            line = {'basis': 'delivered', 'amount': Decimal(500)}
            create_agreement('party_justice', [line])
            earlier = create_agreement('party_justice', [line],
                start=dt.date(2025, 1, 1), activate=False)
            earlier.end_date = MONTH_START - dt.timedelta(days=1)
            earlier.save()
            Agreement.activate([earlier])
            later = create_agreement('party_justice', [line],
                start=dt.date(2026, 6, 1), activate=False)
            with self.assertRaises(ValidationError) as cm:
                Agreement.activate([later])
            self.assertIn('chevauche', cm.exception.message)
            with self.assertRaises(ValidationError):
                Agreement.write([empty], {'commission_rate': Decimal(120)})

    @with_transaction()
    def test_run_refusals(self):
        "Open period, overlapping run in progress, no receivable account"
        pool = Pool()
        Run = pool.get('billing.run')
        company, _ = setup_books()
        with set_company(company):
            with self.assertRaises(UserError) as cm:
                bill(company, on=MONTH_END)
            self.assertIn("n'est pas close", cm.exception.message)
            pending, = Run.create([{
                        'company': company.id,
                        'start_date': dt.date(2026, 3, 15),
                        'end_date': dt.date(2026, 4, 15),
                        }])
            with self.assertRaises(UserError) as cm:
                bill(company)
            self.assertIn('encore en cours', cm.exception.message)
            Run.delete([pending])
        other = create_company(name="Sans plan comptable")
        with set_company(other):
            create_agreement('party_laposte', [
                    {'basis': 'transmitted', 'amount': Decimal(300)}])
            with self.assertRaises(UserError) as cm:
                bill(other)
            self.assertIn('compte à recevoir', cm.exception.message)

    @with_transaction()
    def test_billing_run(self):
        "Cases billed once per basis, grouped by procedure and site"
        pool = Pool()
        LineCase = pool.get('billing.line.case')
        company, vat = setup_books()
        with set_company(company):
            create_agreement('party_justice', [{
                        'procedure': ref('procedure_criminal_record'),
                        'basis': 'delivered', 'amount': Decimal(500),
                        'tax': vat.id,
                        }, {
                        'basis': 'collected', 'rate': Decimal(10),
                        }])
            delivered = create_cases(
                'procedure_criminal_record',
                ['site_zig', 'site_zig', 'site_dkr'], 'delivered')
            create_cases('procedure_criminal_record', ['site_zig'],
                'delivered', day=dt.date(2026, 4, 2))
            run = bill(company)
            invoice, = run.invoices
            self.assertEqual(run.state, 'done')
            lines = {(line.billing_basis, line.billing_site.code):
                (line.quantity, line.amount) for line in invoice.lines}
            self.assertEqual(lines, {
                    ('delivered', 'ZIG'): (2, Decimal(1000)),
                    ('delivered', 'DKR'): (1, Decimal(500)),
                    # 10 % of the 400 FCFA collected per case
                    ('collected', 'ZIG'): (1, Decimal(80)),
                    ('collected', 'DKR'): (1, Decimal(40)),
                    })
            self.assertEqual(invoice.tax_amount, Decimal(270))
            self.assertEqual(invoice.total_amount, Decimal(1890))
            self.assertEqual(
                {c.case for c in LineCase.search([
                            ('basis', '=', 'delivered'),
                            ('invoice_line.invoice', '=', invoice.id),
                            ])},
                set(delivered))
            # billing the month again bills nothing and says so
            with self.assertRaises(NothingToBillError) as cm:
                bill(company)
            # the message names the period (its words depend on the
            # language the test database was made in)
            self.assertIn("01/03/2026 - 31/03/2026", cm.exception.message)
            self.assertEqual(run.invoice_count, 1)
            self.assertEqual(run.case_count, len(delivered))
            self.assertEqual(run.total_amount, Decimal(1890))
            # F CFA has no subunit: neither have unit prices
            line = invoice.lines[0]
            line.unit_price = Decimal('500.5')
            with self.assertRaises(DigitsValidationError):
                line.save()
            # Last: on PostgreSQL the error aborts the transaction
            with self.assertRaises(SQLConstraintError):
                LineCase.create([{
                            'case': delivered[0].id, 'basis': 'delivered',
                            'invoice_line': invoice.lines[0].id,
                            }])

    @with_transaction()
    def test_credit_after_cancellation(self):
        "A billed case cancelled later is credited by the next run"
        pool = Pool()
        Case = pool.get('case.case')
        Invoice = pool.get('account.invoice')
        LineCase = pool.get('billing.line.case')
        company, _ = setup_books()
        with set_company(company):
            cases, first = bill_money_orders(company)
            self.assertEqual(first.total_amount, Decimal(600))
            Case.write(cases[:1], {'state': 'cancelled'})
            credit, = bill(company, dt.date(2026, 4, 1),
                dt.date(2026, 4, 30), dt.date(2026, 5, 1)).invoices
            line, = credit.lines
            self.assertEqual(line.billing_credited_line, first.lines[0])
            self.assertEqual(
                [c.case for c in line.billing_credited_cases], cases[:1])
            self.assertEqual(credit.total_amount, Decimal(-300))
            with self.assertRaises(NothingToBillError):
                bill(company, dt.date(2026, 5, 1),
                    dt.date(2026, 5, 31), dt.date(2026, 6, 1))
            # the credit note deleted (a draft): its line no longer credits
            # the case, which the next run credits again
            Invoice.delete([credit])
            link, = LineCase.search([('case', '=', cases[0].id)])
            self.assertIsNone(link.credit_line)
            again, = bill(company, dt.date(2026, 6, 1),
                dt.date(2026, 6, 30), dt.date(2026, 7, 1)).invoices
            self.assertEqual(
                [c.case for c in again.lines[0].billing_credited_cases],
                cases[:1])
            self.assertEqual(again.total_amount, Decimal(-300))

    @with_transaction()
    def test_links_follow_deletions(self):
        """The links of the billed cases hold without a foreign key in the
        database: a billed case cannot be deleted, a deleted draft invoice
        frees its cases for the next run"""
        pool = Pool()
        Case = pool.get('case.case')
        Invoice = pool.get('account.invoice')
        LineCase = pool.get('billing.line.case')
        company, _ = setup_books()
        with set_company(company):
            cases, invoice = bill_money_orders(company)
            Case.write(cases[:1], {'state': 'cancelled'})
            with self.assertRaises(ForeignKeyError) as cm:
                Case.delete(cases[:1])
            self.assertIn(LineCase.__names__()['model'], cm.exception.message)
            self.assertEqual(Case.search([('id', '=', cases[0].id)]),
                cases[:1])
            Case.write(cases[:1], {'state': 'transmitted'})

            Invoice.delete([invoice])
            self.assertEqual(LineCase.search([('case', 'in', cases)]), [])
            again, = bill(company).invoices
            self.assertEqual(again.total_amount, Decimal(600))
            self.assertEqual(
                {link.case for line in again.lines
                    for link in line.billing_cases},
                set(cases))
        if backend.name == 'postgresql':
            # what makes the links cheap to write: no foreign key on the
            # case, the line and the credit line, the line's cases found by
            # a BRIN index
            cursor = Transaction().connection.cursor()
            cursor.execute("SELECT pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f'", (LineCase._table,))
            self.assertEqual([d for d, in cursor], [])
            cursor.execute("SELECT indexdef FROM pg_indexes "
                "WHERE tablename = %s AND indexdef LIKE %s",
                (LineCase._table, '%(invoice_line)'))
            self.assertEqual([d.split(' USING ')[1] for d, in cursor],
                ['brin (invoice_line)'])

    @with_transaction()
    def test_monthly_fee(self):
        "The monthly fee is billed once per active site and month"
        company, _ = setup_books()
        with set_company(company):
            create_agreement('party_laposte', [
                    {'basis': 'monthly', 'amount': Decimal(5000)}],
                start=dt.date(2026, 1, 1))
            create_cases('procedure_money_order', ['site_ths', 'site_zig'],
                'transmitted')
            create_cases('procedure_money_order', ['site_ths'],
                'transmitted', day=dt.date(2026, 2, 3))
            invoice, = bill(company, dt.date(2026, 1, 1)).invoices
            self.assertEqual(
                sorted((line.billing_site.code, line.quantity)
                    for line in invoice.lines),
                [('THS', 2), ('ZIG', 1)])
            self.assertEqual(invoice.total_amount, Decimal(15000))
            with self.assertRaises(NothingToBillError):
                bill(company)

    @with_transaction()
    def test_scheduled_run_nothing_to_bill(self):
        "The scheduled run of a month without any fee keeps no run"
        pool = Pool()
        Run = pool.get('billing.run')
        company, _ = setup_books()
        with set_company(company):
            with on_day(BILLING_DAY):
                self.assertEqual(Run.bill_last_month(), [])
            self.assertEqual(Run.search([]), [])

    @with_transaction()
    def test_invoice_report(self):
        """The partner invoice is a PDF with the company, the partner, the
        lines, the totals in XOF, the total in words and the due date"""
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        Invoice = pool.get('account.invoice')
        Party = pool.get('party.party')
        PaymentTerm = pool.get('account.invoice.payment_term')
        Report = pool.get('billing.invoice', type='report')
        self.assertEqual(amount_in_words(Decimal(2360)),
            "deux mille trois cent soixante francs CFA")
        self.assertEqual(format_xof(Decimal(1250000)), "1\u00a0250\u00a0000")
        company, vat = setup_books()
        address, = company.party.addresses
        Party.write([company.party], {
                'name': "Sénégal Numérique SA",
                'addresses': [('write', [address.id], {
                                'street': "Immeuble Sénégal Numérique\n"
                                "Route de la Corniche Ouest",
                                'city': "Dakar",
                                })],
                'identifiers': [('create', [{
                                'type': 'sn_ninea', 'code': '30672212G2'}])],
                }, [Party(ref('party_justice'))], {
                'identifiers': [('create', [{
                                'type': 'sn_ninea', 'code': '0451234532G2'}])],
                })
        with set_company(company):
            # The sequence types are searched by their English names
            with Transaction().set_context(language='en'):
                fiscalyear = set_invoice_sequences(
                    get_fiscalyear(company, today=MONTH_END))
                fiscalyear.save()
            FiscalYear.create_period([fiscalyear])
            term, = PaymentTerm.create([{
                        'name': "30 jours",
                        'lines': [('create', [{
                                        'type': 'remainder',
                                        'relativedeltas': [
                                            ('create', [{'days': 30}])],
                                        }])],
                        }])
            create_agreement('party_justice', [{
                        'basis': 'delivered', 'amount': Decimal(1000),
                        'tax': vat.id,
                        }])
            create_cases('procedure_criminal_record', ['site_zig'] * 2,
                'delivered')
            invoice, = bill(company).invoices
            self.assertEqual(invoice.total_amount, Decimal(2360))
            invoice.payment_term = term
            invoice.save()
            # The payment term's date is in the past of the test's clock
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post([invoice])

            extension, content, _, _ = Report.execute([invoice.id], {})

        self.assertEqual(extension, 'pdf')
        self.assertTrue(content.startswith(b'%PDF'))
        text, = pdf_pages(content)
        for expected in [
                "Facture", invoice.number, "31/03/2026",
                "du 01/03/2026 au 31/03/2026",
                "Sénégal Numérique SA", "Route de la Corniche Ouest",
                "NINEA : 3067221 2G2",
                "Ministère de la Justice", "NINEA : 045123453 2G2", "Dakar",
                "Extrait", "Ziguinchor", "TVA 18 %",
                "Total HT 2 000 F CFA", "Total TVA 360 F CFA",
                "Total TTC 2 360 F CFA",
                "Arrêtée la présente facture à la somme de deux mille trois "
                "cent soixante francs CFA",
                "30 jours", "À régler le 30/04/2026 2 360 F CFA"]:
            self.assertIn(expected, text)

    @with_transaction()
    def test_invoice_report_draft_credit_note(self):
        "A draft credit note prints as a pro forma credit note, in words"
        pool = Pool()
        Case = pool.get('case.case')
        Report = pool.get('billing.invoice', type='report')
        company, _ = setup_books()
        with set_company(company):
            create_agreement('party_laposte', [
                    {'basis': 'transmitted', 'amount': Decimal(300)}])
            case, = create_cases(
                'procedure_money_order', ['site_ths'], 'transmitted')
            bill(company)
            Case.write([case], {'state': 'cancelled'})
            credit_note, = bill(
                company, dt.date(2026, 4, 1), dt.date(2026, 4, 30),
                on=dt.date(2026, 5, 1)).invoices

            _, content, _, _ = Report.execute([credit_note.id], {})

        text, = pdf_pages(content)
        for expected in [
                "Avoir proforma", "-300",
                "Arrêté le présent avoir à la somme de trois cents francs "
                "CFA"]:
            self.assertIn(expected, text)
        self.assertNotIn("moins", text)

    @with_transaction()
    def test_remittance(self):
        """Fees collected on behalf are listed case by case, once, and
        posted in one step with their supplier invoice"""
        pool = Pool()
        Remittance = pool.get('billing.remittance')
        Configuration = pool.get('billing.configuration')
        FiscalYear = pool.get('account.fiscalyear')
        company, _ = setup_books()
        with set_company(company):
            on_behalf = account('4712', company)
            on_behalf.type.debt = True
            on_behalf.type.save()
            Configuration.write([Configuration(1)], {
                    'on_behalf_account': on_behalf.id,
                    'commission_account': account('7072', company).id,
                    })
            with Transaction().set_context(language='en'):
                fiscalyear = set_invoice_sequences(
                    get_fiscalyear(company, today=MONTH_END))
                fiscalyear.save()
            FiscalYear.create_period([fiscalyear])
            # February: the cases of the other tests are in March
            february, february_end = dt.date(2026, 2, 1), dt.date(2026, 2, 28)
            agreement = create_agreement('party_justice', [
                    {'basis': 'delivered', 'amount': Decimal(500)}],
                start=february, activate=False)
            agreement.commission_rate = Decimal('12.5')
            agreement.save()
            agreement.activate([agreement])
            cases = create_cases('procedure_criminal_record',
                ['site_zig', 'site_dkr', 'site_ths'], 'delivered',
                day=dt.date(2026, 2, 10))
            create_cases('procedure_criminal_record', ['site_zig'],
                'cancelled', day=dt.date(2026, 2, 10))
            remittance, other = Remittance.create([{
                        'partner': ref('party_justice'),
                        'start_date': february, 'end_date': february_end,
                        }] * 2)
            Remittance.compute([remittance])
            self.assertEqual(
                sorted(line.case.id for line in remittance.lines),
                sorted(c.id for c in cases))
            self.assertEqual(
                (remittance.collected, remittance.commission,
                    remittance.net_due),
                (Decimal(600), Decimal(75), Decimal(525)))
            Remittance.post([remittance])
            self.assertEqual(remittance.state, 'posted')
            self.assertEqual(remittance.invoice.state, 'posted')
            self.assertEqual(remittance.invoice.total_amount, Decimal(525))
            self.assertEqual(
                remittance.invoice.billing_remittance, remittance)
            self.assertEqual(remittance.move.state, 'posted')
            Remittance.compute([other])
            self.assertEqual(other.lines, ())
            with self.assertRaises(UserError):
                Remittance.post([other])
            treasury, = Remittance.create([{
                        'partner': ref('party_treasury'),
                        'start_date': february, 'end_date': february_end,
                        }])
            with self.assertRaises(UserError):
                Remittance.compute([treasury])  # no agreement

    @with_transaction()
    def test_finance_views(self):
        "Billed and collected amounts per partner and month"
        pool = Pool()
        PartnerMonth = pool.get('billing.partner.month')
        Revenue = pool.get('billing.revenue')
        company, _ = setup_books()
        with set_company(company):
            # The commune, alone on its birth certificates, is billed in
            # January only here
            january = dt.date(2026, 1, 1)
            create_agreement('party_commune_ziguinchor', [
                    {'basis': 'delivered', 'amount': Decimal(500)}],
                start=january)
            create_cases('procedure_birth_certificate',
                ['site_zig', 'site_dkr'], 'delivered', day=january)
            bill(company, january, dt.date(2026, 1, 31))
            row, = PartnerMonth.search([
                    ('partner', '=', ref('party_commune_ziguinchor')),
                    ('month', '=', '2026-01'),
                    ])
            self.assertEqual(
                (row.billed, row.collected, row.remitted, row.outstanding),
                (Decimal(1000), Decimal(400), Decimal(0), Decimal(400)))
            revenue = Revenue.search([
                    ('partner', '=', ref('party_commune_ziguinchor')),
                    ('month', '=', '2026-01'),
                    ])
            self.assertEqual(
                sorted((r.site.code, r.amount) for r in revenue),
                [('DKR', Decimal(500)), ('ZIG', Decimal(500))])

    @with_transaction()
    def test_partner_month_id_stable(self):
        """A row per partner and month keeps its id, derived from them,
        when other months are billed"""
        pool = Pool()
        PartnerMonth = pool.get('billing.partner.month')
        company, _ = setup_books()
        commune = ref('party_commune_ziguinchor')
        january, february = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
        with set_company(company):
            create_agreement('party_commune_ziguinchor', [
                    {'basis': 'delivered', 'amount': Decimal(500)}],
                start=january)
            create_cases('procedure_birth_certificate',
                ['site_zig'], 'delivered', day=january)
            bill(company, january, dt.date(2026, 1, 31), on=february)
            before = {(r.partner.id, r.month): r.id
                for r in PartnerMonth.search([])}
            self.assertEqual(before[commune, '2026-01'],
                commune * 10 ** 6 + 202601)
            row, = PartnerMonth.search([('month', '=', '2026-01'),
                    ('partner', '=', commune)])
            self.assertEqual(row.id, before[commune, '2026-01'])

            create_cases('procedure_birth_certificate',
                ['site_dkr'], 'delivered', day=february)
            bill(company, february, dt.date(2026, 2, 28),
                on=dt.date(2026, 3, 2))
            after = {(r.partner.id, r.month): r.id
                for r in PartnerMonth.search([])}
            self.assertIn((commune, '2026-02'), after)
            self.assertEqual(
                {k: v for k, v in after.items() if k in before}, before)
            self.assertEqual(
                PartnerMonth(before[commune, '2026-01']).billed,
                Decimal(500))
