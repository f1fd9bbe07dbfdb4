"""Reconciliation of a partner statement by finance on the demo database
(issue 14): through JSON-RPC over HTTP as sao calls the server, then in
Debian's Chromium through sao.

A statement of the Ministry of Justice with a totals row is previewed and
imported, a line is resolved with a reason, the Excel report is read back;
a file whose total differs and a wrong new profile are refused, and the
database itself is read to check that nothing was written."""
import base64
import datetime as dt
import io
import pathlib
import time
from decimal import Decimal

import openpyxl
import pytest

from security_tools import PASSWORD, RPCError, SecurityServer

PROFILE = "Justice - relevé mensuel des extraits"
HEADER = ["N° dossier", "Date de paiement", "Demandeur", "Frais (FCFA)"]
TABLES = ['reconciliation_statement', 'reconciliation_statement_line',
    'reconciliation_decision', 'reconciliation_profile']


def date(value):
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


def binary(data):
    return {'__class__': 'bytes', 'base64': base64.b64encode(data).decode()}


def decode(value):
    "The Python value of a JSON-RPC answer's Decimal or bytes"
    if isinstance(value, dict) and value.get('__class__') == 'Decimal':
        return Decimal(value['decimal'])
    if isinstance(value, dict) and value.get('__class__') == 'bytes':
        return base64.b64decode(value['base64'])
    return value


def xof(amount):
    "An amount as the messages write it: 1 200 with a no-break space"
    return f'{amount:,}'.replace(',', '\u00a0')


def refused(call, *args, **kwargs):
    "The error of a call that must be refused, after a cache sync is due"
    time.sleep(1.1)
    with pytest.raises(RPCError) as info:
        call(*args, **kwargs)
    return info.value


def workbook(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Relevé"
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_reconciliation')
    # a cache sync at the start of every transaction a second apart, so
    # that each refusal below meets one (see test_security_http)
    server.env['TRYTOND_CACHE__CLEAN_TIMEOUT'] = '1'
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def finance(server):
    return server.rpc().login('finance')


def import_file(finance, profile, rows, filename):
    "Import rows as a statement through the wizard; return its id"
    start = start_values(profile, workbook(rows), filename)
    session, _, _ = finance('wizard.reconciliation.statement.import.create')
    finance('wizard.reconciliation.statement.import.execute', session,
        {'start': start}, 'preview')
    answer = finance('wizard.reconciliation.statement.import.execute',
        session, {'start': start, 'preview': {}}, 'import_all')
    return answer['actions'][0][1]['res_id'][0]


@pytest.fixture(scope='module')
def justice(finance):
    """The Justice profile of the demo and the cases of this month the
    network holds an amount for: {number: amount}, read from a probe
    statement that lists none of them (whatever the demo's own statement
    was computed with)"""
    profile, = finance.model('reconciliation.profile', 'search_read',
        [('name', '=', PROFILE)], 0, None, None, ['partner'])
    probe = import_file(finance, profile, [HEADER,
            ["SONDE-1", dt.date.today(), "Sonde", 1]], 'sonde.xlsx')
    lines = finance.model('reconciliation.statement.line', 'search_read',
        [('statement', '=', probe), ('status', '=', 'missing')],
        0, None, None, ['case.number', 'expected_amount'])
    cases = {line['case.']['number']: decode(line['expected_amount'])
        for line in lines}
    assert len(cases) >= 3, cases
    return profile, cases


def period():
    first = dt.date.today().replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) \
        - dt.timedelta(days=1)
    return first, last


def statement_rows(cases, extra=0, total_shift=0):
    """The rows of Justice's file: every case at the network's amount, the
    first one extra higher, then a totals row"""
    today = dt.date.today()
    rows = [HEADER]
    for index, (number, amount) in enumerate(sorted(cases.items())):
        rows.append([number, today, "Demandeur",
                int(amount) + (extra if index == 0 else 0)])
    total = sum(int(a) for a in cases.values()) + extra + total_shift
    rows.append(["Total", None, None, total])
    return rows


