"""Finance's month through HTTP, as the demo user `finance` (JSON-RPC as
sao calls it): the partner invoices listed, printed as one PDF and posted,
what partners owe by age, a month billed twice refused with nothing kept,
the remittance posted in one step with its supplier invoice, and the next
fiscal year opened. After each refusal the database is read back."""
import base64
import datetime as dt
import io
import time

import pytest
from pypdf import PdfReader

from security_tools import RPCError, SecurityServer


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_finance')
    server.env['TRYTOND_CACHE__CLEAN_TIMEOUT'] = '1'
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def finance(server):
    return server.rpc().login('finance')


def date(value):
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


def as_date(value):
    return dt.date(value['year'], value['month'], value['day'])


def pdf_text(data):
    if isinstance(data, dict):
        data = base64.b64decode(data['base64'])
    assert data[:4] == b'%PDF'
    return ' '.join(
        page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_partner_invoices_listed_printed_and_posted(server, finance):
    invoices = finance.model('account.invoice', 'search_read',
        [('billing_run', '!=', None), ('state', '=', 'draft')], 0, None,
        None, ['party.rec_name', 'total_amount', 'lines', 'number'])
    assert invoices, "the demo's billing run made draft invoices"
    invoice = invoices[0]
    assert invoice['lines'] and invoice['number'] is None

    # the cases behind each line billed per case, as finance opens them
    # from the line (on PostgreSQL through the links' BRIN index)
    lines = finance.model('account.invoice.line', 'read', invoice['lines'],
        ['quantity', 'billing_basis', 'billing_credited_line',
            'billing_cases'])
    per_case = [line for line in lines
        if line['billing_basis'] in {'delivered', 'transmitted'}
        and not line['billing_credited_line']]
    assert per_case, lines
    for line in per_case:
        assert len(line['billing_cases']) == line['quantity'], line
    links = finance.model('billing.line.case', 'read',
        per_case[0]['billing_cases'], ['case.rec_name', 'invoice_line'])
    assert {link['invoice_line'] for link in links} == {per_case[0]['id']}
    assert all(link['case.']['rec_name'] for link in links)

    # one invoice report, a PDF partners can be sent
    reports = finance.model('ir.action.keyword', 'get_keyword',
        'form_print', ['account.invoice', invoice['id']])
    assert [r['name'] for r in reports if 'report_name' in r] == [
        'Facture'], reports
    ext, data, _, name = finance(
        'report.account.invoice.execute', [invoice['id']], {})
    assert ext == 'pdf'
    text = pdf_text(data)
    assert 'Facture proforma' in text
    assert 'F CFA' in text and 'XOF' not in text
    assert 'RIB : SN012' in text
    # dated the last day of the month billed
    month_end = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    assert f"Date {month_end.strftime('%d/%m/%Y')}" in text

    finance.model('account.invoice', 'post', [invoice['id']])
    posted, = finance.model('account.invoice', 'read', [invoice['id']],
        ['state', 'number', 'move'])
    assert posted['state'] == 'posted'
    # numbered in the year of its date, the last day of the month billed
    assert posted['number'].startswith(f'FC{month_end.year}-')
    assert posted['move']

    # what each partner still owes, by age
    balances = finance.model('account.aged_balance', 'search_read', [],
        0, None, None, ['party.rec_name', 'balance'], context={
            'type': 'customer', 'date': date(dt.date.today()),
            'term1': 30, 'term2': 60, 'term3': 90, 'unit': 'day',
            'posted': True})
    owed = {b['party.']['rec_name']: b['balance'] for b in balances}
    assert invoice['party.']['rec_name'] in owed


def test_month_billed_twice_keeps_nothing(server, finance):
    first = dt.date.today().replace(day=1)
    last_month_end = first - dt.timedelta(days=1)
    before = server.snapshot('billing_run', 'account_invoice')
    session, _, _ = finance('wizard.billing.run.wizard.create')
    time.sleep(1.1)  # a cache sync is due at the next transaction
    with pytest.raises(RPCError) as info:
        finance('wizard.billing.run.wizard.execute', session, {
                'start': {
                    'start_date': date(last_month_end.replace(day=1)),
                    'end_date': date(last_month_end), 'partner': None},
                }, 'bill')
    assert 'Rien à facturer' in info.value.message
    assert server.snapshot('billing_run', 'account_invoice') == before

    # the demo's run says what it did
    run, = finance.model('billing.run', 'search_read', [], 0, 1, None,
        ['invoice_count', 'case_count', 'total_amount', 'state'])
    assert run['state'] == 'done'
    assert run['invoice_count'] >= 1 and run['case_count'] >= 1
    assert float(run['total_amount']['decimal']) > 0


def test_remittance_posted_in_one_step(server, finance):
    defaults = finance.model('billing.remittance', 'default_get',
        ['start_date', 'end_date'])
    first = dt.date.today().replace(day=1)
    assert as_date(defaults['end_date']) == first - dt.timedelta(days=1)
    assert as_date(defaults['start_date']) == (
        first - dt.timedelta(days=1)).replace(day=1)

    remittance, = finance.model('billing.remittance', 'search',
        [('state', '=', 'draft')])
    finance.model('billing.remittance', 'post', [remittance])
    posted, = finance.model('billing.remittance', 'read', [remittance],
        ['state', 'invoice', 'move', 'net_due'])
    assert posted['state'] == 'posted' and posted['move']
    invoice, = finance.model('account.invoice', 'read', [posted['invoice']],
        ['state', 'type', 'billing_remittance', 'total_amount'])
    assert invoice['state'] == 'posted' and invoice['type'] == 'in'
    assert invoice['billing_remittance'] == remittance
    assert invoice['total_amount'] == posted['net_due']


def test_next_fiscal_year_opened_by_finance(server, finance):
    year = dt.date.today().year
    years = finance.model('account.fiscalyear', 'search_read', [], 0, None,
        [('start_date', 'ASC')], ['id', 'name', 'periods'])
    assert [y['name'] for y in years] == [
        str(year - 1), str(year), str(year + 1)]
    assert all(len(y['periods']) == 12 for y in years)
    session, _, _ = finance('wizard.account.fiscalyear.renew.create')
    state = finance('wizard.account.fiscalyear.renew.execute', session, {},
        'start')
    defaults = state['view']['defaults']
    assert defaults['previous_fiscalyear'] == years[-1]['id']
    finance('wizard.account.fiscalyear.renew.execute', session,
        {'start': {
                'name': str(year + 2), 'company': defaults['company'],
                'start_date': date(dt.date(year + 2, 1, 1)),
                'end_date': date(dt.date(year + 2, 12, 31)),
                'previous_fiscalyear': defaults['previous_fiscalyear'],
                'reset_sequences': True}}, 'create_')
    new, = finance.model('account.fiscalyear', 'search_read',
        [('name', '=', str(year + 2))], 0, None, None,
        ['start_date', 'periods'])
    assert as_date(new['start_date']) == dt.date(year + 2, 1, 1)
    assert len(new['periods']) == 12
    # the numbering follows the year of each document
    sequences = finance.model('ir.sequence.strict', 'search_read',
        [('name', 'like', f'%{year + 2}')], 0, None, None,
        ['name', 'prefix'])
    assert sequences and all(
        s['prefix'].endswith('${year}-') for s in sequences), sequences


# In Debian's Chromium, as finance works in sao

@pytest.fixture(scope='module')
def client(module_client):
    return module_client


def test_finance_opens_and_prints_an_invoice_in_the_browser(server, client):
    "The journey that failed: finance opens a partner invoice and prints it"
    from browser_tools import SCREENSHOTS
    client.login('finance', 'Senegal-2026')
    client.open_menu(
        "Réseau des services", "Facturation", "Factures des partenaires")
    row = client.pane.locator('tbody tr', has_text="La Poste").first
    row.wait_for()
    client.open_row(
        row.locator('td:visible', has_text="Client").first, 'party')
    client.wait_field('party')
    client.assert_no_dialog()
    client.screenshot('finance-01-invoice', [
            "Factures des partenaires", "Lignes de taxe", "Comptabiliser"])
    download = client.print_report("Facture")
    assert download.suggested_filename.endswith('.pdf'), (
        download.suggested_filename)
    pdf = SCREENSHOTS / 'finance-02-invoice.pdf'
    download.save_as(pdf)
    text = pdf_text(pdf.read_bytes())
    assert 'F CFA' in text and 'RIB' in text
    client.assert_no_dialog()

    client.click_button("Comptabiliser")
    # Tryton asks before posting
    dialog = client.page.locator('.modal-dialog:visible').first
    dialog.get_by_text("comptabiliser les factures").wait_for()
    dialog.locator('button', has_text="Valider").first.click()
    client.wait_idle()
    client.assert_no_dialog()
    def state():
        return server.sql(
            "SELECT i.state, i.number FROM account_invoice i "
            "JOIN party_party p ON p.id = i.party "
            "WHERE p.name LIKE 'La Poste%%' AND i.type = 'out'")
    end = time.monotonic() + 60
    while state()[0][0] != 'posted' and time.monotonic() < end:
        time.sleep(0.5)
    (posted, number), = state()
    month_end = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    assert posted == 'posted' and number.startswith(
        f'FC{month_end.year}-'), number
    client.toolbar('reload')
    end = time.monotonic() + 30
    while client.field_value('number') != number and time.monotonic() < end:
        client.page.wait_for_timeout(250)
    assert client.field_value('number') == number
    client.screenshot(
        'finance-03-invoice-posted', ["Factures des partenaires"])



# Reminders (relances) of the partners' overdue invoices

def menu_id(server, name):
    return server.sql(
        "SELECT db_id FROM ir_model_data WHERE module = 'partner_dunning' "
        "AND fs_id = %s", (name,))[0][0]


def test_reminders_created_processed_and_printed(server, finance):
    today = dt.date.today()
    # the reminders are finance's: the other roles neither see nor run them
    menus = [menu_id(server, 'menu_dunning_form'),
        menu_id(server, 'menu_dunning_create')]
    assert finance.model('ir.ui.menu', 'search_count',
        [('id', 'in', menus)]) == 2
    before = server.snapshot('account_dunning')
    for role in ['agent.zig', 'reseau', 'chef.zig', 'rh']:
        other = server.rpc().login(role)
        assert other.model('ir.ui.menu', 'search_count',
            [('id', 'in', menus)]) == 0, role
        with pytest.raises(RPCError):
            session, _, _ = other('wizard.account.dunning.create.create')
            other('wizard.account.dunning.create.execute', session,
                {'start': {'date': date(today)}}, 'create_')
        with pytest.raises(RPCError):
            other.model('account.dunning', 'search', [])
    assert server.snapshot('account_dunning') == before

    # « Créer les relances » for today finds the demo's overdue invoices
    session, _, _ = finance('wizard.account.dunning.create.create')
    result = finance('wizard.account.dunning.create.execute', session,
        {'start': {'date': date(today)}}, 'create_')
    assert result['actions'], result
    dunnings = finance.model('account.dunning', 'search_read',
        [('state', '=', 'draft')], 0, None, None,
        ['party.rec_name', 'level.rec_name', 'amount', 'maturity_date'])
    by_party = {d['party.']['rec_name']: d for d in dunnings}
    assert {d['level.']['rec_name'] for d in dunnings} == {"Premier rappel"}
    urbanism = [name for name in by_party if 'Urbanisme' in name]
    assert urbanism and any('Ziguinchor' in name for name in by_party), (
        by_party)
    # the demo's invoice fell due 75 days before the day the demo was built
    # (which may be yesterday when a run crosses midnight)
    invoice, = finance.model('account.invoice', 'search_read',
        [('party.name', 'ilike', '%Urbanisme%'), ('state', '=', 'posted')],
        0, None, None, ['invoice_date', 'create_date'])
    due = as_date(by_party[urbanism[0]]['maturity_date'])
    assert due == as_date(invoice['invoice_date'])
    assert (as_date(invoice['create_date']) - due).days == 75
    assert (today - due).days >= 75
    ids = [d['id'] for d in dunnings]

    # processing them ends on their letter
    session, _, _ = finance('wizard.account.dunning.process.create')
    result = finance('wizard.account.dunning.process.execute', session, {},
        'process', context={'active_model': 'account.dunning',
            'active_ids': ids, 'active_id': ids[0]})
    (action, data), = result['actions']
    assert action['report_name'] == 'partner_dunning.letter'
    assert sorted(data['ids']) == sorted(ids)
    stored = server.sql(
        f"SELECT state, date FROM account_dunning WHERE id IN "
        f"({', '.join(map(str, ids))})")
    assert {state for state, _ in stored} == {'waiting'}
    assert {str(day) for _, day in stored} == {today.isoformat()}

    # the letter: one page per partner, in French, amounts in F CFA
    reports = finance.model('ir.action.keyword', 'get_keyword',
        'form_print', ['account.dunning', ids[0]])
    assert [r['name'] for r in reports] == ["Lettre de relance"], reports
    ext, content, _, _ = finance(
        'report.partner_dunning.letter.execute', ids, {})
    assert ext == 'pdf'
    data = base64.b64decode(content['base64']) if isinstance(
        content, dict) else content
    pdf = PdfReader(io.BytesIO(data))
    assert len(pdf.pages) == len({d['party.']['rec_name'] for d in dunnings})
    text = ' '.join(pdf_text(data).split())
    for expected in ["Premier rappel", "Madame, Monsieur",
            "Sauf erreur de notre part", "250 000", "F CFA",
            "Jours de retard", "Échéance", "Total dû", "RIB : SN012",
            today.strftime("%d/%m/%Y"), "ADMINISTRATION PARTENAIRE"]:
        assert expected in text, expected
    for english in ["Dear", "Due Date", "Total Due", "Days Late"]:
        assert english not in text

    # a site agent may not print them
    agent = server.rpc().login('agent.zig')
    with pytest.raises(RPCError):
        agent('report.partner_dunning.letter.execute', ids, {})
