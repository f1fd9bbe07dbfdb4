import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import ForeignKeyError
from trytond.modules.company.tests import (
    CompanyTestMixin,
    create_company,
    set_company,
)
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from partner_billing.tests.test_module import (
    bill,
    create_agreement,
    setup_books,
)
from partner_billing.tests.test_module import create_cases as billed_cases
from partner_reconciliation.parser import Layout, parse
from partner_reconciliation.statement_import import (
    errors_text,
    import_statement,
    read_file,
    totals_text,
)

START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
HEADER = ['Référence', 'Date', 'Montant', 'Nom', 'Dossier']


def ref(xml_id, module='service_network'):
    return Pool().get('ir.model.data').get_id(module, xml_id)


def create_profile(**values):
    pool = Pool()
    Profile = pool.get('reconciliation.profile')
    values = {
        'name': "Justice", 'partner': ref('party_justice'),
        'reference_column': 'Référence', 'date_column': 'Date',
        'amount_column': 'Montant', 'citizen_column': 'Nom',
        'case_number_column': 'Dossier', **values}
    profile, = Profile.create([values])
    return profile


def create_cases(people, procedure='CJ-B3'):
    """Create paid cases of the procedure: people are (citizen, day) or
    (citizen, day, values) tuples; the fees are the catalogue's"""
    pool = Pool()
    Case = pool.get('case.case')
    Fee = pool.get('case.fee')
    Party = pool.get('party.party')
    Procedure = pool.get('network.procedure')
    procedure, = Procedure.search([('code', '=', procedure)])
    citizens = Party.create([{'name': person[0]} for person in people])
    cases = Case.create([{
                'site': ref('site_zig'), 'citizen': citizen.id,
                'procedure': procedure.id, 'state': 'submitted',
                'submission_date': person[1],
                'paid_at': dt.datetime.combine(person[1], dt.time(10)),
                **(person[2] if len(person) > 2 else {}),
                } for citizen, person in zip(citizens, people, strict=True)])
    Fee.create([{
                'case': case.id, 'label': fee.label, 'kind': fee.kind,
                'amount': fee.amount, 'beneficiary': fee.beneficiary.id,
                } for case in cases for fee in procedure.fees])
    return cases


def xlsx(rows, title='Relevé'):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def xls(rows):
    book = xlwt.Workbook()
    sheet = book.add_sheet('Relevé')
    date_style = xlwt.easyxf(num_format_str='DD/MM/YYYY')
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def csv_bytes(rows):
    text = io.StringIO()
    csv.writer(text, delimiter=';').writerows(rows)
    return text.getvalue().encode('utf-8')


def statement_count():
    pool = Pool()
    Statement = pool.get('reconciliation.statement')
    Line = pool.get('reconciliation.statement.line')
    return Statement.search_count([]), Line.search_count([])