def start_values(profile, data, filename):
    first, last = period()
    return {'profile': profile['id'], 'start_date': date(first),
        'end_date': date(last), 'file': binary(data), 'filename': filename}


def test_finance_imports_a_statement_with_a_total_row(server, finance,
        justice):
    "Preview, import, state, decision and report of a file with a total"
    profile, cases = justice
    rows = statement_rows(cases, extra=100)
    start = start_values(profile, workbook(rows), 'justice-total.xlsx')
    session, _, _ = finance('wizard.reconciliation.statement.import.create')
    finance('wizard.reconciliation.statement.import.execute', session, {},
        'start')
    answer = finance('wizard.reconciliation.statement.import.execute',
        session, {'start': start}, 'preview')
    preview = answer['view']['defaults']
    # the totals row is no line and no error: it agrees with the lines
    assert (preview['valid_count'], preview['error_count']) == (
        len(cases), 0)
    assert decode(preview['amount_total']) == rows[-1][3]
    assert preview['totals'] == (
        f"Ligne {len(rows)} : Total {xof(rows[-1][3])} F CFA, égal à la "
        f"somme des {len(cases)} lignes lues au-dessus ; écartée des lignes.")
    answer = finance('wizard.reconciliation.statement.import.execute',
        session, {'start': start, 'preview': {}}, 'import_all')
    statement_id = answer['actions'][0][1]['res_id'][0]
    statement, = finance.model('reconciliation.statement', 'read',
        [statement_id], ['state', 'line_count', 'open_count',
            'missing_count', 'amount_differs_count'])
    # every case is on the file: one line differs, nothing is missing
    # (the unpaid cases of the period owe nothing yet)
    assert (statement['line_count'], statement['missing_count'],
        statement['amount_differs_count'], statement['open_count']) == (
        len(cases), 0, 1, 1)
    assert statement['state'] == 'to_chase'

    differs, = finance.model('reconciliation.statement.line', 'search',
        [('statement', '=', statement_id),
            ('status', '=', 'amount_differs')], 0, None, None)
    context = {'active_model': 'reconciliation.statement.line',
        'active_id': differs, 'active_ids': [differs]}
    session, _, _ = finance('wizard.reconciliation.resolve.create')
    finance('wizard.reconciliation.resolve.execute', session, {}, 'start',
        context=context)
    finance('wizard.reconciliation.resolve.execute', session,
        {'start': {'reason': "Timbre compté deux fois par le greffe"}},
        'resolve', context=context)
    statement, = finance.model('reconciliation.statement', 'read',
        [statement_id], ['state', 'open_count', 'decisions'])
    assert (statement['state'], statement['open_count']) == ('matched', 0)
    decision, = finance.model('reconciliation.decision', 'read',
        statement['decisions'], ['action', 'reason', 'user.login'])
    assert (decision['action'], decision['reason'],
        decision['user.']['login']) == (
        'resolve', "Timbre compté deux fois par le greffe", 'finance')

    ext, content, _, _ = finance(
        'report.reconciliation.statement.spreadsheet.execute',
        [statement_id], {})
    assert ext == 'xlsx'
    book = openpyxl.load_workbook(io.BytesIO(decode(content)))
    assert book.sheetnames == ['Rapprochement', 'À relancer', 'Résolues']
    summary = list(book['Rapprochement'].iter_rows(
            min_row=5, values_only=True))
    assert summary[-1][0] == 'Total'
    assert summary[-1][1] == sum(r[1] for r in summary[:-1]) == len(cases)
    resolved = list(book['Résolues'].iter_rows(min_row=2, values_only=True))
    assert [(r[7], r[8], r[9].date()) for r in resolved] == [(
            "Timbre compté deux fois par le greffe", "Cheikh Sarr",
            dt.date.today())]


