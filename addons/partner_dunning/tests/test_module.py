import datetime as dt
from decimal import Decimal

from trytond.modules.account.tests.test_module import get_fiscalyear
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences,
)
from trytond.modules.company.tests import CompanyTestMixin, set_company
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from partner_billing.tests.test_module import (
    account,
    commit_books,
    pdf_pages,
    ref,
    setup_books,
)
from service_network.tests.tools import on_day


def post_invoice(company, partner, date, amount):
    """Post a customer invoice of amount to partner, due on its date
    (without payment term date, Tryton makes it due on the posting day)"""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    Party = pool.get('party.party')
    party = Party(ref(partner))
    invoice, = Invoice.create([{
                'type': 'out', 'company': company.id, 'party': party.id,
                'invoice_address': party.addresses[0].id,
                'account': party.account_receivable_used.id,
                'currency': company.currency.id, 'invoice_date': date,
                'payment_term_date': date,
                'lines': [('create', [{
                                'description': "Forfait d'accompagnement",
                                'account': account('7061', company).id,
                                'quantity': 1, 'unit_price': amount,
                                }])],
                }])
    invoice.set_journal()
    invoice.save()
    # the due date is in the past of the test's clock
    with Transaction().set_context(_skip_warnings=True):
        Invoice.post([invoice])
    return invoice


class PartnerDunningTestCase(CompanyTestMixin, test_tryton.ModuleTestCase):
    "Test Partner Dunning module"
    module = 'partner_dunning'
    # The SYSCOHADA chart is loaded only in a French database
    language = 'fr'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        commit_books()

    def setup_invoices(self):
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        company, _ = setup_books()
        with set_company(company):
            with Transaction().set_context(language='en'):
                fiscalyear = set_invoice_sequences(
                    get_fiscalyear(company, today=dt.date(2026, 3, 31)))
                fiscalyear.save()
            FiscalYear.create_period([fiscalyear])
            invoices = [
                post_invoice(company, 'party_justice',
                    dt.date(2026, 1, 15), Decimal(150000)),
                post_invoice(company, 'party_justice',
                    dt.date(2026, 2, 20), Decimal(50000)),
                post_invoice(company, 'party_laposte',
                    dt.date(2026, 3, 10), Decimal(30000)),
                ]
        return company, invoices

    @with_transaction()
    def test_partner_procedure(self):
        "Partners follow the module's procedure: 15, 30 and 60 days"
        pool = Pool()
        Party = pool.get('party.party')
        Line = pool.get('account.move.line')
        procedure = ref('procedure_partner', 'partner_dunning')
        partner = Line(party=Party(ref('party_justice'))).dunning_procedure
        self.assertEqual(partner.id, procedure)
        self.assertEqual(
            [(level.rec_name, level.overdue.days)
                for level in partner.levels],
            [("Premier rappel", 15), ("Second rappel", 30),
                ("Mise en demeure", 60)])

    @with_transaction()
    def test_dunning_levels(self):
        """Overdue invoices get a first reminder, processed reminders move
        to the next level when it is due"""
        pool = Pool()
        Dunning = pool.get('account.dunning')
        company, (old, recent, laposte) = self.setup_invoices()
        with set_company(company):
            Dunning.generate_dunnings(date=dt.date(2026, 3, 20))
            dunnings = Dunning.search([])
            self.assertEqual(
                sorted((d.line.move_origin, d.level.rec_name)
                    for d in dunnings),
                sorted([(old, "Premier rappel"),
                        (recent, "Premier rappel")]))
            Dunning.process(dunnings)
            self.assertEqual({d.state for d in dunnings}, {'waiting'})

            Dunning.generate_dunnings(date=dt.date(2026, 4, 20))
            self.assertEqual(
                sorted((d.line.move_origin.party.id, d.level.rec_name,
                        d.state)
                    for d in Dunning.search([])),
                sorted([
                        (old.party.id, "Second rappel", 'draft'),
                        (recent.party.id, "Second rappel", 'draft'),
                        (laposte.party.id, "Premier rappel", 'draft'),
                        ]))

    @with_transaction()
    def test_letter(self):
        """One letter per partner at its highest level, its invoices by due
        date with their days late and the total due, in French"""
        pool = Pool()
        Dunning = pool.get('account.dunning')
        Letter = pool.get('partner_dunning.letter', type='report')
        company, (old, recent, laposte) = self.setup_invoices()
        day = dt.date(2026, 4, 20)
        with set_company(company):
            Dunning.generate_dunnings(date=dt.date(2026, 3, 20))
            Dunning.process(Dunning.search([]))
            Dunning.generate_dunnings(date=day)
            dunnings = Dunning.search([])

            letters = Letter.letters(dunnings, day)
            self.assertEqual(len(letters), 2)
            justice, = [x for x in letters if x.party == old.party]
            self.assertEqual(justice.level.rec_name, "Second rappel")
            self.assertEqual(
                [(r.invoice, r.amount_due, r.days_late)
                    for r in justice.rows],
                [(old, Decimal(150000), 95), (recent, Decimal(50000), 59)])
            self.assertEqual(justice.total_due, Decimal(200000))

            with on_day(day):
                extension, content, _, _ = Letter.execute(
                    [d.id for d in dunnings], {})

        self.assertEqual(extension, 'pdf')
        self.assertTrue(content.startswith(b'%PDF'))
        pages = pdf_pages(content)
        self.assertEqual(len(pages), 2)
        text = ' '.join(pages)
        for expected in [
                "Second rappel", "Premier rappel", "Ministère de la Justice",
                old.number, "15/01/2026", "20/04/2026",
                "150 000", "Total dû 200 000",
                "deux cent mille francs CFA", "Madame, Monsieur",
                "Malgré notre premier rappel"]:
            self.assertIn(expected, text)
        for english in ["Dear", "Invoice", "Due Date", "Total Due"]:
            self.assertNotIn(english, text)

    @with_transaction()
    def test_process_prints_letters(self):
        "Processing the reminders ends on their letter"
        pool = Pool()
        Dunning = pool.get('account.dunning')
        Process = pool.get('account.dunning.process', type='wizard')
        company, _ = self.setup_invoices()
        with set_company(company):
            Dunning.generate_dunnings(date=dt.date(2026, 3, 20))
            dunnings = Dunning.search([])
            session_id, _, _ = Process.create()
            with Transaction().set_context(
                    active_model='account.dunning',
                    active_ids=[d.id for d in dunnings],
                    active_id=dunnings[0].id):
                result = Process.execute(session_id, {}, 'process')
            action, = result['actions']
            self.assertEqual(
                action[0]['report_name'], 'partner_dunning.letter')
            self.assertEqual(
                sorted(action[1]['ids']), sorted(d.id for d in dunnings))
            self.assertEqual({d.state for d in dunnings}, {'waiting'})