class PartnerReconciliationTestCase(
        CompanyTestMixin, test_tryton.ModuleTestCase):
    "Test Partner Reconciliation module"
    module = 'partner_reconciliation'
    # The messages are checked in French, as finance reads them
    language = 'fr'

    def assertRefused(self, profile, data, expected, filename='releve'):
        "The file is refused with the expected message; nothing is stored"
        before = statement_count()
        with self.assertRaises(UserError) as cm:
            import_statement(profile, START, END, data, filename)
        self.assertEqual(cm.exception.message, expected)
        self.assertEqual(statement_count(), before)

    @with_transaction()
    def test_line_indexes(self):
        """A statement's lines are found through the index on (statement,
        status), without a second index on the statement alone, and the
        database holds the same"""
        pool = Pool()
        Line = pool.get('reconciliation.statement.line')
        Line.__setup_indexes__()
        starts = {tuple(str(e) for e, _ in i.expressions)
            for i in Line._sql_indexes}
        self.assertIn(('"statement"', '"status"'), starts)
        self.assertNotIn(('"statement"',), starts)
        if backend.name == 'postgresql':
            cursor = Transaction().connection.cursor()
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
                (Line._table,))
            definitions = [d for d, in cursor]
            self.assertTrue(any(d.endswith('(statement, status)')
                    for d in definitions), definitions)
            self.assertFalse(any(d.endswith('(statement)')
                    for d in definitions), definitions)

    @with_transaction()
    def test_bad_files(self):
        "Files that are no statement are refused with a clear message"
        company = create_company()
        with set_company(company):
            profile = create_profile()
            self.assertRefused(
                profile, b'', 'Le fichier « releve » est vide (0 octet).')
            self.assertRefused(
                profile, b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' * 20,
                "Le fichier « releve » n'est pas un tableur : envoyez un "
                "classeur Excel (.xls, .xlsx) ou un fichier CSV.")
            document = io.BytesIO()
            with zipfile.ZipFile(document, 'w') as zf:
                zf.writestr('word/document.xml', '<w:document/>')
            self.assertRefused(
                profile, document.getvalue(),
                "Le fichier « releve » n'est pas un tableur : envoyez un "
                "classeur Excel (.xls, .xlsx) ou un fichier CSV.")
            good = xlsx([HEADER, ['R1', '02/03/2026', 200, 'Awa', None]])
            with self.assertRaises(UserError) as cm:
                import_statement(
                    profile, START, END, good[:len(good) // 2], 'releve')
            self.assertTrue(cm.exception.message.startswith(
                    "Le classeur « releve » est endommagé et ne peut pas "
                    "être lu."), cm.exception.message)
            self.assertEqual(statement_count(), (0, 0))

    @with_transaction()
    def test_password_protected(self):
        "A workbook encrypted by a password is named as such"
        company = create_company()
        with set_company(company):
            profile = create_profile()
            plain = xlsx([HEADER, ['R1', '02/03/2026', 200, 'Awa', None]])
            encrypted = io.BytesIO()
            office = OOXMLFile(io.BytesIO(plain))
            office.encrypt('secret', encrypted)
            self.assertRefused(
                profile, encrypted.getvalue(),
                "Le classeur « releve » est protégé par un mot de passe : "
                "retirez le mot de passe dans Excel, enregistrez-le et "
                "importez-le à nouveau.")

    @with_transaction()
    def test_no_header(self):
        "A sheet without header at the profile's row, or without a column"
        company = create_company()
        with set_company(company):
            profile = create_profile()
            self.assertRefused(
                profile, xlsx([[None], [None, None]]),
                "La feuille de « releve » n'a pas d'en-tête à la ligne 1 : "
                "vérifiez la ligne d'en-tête du profil.")
            self.assertRefused(
                profile, xlsx([['R1', '02/03/2026', 200, 'Awa', 'X']]),
                "L'en-tête de « releve » n'a pas de colonne « Référence » "
                "pour la référence ; il contient : R1, 02/03/2026, 200, "
                "Awa, X.")
            self.assertRefused(
                profile, b';;;\r\n\r\n',
                "La feuille de « releve » n'a pas d'en-tête à la ligne 1 : "
                "vérifiez la ligne d'en-tête du profil.")
            profile.sheet = 'Janvier'
            profile.save()
            self.assertRefused(
                profile, xlsx([HEADER]),
                "Le classeur « releve » n'a pas de feuille « Janvier » ; "
                "ses feuilles sont : Relevé.")

    @with_transaction()
    def test_row_errors(self):
        """Every wrong cell is listed by row and column; the valid rows are
        imported only when asked"""
        company = create_company()
        with set_company(company):
            profile = create_profile()
            rows = [HEADER,
                ['R1', '02/03/2026', '1 200', 'Awa', None],
                [None, '31/02/2026', 'deux cents', 'Awa', None],
                ['R3', '03/03/2026', '=B2*2', 'Awa', None],
                ['R4', dt.date(2026, 3, 4), 400, 'Awa', None],
                ]
            data = xlsx(rows)
            parsed = read_file(profile, data, 'releve')
            self.assertEqual(parsed.error_count, 4)
            self.assertEqual(len(parsed.rows), 2)
            self.assertRefused(profile, data,
                "Le fichier « releve » contient 4 erreurs sur 2 lignes ; "
                "rien n'a été importé. Corrigez le fichier, ou importez "
                "seulement les lignes valides.\n"
                "Ligne 3, colonne référence : la valeur manque.\n"
                "Ligne 3, colonne date : date illisible « 31/02/2026 » "
                "(attendu jj/mm/aaaa).\n"
                "Ligne 3, colonne montant : le montant « deux cents » "
                "n'est pas un nombre.\n"
                "Ligne 4, colonne montant : une formule au lieu d'une "
                "valeur ; collez les valeurs ou enregistrez d'abord le "
                "fichier dans Excel.")
            statement = import_statement(
                profile, START, END, data, 'releve', valid_only=True)
            self.assertEqual(
                [(line.row_number, line.amount) for line in statement.lines],
                [(2, Decimal(1200)), (5, Decimal(400))])

    @with_transaction()
    def test_total_rows(self):
        """Totals and subtotals rows are recognised, left out of the lines
        and checked against the rows read (issue 14)"""
        company = create_company()
        with set_company(company):
            profile = create_profile()
            rows = [HEADER,
                ['R1', '02/03/2026', 200, 'Awa', None],
                ['R2', '02/03/2026', 300, 'Awa', None],
                [None, None, 'Sous-total semaine 1 :', None, None],
                ['Sous-total', None, 500, None, None],
                ['R3', '09/03/2026', '1 000', 'Moussa', None],
                ['R4', '09/03/2026', 400, 'Moussa', None],
                [None, None, 1400, None, None],
                ['TOTAL GÉNÉRAL', None, '1 900 F CFA', None, None],
                ]
            data = xlsx(rows)
            parsed = read_file(profile, data, 'releve')
            self.assertEqual(parsed.errors, [])
            self.assertEqual([r[0] for r in parsed.rows], [2, 3, 6, 7])
            self.assertEqual(parsed.amount_total, Decimal(1900))
            self.assertEqual(totals_text(parsed),
                "Ligne 4 : Sous-total semaine 1 : sans montant lisible, "
                "écartée des lignes et non vérifiée.\n"
                "Ligne 5 : Sous-total 500 F CFA, égal à la somme des 2 "
                "lignes lues au-dessus ; écartée des lignes.\n"
                "Ligne 8 : total 1\u00a0400 F CFA, égal à la somme des 2 "
                "lignes lues au-dessus ; écartée des lignes.\n"
                "Ligne 9 : TOTAL GÉNÉRAL 1\u00a0900 F CFA, égal à la somme "
                "des 4 lignes lues au-dessus ; écartée des lignes.")
            statement = import_statement(profile, START, END, data, 'releve')
            self.assertEqual(
                [(line.row_number, line.amount) for line in statement.lines
                    if line.row_number],
                [(2, Decimal(200)), (3, Decimal(300)), (6, Decimal(1000)),
                    (7, Decimal(400))])

            # a row that only repeats an amount is a line, not a total
            parsed = read_file(profile, xlsx([HEADER,
                        ['R1', '02/03/2026', 200, 'Awa', None],
                        ['R2', '02/03/2026', 200, 'Awa', None],
                        ['R3', '02/03/2026', 400, 'Awa', None],
                        ]), 'releve')
            self.assertEqual((len(parsed.rows), parsed.totals), (3, []))

            wrong = xlsx([HEADER,
                    ['R1', '02/03/2026', 200, 'Awa', None],
                    ['R2', '02/03/2026', 'deux cents', 'Awa', None],
                    ['R3', '02/03/2026', 300, 'Awa', None],
                    ['Total', None, 700, None, None],
                    ])
            self.assertRefused(profile, wrong,
                "Le fichier « releve » contient 2 erreurs sur 2 lignes ; "
                "rien n'a été importé. Corrigez le fichier, ou importez "
                "seulement les lignes valides.\n"
                "Ligne 3, colonne montant : le montant « deux cents » "
                "n'est pas un nombre.\n"
                "Ligne 5, colonne montant : le total du fichier, "
                "700 F CFA, diffère de la somme des 2 lignes lues au-dessus, "
                "500 F CFA ; vérifiez les lignes ou le total.")

    @with_transaction()
    def test_dates(self):
        "Dates as dates, Excel serial numbers and dd/mm/yyyy text"
        layout = Layout(columns={
                'reference': 'A', 'date': 'B', 'amount': 'C'})
        day = dt.date(2026, 3, 2)
        serial = (day - dt.date(1899, 12, 30)).days
        for data in [
                xlsx([['Ref', 'Date', 'Montant'],
                        ['R1', day, 1], ['R2', serial, 2],
                        ['R3', '02/03/2026', 3], ['R4', str(serial), 4]]),
                xls([['Ref', 'Date', 'Montant'],
                        ['R1', day, 1], ['R2', serial, 2],
                        ['R3', '02/03/2026', 3], ['R4', str(serial), 4]]),
                csv_bytes([['Ref', 'Date', 'Montant'],
                        ['R1', '02/03/2026', '1'], ['R2', str(serial), '2'],
                        ['R3', '02/03/2026', '3'], ['R4', '2026-03-02', 4]]),
                ]:
            parsed = parse(data, layout)
            self.assertEqual(parsed.errors, [])
            self.assertEqual({row[2] for row in parsed.rows}, {day})
        parsed = parse(csv_bytes([['Ref', 'Date', 'Montant'],
                    ['R1', '2/30/2026', '1'], ['R2', '99999999', '2']]),
            layout)
        self.assertEqual(
            [(e[0], e[2]) for e in parsed.errors],
            [(2, 'bad_date'), (3, 'bad_date')])

    @with_transaction()
    def test_repeated_values(self):
        """Texts read once per distinct value give the same rows and errors
        on every row; cells of other types and rows that look like totals
        are read as well"""
        layout = Layout(columns={
                'reference': 'Ref', 'date': 'Date', 'amount': 'Montant',
                'citizen': 'Nom'})
        day = dt.date(2026, 3, 2)
        parsed = parse(xlsx([['Ref', 'Date', 'Montant', 'Nom'],
                    ['R1', '02/03/2026', '1 000 F CFA', 'Awa'],
                    ['R2', '02/03/2026', '1 000 F CFA', 'Awa'],
                    ['R3', '31/02/2026', 'mille', 'Awa'],
                    ['R4', '31/02/2026', 'mille', 'Awa'],
                    [12345, day, 1500.5, 'Totalement Diop'],
                    ['R6', '#N/A', 200, None],
                    ['R7', day, '  ', 'Awa'],
                    ['R8', day, '1 000,50', ' Awa '],
                    ]), layout)
        self.assertEqual(parsed.rows, [
                (2, 'R1', day, Decimal(1000), 'Awa', None),
                (3, 'R2', day, Decimal(1000), 'Awa', None),
                (6, '12345', day, Decimal('1500.50'), 'Totalement Diop',
                    None),
                (9, 'R8', day, Decimal('1000.50'), 'Awa', None),
                ])
        self.assertEqual([e[:3] for e in parsed.errors], [
                (4, 'date', 'bad_date'), (4, 'amount', 'bad_amount'),
                (5, 'date', 'bad_date'), (5, 'amount', 'bad_amount'),
                (7, 'date', 'cell_error'), (8, 'amount', 'missing')])
        self.assertEqual(parsed.totals, [])

    @with_transaction()
    def test_date_formats(self):
        """The date format is chosen among the usual ones; typed formats
        are migrated to them (issue 14)"""
        pool = Pool()
        Profile = pool.get('reconciliation.profile')
        formats = dict(Profile.fields_get(['date_format'])[
                'date_format']['selection'])
        self.assertEqual(formats['%d/%m/%Y'], "jj/mm/aaaa (31/01/2026)")
        self.assertIn('excel', formats)
        layout = Layout(columns={
                'reference': 'A', 'date': 'B', 'amount': 'C'},
            date_format='%d.%m.%Y')
        parsed = parse(csv_bytes([['Ref', 'Date', 'Montant'],
                    ['R1', '31.01.2026', '1'], ['R2', '2026-01-31', '2']]),
            layout)
        self.assertEqual(
            [r[2] for r in parsed.rows], [dt.date(2026, 1, 31)] * 2)
        company = create_company()
        with set_company(company):
            profile = create_profile(date_format='excel')
            serial = (dt.date(2026, 3, 2) - dt.date(1899, 12, 30)).days
            parsed = read_file(profile, xlsx([HEADER,
                        ['R1', serial, 200, 'Awa', None],
                        ['R2', dt.date(2026, 3, 2), 200, 'Awa', None],
                        ['R3', '02/03/2026', 200, 'Awa', None]]), 'releve')
            self.assertEqual(len(parsed.rows), 2)
            self.assertEqual(errors_text(parsed),
                "Ligne 4, colonne date : date illisible « 02/03/2026 » "
                "(attendu une date Excel).")

            # migration of the formats typed before
            others = create_profile(name="B"), create_profile(name="C")
            table = Profile.__table__()
            cursor = Transaction().connection.cursor()
            for record, value in zip(
                    [profile, *others], ['%d/%m/%G', ' %Y-%m-%d', 'jj/mm'],
                    strict=True):
                cursor.execute(*table.update(
                        [table.date_format], [value],
                        where=table.id == record.id))
            Profile.__register__('partner_reconciliation')
            cursor.execute(*table.select(
                    table.date_format, where=table.id.in_(
                        [profile.id] + [o.id for o in others]),
                    order_by=[table.id]))
            self.assertEqual([v for v, in cursor],
                ['%d/%m/%Y', '%Y-%m-%d', '%d/%m/%Y'])

    @with_transaction()
    def test_profile_from_wizard(self):
        """A partner's file that does not fit its profile: a new profile is
        made from the import wizard, from the old one and the file's first
        rows, then the file is previewed with it (issue 14)"""
        pool = Pool()
        Profile = pool.get('reconciliation.profile')
        Wizard = pool.get('reconciliation.statement.import', type='wizard')
        company = create_company()
        with set_company(company):
            old = create_profile()
            data = xlsx([
                    ['Relevé de mars'],
                    [],
                    ['Date', 'Réf.', 'Montant (FCFA)', 'Usager'],
                    ['02.03.2026', 'R1', '200', 'Awa'],
                    ])
            session_id, _, _ = Wizard.create()
            wizard = Wizard(session_id)
            wizard.start.profile = old
            wizard.start.file = data
            wizard.start.filename = 'mars.xlsx'
            wizard.start.start_date, wizard.start.end_date = START, END
            with self.assertRaises(UserError):
                wizard.default_preview(None)
            values = wizard.default_new_profile(None)
            self.assertEqual(values['file_sample'],
                "Ligne 1 : A: Relevé de mars\n"
                "Ligne 3 : A: Date | B: Réf. | C: Montant (FCFA) | D: Usager\n"
                "Ligne 4 : A: 02.03.2026 | B: R1 | C: 200 | D: Awa")
            self.assertEqual(
                (values['partner'], values['header_row'],
                    values['reference_column']),
                (old.partner.id, 1, 'Référence'))
            for name, value in values.items():
                setattr(wizard.new_profile, name, value)
            wizard.new_profile.name = "Justice - relevé 2026"
            wizard.new_profile.header_row = 3
            wizard.new_profile.reference_column = 'B'
            wizard.new_profile.date_column = 'Date'
            wizard.new_profile.amount_column = 'montant (fcfa)'
            wizard.new_profile.citizen_column = 'D'
            wizard.new_profile.case_number_column = None
            wizard.new_profile.date_format = '%d.%m.%Y'
            self.assertEqual(wizard.transition_create_profile(), 'preview')
            new, = Profile.search([('name', '=', "Justice - relevé 2026")])
            self.assertEqual(wizard.start.profile, new)
            preview = wizard.default_preview(None)
            self.assertEqual(
                (preview['valid_count'], preview['error_count']), (1, 0))
            self.assertEqual(preview['rows'][0]['date'], dt.date(2026, 3, 2))

            # a wrong profile is refused and not stored
            wizard.new_profile.name = "Faux"
            wizard.new_profile.header_row = 0
            with self.assertRaises(UserError):
                wizard.transition_create_profile()
            self.assertEqual(Profile.search([('name', '=', "Faux")]), [])

    @with_transaction()
    def test_amounts(self):
        "Amounts with French separators, currency words, or numbers"
        layout = Layout(columns={
                'reference': 'A', 'date': 'B', 'amount': 'C'})
        parsed = parse(csv_bytes([['Ref', 'Date', 'Montant'],
                    ['R1', '02/03/2026', '1 200,50'],
                    ['R2', '02/03/2026', '1\u202f200 FCFA'],
                    ['R3', '02/03/2026', '-300'],
                    ['R4', '02/03/2026', '1.200,50'],
                    ['R5', '02/03/2026', 'NaN'],
                    ]), layout)
        self.assertEqual([r[3] for r in parsed.rows],
            [Decimal('1200.50'), Decimal(1200), Decimal(-300)])
        self.assertEqual([e[0] for e in parsed.errors], [5, 6])

    @with_transaction()
    def test_large_file_one_bad_row(self):
        """200,000 rows with one wrong in the middle: the error names it,
        nothing is stored"""
        company = create_company()
        with set_company(company):
            profile = create_profile()
            rows = [HEADER] + [
                [f'R{i}', '02/03/2026', '200', 'Awa Diatta', None]
                for i in range(200_000)]
            rows[100_001][2] = 'deux cents'
            for data in [csv_bytes(rows), xlsx(rows)]:
                self.assertRefused(profile, data,
                    "Le fichier « releve » contient 1 erreurs sur 1 lignes ; "
                    "rien n'a été importé. Corrigez le fichier, ou importez "
                    "seulement les lignes valides.\n"
                    "Ligne 100002, colonne montant : le montant "
                    "« deux cents » n'est pas un nombre.")

    @with_transaction()
    def test_same_file_twice(self):
        "The same content cannot be imported twice for a partner"
        pool = Pool()
        Statement = pool.get('reconciliation.statement')
        company = create_company()
        with set_company(company):
            profile = create_profile()
            data = csv_bytes(
                [HEADER, ['R1', '02/03/2026', '200', 'Awa', None]])
            first = import_statement(profile, START, END, data, 'mars.csv')
            self.assertRefused(profile, data,
                "Le fichier « mars-bis.csv » a déjà été importé pour ce "
                f"partenaire : le relevé « {first.rec_name} » a le même "
                "contenu.", filename='mars-bis.csv')
            other = create_profile(
                name="La Poste", partner=ref('party_laposte'))
            import_statement(other, START, END, data, 'mars.csv')
            # the last statement: PostgreSQL aborts the transaction
            with self.assertRaises(UserError):
                Statement.create([{
                            'company': company.id,
                            'partner': profile.partner.id,
                            'profile': profile.id, 'start_date': START,
                            'end_date': END,
                            'file_hash': first.file_hash,
                            }])

    @with_transaction()
    def test_matching(self):
        "Each line ends with its status; uncovered cases are missing"
        pool = Pool()
        Statement = pool.get('reconciliation.statement')
        company = create_company()
        with set_company(company):
            profile = create_profile(
                tolerance=Decimal(5), rule_date_citizen=True)
            day = dt.date(2026, 3, 10)
            (by_number, by_payment, differs, tolerated, by_rule,
                by_loose_rule, missing) = create_cases([
                    ("Awa Diatta", day),
                    ("Moussa Sané", day, {
                            'payment_method': 'mobile_money',
                            'payment_reference': 'OM-778899'}),
                    ("Fatou Ndiaye", day), ("Ibrahima Faye", day),
                    ("Aminata Sow", day), ("Ousmane Ba", day),
                    ("Khady Diop", day)])
            create_cases([("Hors période", dt.date(2026, 4, 2))])
            rows = [HEADER,
                ['X1', '10/03/2026', 200, 'Awa Diatta', by_number.number],
                ['OM-778899', '10/03/2026', 200, 'Moussa Sané', None],
                [differs.number, '10/03/2026', 500, 'Fatou Ndiaye', None],
                [tolerated.number, '10/03/2026', 203, 'I. Faye', None],
                ['Z9', '10/03/2026', 200, 'AMINATA  SOW', None],
                ['Z10', '10/03/2026', 900, 'Ousmane Bâ', None],
                ['X1', '10/03/2026', 200, 'Awa Diatta', by_number.number],
                ['INCONNU', '11/03/2026', 350, 'Personne', None],
                ]
            statement = import_statement(
                profile, START, END, xlsx(rows), 'mars.xlsx')
            found = {(line.row_number, line.status, line.rule,
                    line.case.id if line.case else None)
                for line in statement.lines}
            self.assertEqual(found, {
                    (2, 'matched', 'case_number', by_number.id),
                    (3, 'matched', 'reference', by_payment.id),
                    (4, 'amount_differs', 'reference', differs.id),
                    (5, 'matched', 'reference', tolerated.id),
                    (6, 'matched', 'date_amount_citizen', by_rule.id),
                    (7, 'amount_differs', 'date_citizen', by_loose_rule.id),
                    (8, 'duplicate', 'case_number', by_number.id),
                    (9, 'unknown', None, None),
                    (None, 'missing', None, missing.id),
                    })
            statement = Statement(statement.id)
            self.assertEqual(
                (statement.line_count, statement.matched_count,
                    statement.amount_differs_count, statement.unknown_count,
                    statement.duplicate_count, statement.missing_count,
                    statement.open_count),
                (8, 4, 2, 1, 1, 1, 5))
            self.assertEqual(statement.partner_total, Decimal(2753))
            # 7 cases of the period at 200 each
            self.assertEqual(statement.network_total, Decimal(1400))
            self.assertEqual(statement.difference_total, Decimal(1353))

    @with_transaction()
    def test_lines_follow_deletions(self):
        """The lines hold their statement and case without a foreign key in
        the database: a case on a line cannot be deleted, a deleted
        statement takes its lines with it"""
        pool = Pool()
        Case = pool.get('case.case')
        Line = pool.get('reconciliation.statement.line')
        Statement = pool.get('reconciliation.statement')
        company = create_company()
        with set_company(company):
            profile = create_profile()
            day = dt.date(2026, 3, 10)
            case, = create_cases([("Awa Diatta", day)])
            statement = import_statement(profile, START, END, xlsx([HEADER,
                        ['X1', '10/03/2026', 200, 'Awa Diatta', case.number],
                        ['INCONNU', '11/03/2026', 350, 'Personne', None],
                        ]), 'mars.xlsx')
            line, = [found for found in statement.lines if found.case]
            self.assertEqual(line.case, case)
            Case.write([case], {'state': 'cancelled'})
            with self.assertRaises(ForeignKeyError) as cm:
                Case.delete([case])
            self.assertIn(Line.__names__()['model'], cm.exception.message)
            self.assertEqual(Case.search([('id', '=', case.id)]), [case])

            Statement.delete([statement])
            self.assertEqual(
                Line.search([('statement', '=', statement.id)]), [])
            self.assertEqual(Line.search([('case', '=', case.id)]), [])

    @with_transaction()
    def test_unpaid_not_missing(self):
        """Comparing fees collected, an unpaid case is no gap: nothing was
        collected on the partner's behalf (issue 14)"""
        pool = Pool()
        Statement = pool.get('reconciliation.statement')
        company = create_company()
        with set_company(company):
            profile = create_profile()
            day = dt.date(2026, 3, 10)
            paid, unpaid, listed_unpaid = create_cases([
                    ("Awa Diatta", day),
                    ("Moussa Sané", day, {'paid_at': None}),
                    ("Fatou Ndiaye", day, {'paid_at': None}),
                    ])
            self.assertTrue(all(c.fees for c in [unpaid, listed_unpaid]))
            statement = import_statement(profile, START, END, xlsx([HEADER,
                        [paid.number, '10/03/2026', 200, 'Awa Diatta', None],
                        [listed_unpaid.number, '10/03/2026', 200,
                            'Fatou Ndiaye', None],
                        ]), 'mars.xlsx')
            self.assertEqual(
                sorted((line.status, line.case.id, line.expected_amount)
                    for line in statement.lines),
                sorted([
                        ('matched', paid.id, Decimal(200)),
                        ('amount_differs', listed_unpaid.id, Decimal(0)),
                        ]))
            statement = Statement(statement.id)
            self.assertEqual(statement.missing_count, 0)
            self.assertEqual(statement.network_total, Decimal(200))
            self.assertEqual(statement.difference_total, Decimal(200))

    @with_transaction()
    def test_decisions(self):
        "Manual match, split and resolve are recorded with who and when"
        pool = Pool()
        Line = pool.get('reconciliation.statement.line')
        Statement = pool.get('reconciliation.statement')
        company = create_company()
        with set_company(company):
            profile = create_profile(rule_date_amount_citizen=False)
            day = dt.date(2026, 3, 10)
            first, second, third, fourth = create_cases([
                    ("Awa Diatta", day), ("Awa Diatta", day),
                    ("Moussa Sané", day), ("Fatou Ndiaye", day)])
            rows = [HEADER,
                ['LOT-1', '10/03/2026', 400, 'Awa Diatta', None],
                ['ERR-2', '10/03/2026', 200, 'Moussa Sané', None],
                ['ERR-3', '10/03/2026', 150, 'Inconnu', None],
                ]
            statement = import_statement(
                profile, START, END, xlsx(rows), 'mars.xlsx')
            lot, wrong, unknown = statement.lines[:3]
            self.assertEqual(statement.missing_count, 4)

            def run(name, line, values):
                Wizard = pool.get(f'reconciliation.{name}', type='wizard')
                with Transaction().set_context(
                        active_model='reconciliation.statement.line',
                        active_id=line.id, active_ids=[line.id]):
                    session_id, _, _ = Wizard.create()
                    wizard = Wizard(session_id)
                    for field, value in values.items():
                        setattr(wizard.start, field, value)
                    getattr(wizard, f'transition_{name}')()

            run('match', wrong, {'case': third, 'reason': "Référence mal "
                    "saisie par le partenaire"})
            run('split', lot, {'cases': [first, second], 'reason': "Deux "
                    "extraits payés ensemble"})
            with self.assertRaises(UserError) as cm:
                run('match', unknown, {'case': first, 'reason': None})
            self.assertIn('déjà couvert', cm.exception.message)
            run('resolve', unknown, {'reason': "Remboursé au citoyen"})
            statement = Statement(statement.id)
            self.assertEqual(
                sorted((line.status, line.case.id if line.case else None,
                        line.amount)
                    for line in statement.lines),
                sorted([
                        ('matched', first.id, Decimal(200)),
                        ('matched', second.id, Decimal(200)),
                        ('matched', third.id, Decimal(200)),
                        ('resolved', None, Decimal(150)),
                        ('missing', fourth.id, None),
                        ]))
            self.assertEqual(
                [(d.action, d.user.id, d.reason)
                    for d in reversed(statement.decisions)],
                [('match', Transaction().user,
                        "Référence mal saisie par le partenaire"),
                    ('split', Transaction().user,
                        "Deux extraits payés ensemble"),
                    ('resolve', Transaction().user,
                        "Remboursé au citoyen")])
            self.assertTrue(all(d.date for d in statement.decisions))
            split, = Line.search([('split_from', '=', lot.id)])
            self.assertEqual(split.row_number, 2)
            self.assertEqual(statement.state, 'to_chase')
            # listed under "To Reconcile" with the statements to close
            ActDomain = pool.get('ir.action.act_window.domain')
            to_reconcile = ActDomain(pool.get('ir.model.data').get_id(
                    'partner_reconciliation',
                    'act_statement_form_domain_matched'))
            self.assertEqual(Statement.search(
                    PYSONDecoder().decode(to_reconcile.domain)), [statement])
            with self.assertRaises(UserError) as cm:
                Statement.close([statement])
            self.assertIn('1 lignes à relancer', cm.exception.message)
            self.assertEqual(Statement(statement.id).state, 'to_chase')
            missing, = [line for line in statement.lines
                if line.status == 'missing']
            run('resolve', missing, {'reason': "Dossier annulé"})
            statement = Statement(statement.id)
            self.assertEqual(
                (statement.open_count, statement.state), (0, 'matched'))
            Statement.close([statement])
            Statement.reopen([statement])
            self.assertEqual(Statement(statement.id).state, 'matched')

            # the Excel report: one sheet per part, named after the
            # partner when there are several statements; every row counted
            Spreadsheet = pool.get(
                'reconciliation.statement.spreadsheet', type='report')
            other = import_statement(profile, START, END, xlsx([HEADER,
                        ['ERR-9', '10/03/2026', 150, 'Inconnu', None]]),
                'avril.xlsx')
            _, content, _, _ = Spreadsheet.execute([statement.id], {})
            book = openpyxl.load_workbook(io.BytesIO(content))
            self.assertEqual(
                book.sheetnames, ['Rapprochement', 'À relancer', 'Résolues'])
            self.assertEqual(
                [r[0] for r in book['Rapprochement'].iter_rows(
                        min_row=11, values_only=True)], ['Total'])
            self.assertEqual(
                book['Rapprochement']['B11'].value,
                sum(c.value for c in book['Rapprochement']['B'][4:10]))
            self.assertEqual(
                [(r[0], r[7]) for r in book['Résolues'].iter_rows(
                        min_row=2, values_only=True)],
                [(4, "Remboursé au citoyen"), (None, "Dossier annulé")])
            _, content, _, _ = Spreadsheet.execute(
                [statement.id, other.id], {})
            book = openpyxl.load_workbook(io.BytesIO(content))
            name = statement.partner.rec_name
            self.assertEqual(book.sheetnames, [
                    f'Rapprochement {name}'[:31], f'À relancer {name}'[:31],
                    f'Résolues {name}'[:31],
                    f'Rapprochement {name}'[:27] + ' (2)',
                    f'À relancer {name}'[:27] + ' (2)',
                    f'Résolues {name}'[:27] + ' (2)'])

    @with_transaction()
    def test_billed_basis(self):
        "Against the amounts billed: only the billed cases, with their line"
        pool = Pool()
        LineCase = pool.get('billing.line.case')
        company, _ = setup_books()
        with set_company(company):
            create_agreement('party_justice', [
                    {'basis': 'delivered', 'amount': Decimal(500)}])
            first, second, third = billed_cases(
                'procedure_criminal_record', ['site_zig'] * 3, 'delivered',
                day=dt.date(2026, 3, 10))
            unbilled, = billed_cases(
                'procedure_criminal_record', ['site_zig'], 'transmitted',
                day=dt.date(2026, 3, 11))
            bill(company)
            profile = create_profile(amount_basis='billed')
            statement = import_statement(profile, START, END, xlsx([HEADER,
                        [first.number, '10/03/2026', 500, None, None],
                        [second.number, '10/03/2026', 450, None, None],
                        [unbilled.number, '11/03/2026', 500, None, None],
                        ]), 'factures.xlsx')
            links = {link.case.id: link.id for link in LineCase.search([])}
            self.assertEqual(
                sorted((line.status, line.case.id if line.case else None,
                        line.billed_line.id if line.billed_line else None,
                        line.expected_amount) for line in statement.lines),
                sorted([
                        ('matched', first.id, links[first.id], Decimal(500)),
                        ('amount_differs', second.id, links[second.id],
                            Decimal(500)),
                        ('unknown', None, None, None),
                        ('missing', third.id, links[third.id],
                            Decimal(500)),
                        ]))