def test_file_whose_total_differs_is_refused(server, finance, justice):
    "The preview names the difference; the import stores nothing"
    profile, cases = justice
    rows = statement_rows(cases, total_shift=500)
    start = start_values(profile, workbook(rows), 'justice-faux.xlsx')
    before = server.snapshot(*TABLES)
    session, _, _ = finance('wizard.reconciliation.statement.import.create')
    answer = finance('wizard.reconciliation.statement.import.execute',
        session, {'start': start}, 'preview')
    preview = answer['view']['defaults']
    assert preview['error_count'] == 1
    expected = sum(int(a) for a in cases.values())
    assert (f"Ligne {len(rows)}, colonne montant : le total du fichier, "
        f"{xof(expected + 500)} F CFA, diffère de la somme des "
        f"{len(cases)} lignes lues au-dessus, {xof(expected)} F CFA"
        ) in preview['errors']
    error = refused(finance, 'wizard.reconciliation.statement.import.execute',
        session, {'start': start, 'preview': {}}, 'import_all')
    assert "rien n'a été importé" in error.message
    assert "le total du fichier" in error.message
    assert server.snapshot(*TABLES) == before


def test_profile_made_from_the_import_wizard(server, finance, justice):
    """A file laid out otherwise: a profile is made from the wizard; a
    wrong one is refused and not stored"""
    profile, cases = justice
    number, amount = sorted(cases.items())[0]
    data = workbook([
            ["Ministère de la Justice - relevé"], [],
            ["Réf.", "Payé le", "Montant"],
            [number, dt.date.today().strftime('%d-%m-%Y'), int(amount)]])
    start = start_values(profile, data, 'justice-nouveau.xlsx')
    session, _, _ = finance('wizard.reconciliation.statement.import.create')
    answer = finance('wizard.reconciliation.statement.import.execute',
        session, {'start': start}, 'new_profile')
    values = answer['view']['defaults']
    assert values['file_sample'].splitlines()[1] == (
        "Ligne 3 : A: Réf. | B: Payé le | C: Montant")
    values.update({'name': "Justice - relevé 2026", 'header_row': 0,
            'reference_column': 'A', 'date_column': 'Payé le',
            'amount_column': 'C', 'citizen_column': None,
            'case_number_column': None, 'date_format': '%d-%m-%Y'})
    values.pop('file_sample')
    values = {k: v for k, v in values.items() if not k.endswith('.')}
    before = server.snapshot(*TABLES)
    error = refused(finance, 'wizard.reconciliation.statement.import.execute',
        session, {'start': start, 'new_profile': values}, 'create_profile')
    assert "ligne d'en-tête" in error.message, error.message
    assert server.snapshot(*TABLES) == before
    values['header_row'] = 3
    answer = finance('wizard.reconciliation.statement.import.execute',
        session, {'start': start, 'new_profile': values}, 'create_profile')
    preview = answer['view']['defaults']
    assert (preview['valid_count'], preview['error_count']) == (1, 0)
    new, = finance.model('reconciliation.profile', 'search_read',
        [('name', '=', "Justice - relevé 2026")], 0, None, None,
        ['partner', 'date_format', 'header_row'])
    assert (new['partner'], new['date_format'], new['header_row']) == (
        profile['partner'], '%d-%m-%Y', 3)


# In Debian's Chromium, as finance works in sao

VIEWPORT = (1400, 900)


@pytest.fixture(scope='module')
def client(module_client):
    return module_client


def dialog_of(client):
    "The wizard's dialog shown in front"
    return client.page.locator('.modal-dialog:visible').last


def press(client, dialog, label):
    "Click the button of the dialog labelled exactly label"
    import re
    dialog.locator('button:visible', has_text=re.compile(
            rf'^\s*{re.escape(label)}\s*$', re.I)).first.click()
    client.wait_idle()


def open_import(client):
    "Open the import wizard from the menu and fill its first step"
    for label, child in [("Réseau des services", "Facturation"),
            ("Facturation", "Rapprochement"),
            ("Rapprochement", "Importer un relevé")]:
        if not client.menu_cell(child).is_visible():
            client.menu_row(label).locator('.expander').click()
        client.menu_cell(child).wait_for(timeout=15000)
    # sao opens a menu entry on one click: a double click would open the
    # wizard twice
    client.menu_row("Importer un relevé").click()
    dialog = dialog_of(client)
    dialog.locator('input[name="profile"]').wait_for()
    client.wait_idle()
    assert client.page.locator('.wizard-dialog:visible').count() == 1
    return dialog


def textareas(client, dialog, timeout=30):
    "The text of the dialog's text areas once the server filled them"
    dialog.locator('textarea').first.wait_for()
    end = time.monotonic() + timeout
    while True:
        texts = ' '.join(dialog.locator('textarea').evaluate_all(
                'els => els.map(e => e.value)')).strip()
        if texts or time.monotonic() > end:
            return texts
        client.page.wait_for_timeout(250)


def fill_start(client, dialog, data, filename):
    first, last = period()
    box = dialog.locator('input[name="profile"]').first
    box.click()
    box.fill("Justice")
    dialog.locator('li.completion a', has_text=PROFILE).first.click()
    client.wait_idle()
    for name, day in [('start_date', first), ('end_date', last)]:
        field = dialog.locator(f'input[name="{name}"]').first
        field.fill(day.strftime('%d/%m/%Y'))
        field.press('Tab')
    dialog.locator('input[type=file]').first.set_input_files(files=[{
                'name': filename, 'buffer': data,
                'mimeType': 'application/vnd.openxmlformats-officedocument'
                '.spreadsheetml.sheet'}])
    client.wait_idle()


def test_finance_imports_in_the_browser(server, client, justice):
    """Finance imports Justice's file with a subtotal and a total row: the
    preview tells them apart from the lines, the statement opens with lines
    to chase; a file whose total differs is not imported"""
    profile, cases = justice
    cases_sorted = sorted(cases.items())
    chosen = cases_sorted[:3]
    today = dt.date.today()
    rows = [HEADER,
        [chosen[0][0], today, "Demandeur", int(chosen[0][1])],
        [chosen[1][0], today, "Demandeur", int(chosen[1][1])],
        ["Sous-total", None, None, int(chosen[0][1] + chosen[1][1])],
        [chosen[2][0], today, "Demandeur", int(chosen[2][1]) + 50],
        ["TOTAL GÉNÉRAL", None, None,
            int(sum(a for _, a in chosen)) + 50],
        ]
    client.login('finance', PASSWORD)
    before = server.snapshot(*TABLES)

    # a file whose total differs: named in the preview, nothing stored
    wrong = [list(row) for row in rows]
    wrong[-1][3] += 1000
    dialog = open_import(client)
    fill_start(client, dialog, workbook(wrong), 'justice-faux.xlsx')
    press(client, dialog, "Aperçu")
    dialog = dialog_of(client)
    texts = textareas(client, dialog)
    assert "le total du fichier" in texts, texts
    assert "diffère de la somme des 3 lignes lues au-dessus" in texts, texts
    client.screenshot('recon-01-preview-total-differs', [
            "Totaux du fichier", "Importer seulement les lignes valides"])
    assert not dialog.locator('button:visible', has_text=re_exact(
            "Importer")).count()
    press(client, dialog, "Annuler")
    client.page.locator('.wizard-dialog').first.wait_for(state='hidden')
    assert server.snapshot(*TABLES) == before

    # the right file
    dialog = open_import(client)
    fill_start(client, dialog, workbook(rows), 'justice-sous-totaux.xlsx')
    press(client, dialog, "Aperçu")
    dialog = dialog_of(client)
    texts = textareas(client, dialog)
    assert "Ligne 4 : Sous-total" in texts, texts
    assert "Ligne 6 : TOTAL GÉNÉRAL" in texts, texts
    def count(name):
        return dialog.locator(f'input[name="{name}"]').first.input_value()
    assert count('valid_count') == '3'
    assert count('error_count') == '0'
    assert "égal à la somme des 2 lignes lues au-dessus" in texts, texts
    client.screenshot('recon-02-preview-totals', [
            "Totaux du fichier", "Total des lignes lues (XOF)"])
    press(client, dialog, "Importer")
    client.wait_tab("Relevés")
    client.pane.locator('select[name="state"]').first.wait_for()
    assert client.selection_text('state') == "À relancer"
    client.screenshot('recon-03-statement-to-chase', [
            "Relevés", "À relancer", "Absents chez le partenaire"])
    after = server.snapshot(*TABLES)
    assert after['reconciliation_statement'][0] == (
        before['reconciliation_statement'][0] + 1)
    statement, = server.sql(
        "SELECT id, state FROM reconciliation_statement "
        "WHERE filename = %s", ('justice-sous-totaux.xlsx',))
    assert statement[1] == 'to_chase'
    assert server.sql(
        "SELECT row_number, status FROM reconciliation_statement_line "
        "WHERE statement = %s AND row_number IS NOT NULL "
        "ORDER BY row_number", (statement[0],)) == [
        (2, 'matched'), (3, 'matched'), (5, 'amount_differs')]
    # the Excel report: one sheet per part, every row in the total
    download = client.print_report("Rapport de rapprochement (Excel)")
    assert download.suggested_filename.endswith(".xlsx"), (
        download.suggested_filename)
    book = openpyxl.load_workbook(io.BytesIO(
        pathlib.Path(download.path()).read_bytes()))
    assert book.sheetnames == ['Rapprochement', 'À relancer', 'Résolues']
    summary = list(book['Rapprochement'].iter_rows(
            min_row=5, values_only=True))
    assert summary[-1][0] == 'Total'
    # the 3 lines of the file and the other cases, missing at the partner
    assert summary[-1][1] == sum(r[1] for r in summary[:-1]) == len(cases)

    # the line whose amount differs is resolved with a reason
    client.pane.locator('button#relate').first.click()
    client.pane.locator('ul[aria-labelledby="relate"] a',
        has_text="Lignes de relevé").first.click()
    # the tab's title goes on with the statement's name
    client.page.locator('li[id^="nav-tab-"].active '
        'span[title^="Lignes de relevé"]').first.wait_for(state='attached')
    client.wait_idle()
    client.pane.locator('.nav-tabs a', has_text="Montant différent").first \
        .click()
    client.wait_idle()
    row = client.pane.locator('tbody tr', has_text=cases_sorted[2][0]).first
    row.wait_for()
    client.open_row(row, 'expected_amount')
    client.click_button("Résoudre")
    dialog = dialog_of(client)
    dialog.locator('textarea').first.fill("Timbre compté deux fois")
    press(client, dialog, "Résoudre")
    client.page.locator('.wizard-dialog').first.wait_for(state='hidden')
    client.assert_no_dialog()
    assert server.sql(
        "SELECT d.action, d.reason, u.login FROM reconciliation_decision d "
        'JOIN res_user u ON u.id = d."user" '
        "WHERE d.statement = %s", (statement[0],)) == [
        ('resolve', "Timbre compté deux fois", 'finance')]
    # the cases missing at the partner are still to chase
    assert server.sql(
        "SELECT state FROM reconciliation_statement WHERE id = %s",
        (statement[0],)) == [('to_chase',)]
    client.switch_tab("Relevés")
    client.toolbar('reload')
    client.open_page("Décisions")
    client.pane.locator('tr', has_text="Timbre compté deux fois").first \
        .wait_for()
    client.wait_idle()
    client.screenshot('recon-04-statement-decision', [
            "Décisions", "Timbre compté deux fois"])


def re_exact(label):
    import re
    return re.compile(rf'^\s*{re.escape(label)}\s*$', re.I)
