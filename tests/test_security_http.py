"""Integrity and security of the demo, tried through HTTP as each role.

Every attack and every refusal goes through the real server with the demo's
configuration (config/trytond.conf), on SQLite and on PostgreSQL as the
suite runs, logged in as the demo user of the role; after each refusal the
database itself is read to check that nothing was written."""
import base64
import datetime as dt
import io
import secrets
import statistics
import time

import pytest
from pypdf import PdfReader

from security_tools import PASSWORD, RPC, RPCError, SecurityServer


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_security')
    # the login tests come from several networks through a proxy
    server.env['TRYTOND_WEB__NUM_PROXIES'] = '1'
    # trytond syncs its caches at the start of a transaction once
    # clean_timeout has passed (300 s by default): every second here, so
    # that each refusal below meets a sync (which used to switch SQLite's
    # shared connection to autocommit)
    server.env['TRYTOND_CACHE__CLEAN_TIMEOUT'] = '1'
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def users(server):
    "One logged-in client per demo user, shared by the tests"
    return {login: server.rpc().login(login) for login in [
            'admin', 'reseau', 'chef.zig', 'agent.zig', 'agent.ths',
            'finance', 'rh']}


def date(value):
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


def decimal(value):
    return {'__class__': 'Decimal', 'decimal': str(value)}


def refused(call, *args, **kwargs):
    "The error of a call that must be refused, after a cache sync is due"
    time.sleep(1.1)
    with pytest.raises(RPCError) as info:
        call(*args, **kwargs)
    return info.value


def site_id(client, code):
    site, = client.model('network.site', 'search', [('code', '=', code)])
    return site


def a_case(client, domain, fields=('id',)):
    cases = client.model(
        'case.case', 'search_read', domain, 0, 1, None, list(fields))
    assert cases, f"the demo has no case {domain}"
    return cases[0]


def new_case(client, site_code='ZIG', **values):
    "A draft case opened by client at its site for a demo citizen"
    citizen = a_case(client, [('site.code', '=', site_code)],
        ['citizen'])['citizen']
    procedure, = client.model('network.procedure', 'search', [], 0, 1)
    case_id, = client.model('case.case', 'create', [{
                'site': site_id(client, site_code), 'citizen': citizen,
                'procedure': procedure, **values}])
    return case_id


# 1. A refused request leaves nothing

def test_refused_citizen_leaves_nothing(server, users):
    "The party with a wrong mobile number is not kept (SQLite autocommit)"
    name = f'Test Refus {secrets.token_hex(4)}'
    error = refused(users['agent.zig'].model, 'party.party', 'create', [{
                'name': name,
                'contact_mechanisms': [('create', [
                            {'type': 'mobile', 'value': '999'}])],
                }])
    assert 'valide' in error.message
    assert server.count('party_party', 'name = %s', (name,)) == 0
    assert users['admin'].model(
        'party.party', 'search', [('name', '=', name)]) == []


def test_refused_case_leaves_nothing(server, users):
    before = server.snapshot('case_case', 'case_document', 'case_numbering')
    error = refused(new_case, users['agent.zig'], phone='12345')
    assert 'téléphone' in error.message or 'valide' in error.message
    assert server.snapshot(
        'case_case', 'case_document', 'case_numbering') == before


def test_refused_assignment_leaves_nothing(server, users):
    rh = users['rh']
    employee = rh.model('agent.assignment', 'search_read',
        [('to_date', '=', None)], 0, 1, None, ['employee', 'site'])[0]
    before = server.snapshot('agent_assignment')
    refused(rh.model, 'agent.assignment', 'create', [{
                'employee': employee['employee'], 'site': employee['site'],
                'from_date': date(dt.date.today()),
                }])
    assert server.snapshot('agent_assignment') == before


def test_closed_site_takes_no_case_and_no_ticket(server, users):
    reseau = users['reseau']
    site = reseau.model('network.site', 'search',
        [('code', 'not in', ['ZIG', 'THS', 'DKR']), ('state', '=', 'open')],
        0, 1)[0]
    reseau.model('network.site', 'write', [site], {
            'closure_reason': "Inondation du local"})
    reseau.model('network.site', 'close', [site])
    try:
        sector, = reseau.model('network.sector', 'search', [], 0, 1)
        before = server.snapshot('case_case', 'case_ticket')
        refused(reseau.model, 'case.ticket', 'create', [{
                    'site': site, 'sector': sector}])
        citizen = a_case(reseau, [], ['citizen'])['citizen']
        procedure, = reseau.model('network.procedure', 'search', [], 0, 1)
        refused(reseau.model, 'case.case', 'create', [{
                    'site': site, 'citizen': citizen,
                    'procedure': procedure}])
        assert server.snapshot('case_case', 'case_ticket') == before
    finally:
        reseau.model('network.site', 'reopen', [site])


def test_ticket_done_without_case_stays_called(server, users):
    agent = users['agent.zig']
    zig = site_id(agent, 'ZIG')
    counter = agent.model('network.counter', 'search_read',
        [('site', '=', zig)], 0, 1, None, ['sector'])[0]
    ticket, = agent.model('case.ticket', 'create', [{
                'site': zig, 'sector': counter['sector']}])
    agent.model('network.counter', 'call_next', [counter['id']])
    called, = agent.model('case.ticket', 'search_read',
        [('site', '=', zig), ('state', '=', 'called')],
        0, 1, [('called_at', 'DESC')], ['id'])
    agent.model('case.ticket', 'write', [called['id']], {'outcome': 'case'})
    before = server.sql(
        'SELECT state, done_at FROM case_ticket WHERE id = %s',
        (called['id'],))
    refused(agent.model, 'case.ticket', 'done', [called['id']])
    assert server.sql(
        'SELECT state, done_at FROM case_ticket WHERE id = %s',
        (called['id'],)) == before == [('called', None)]


def test_failed_remittance_posting_leaves_no_invoice(server, users):
    finance = users['finance']
    remittances = finance.model('billing.remittance', 'search',
        [('state', '=', 'draft')])
    assert remittances, "the demo has a draft remittance"
    # finance closes the period of the remittance's date: the posting
    # fails once the supplier invoice is saved
    end, = finance.model('billing.remittance', 'read', remittances[:1],
        ['end_date'])
    period, = finance.model('account.period', 'search', [
            ('start_date', '<=', end['end_date']),
            ('end_date', '>=', end['end_date']),
            ('type', '=', 'standard')])
    finance.model('account.period', 'close', [period])
    try:
        before = server.snapshot('account_invoice', 'account_invoice_line',
            'account_move', 'billing_remittance')
        refused(finance.model, 'billing.remittance', 'post', remittances)
        assert server.snapshot('account_invoice', 'account_invoice_line',
            'account_move', 'billing_remittance') == before
    finally:
        finance.model('account.period', 'reopen', [period])


def test_refused_billing_run_leaves_no_run(server, users):
    finance = users['finance']
    today = dt.date.today()
    before = server.snapshot('billing_run', 'account_invoice')
    session, _, _ = finance('wizard.billing.run.wizard.create')
    # the month is not over: the run is refused
    refused(finance, 'wizard.billing.run.wizard.execute', session, {
            'start': {
                'start_date': date(today.replace(day=1)),
                'end_date': date(today), 'partner': None},
            }, 'bill')
    assert server.snapshot('billing_run', 'account_invoice') == before


# 2. Accounts and secrets

def test_no_password_reset_without_login(server, users):
    anonymous = server.rpc()
    anonymous.raw('common.db.reset_password', ['admin', 'fr'])
    assert server.sql(
        "SELECT password_reset FROM res_user WHERE login = 'admin'") == [
        (None,)]
    for login in ['agent.zig', 'finance', 'rh', 'reseau']:
        for field in ['password_reset', 'password_hash',
                'password_reset_expire']:
            error = refused(
                users[login].model, 'res.user', 'read', [1], [field])
            assert error.kind == 'UserError', error


def test_password_hash_cannot_be_searched(server, users):
    agent = users['agent.zig']
    for domain in [
            [('password_hash', 'like', '$argon2%')],
            [('password_reset', '!=', None)],
            [('password_reset_expire', '!=', None)]]:
        refused(agent.model, 'res.user', 'search_count', domain)
    refused(agent.model, 'res.user', 'search', [], 0, None,
        [('password_hash', 'ASC')])
    refused(agent.model, 'res.user', 'export_data', [1], [['password_hash']])


def test_database_list_hidden(server):
    error = refused(server.rpc().raw, 'common.db.list', [])
    assert error.status == 403 or error.kind != 'HTTPError'


def test_weak_passwords_refused(server, users):
    admin = users['admin']
    before = server.snapshot('res_user')
    for weak in ['12345678', 'aaaaaaaaaa', 'password', 'Password2026!',
            '1234567890', 'azerty123', 'mlamine2026', 'abcdefghij']:
        login = f'test.{secrets.token_hex(3)}'
        name = 'M Lamine Test'
        refused(admin.model, 'res.user', 'create', [{
                    'login': login, 'name': name, 'password': weak}])
    assert server.snapshot('res_user') == before
    # A user's own change of password follows the same policy
    refused(users['agent.ths'].model, 'res.user', 'set_preferences',
        {'password': 'password1'})
    RPC(server.url, server.database).login('agent.ths')


def test_forged_action_id_opens_no_wizard(server, users):
    agent = users['agent.zig']
    forged = {'action_id': 987654}
    before = server.snapshot('billing_run', 'account_invoice',
        'company_employee', 'agent_assignment', 'equipment_equipment')
    for wizard in ['billing.run.wizard', 'agent.import', 'equipment.import',
            'reconciliation.statement.import', 'network.holiday.load']:
        refused(agent, f'wizard.{wizard}.create', context=forged)
    today = dt.date.today()
    # nor through a session made otherwise
    with pytest.raises(RPCError):
        session, _, _ = agent('wizard.billing.run.wizard.create',
            context=forged)
        agent('wizard.billing.run.wizard.execute', session, {
                'start': {
                    'start_date': date(today.replace(day=1, month=1)),
                    'end_date': date(today.replace(day=31, month=1)),
                    'partner': None},
                }, 'bill', context=forged)
    assert server.snapshot('billing_run', 'account_invoice',
        'company_employee', 'agent_assignment',
        'equipment_equipment') == before


def test_case_read_only_fields_refused(server, users):
    agent = users['agent.zig']
    delivered = a_case(agent, [('state', '=', 'delivered'),
            ('site.code', '=', 'ZIG'), ('rating', '!=', None)])['id']
    submitted = a_case(agent, [('state', '=', 'submitted'),
            ('site.code', '=', 'ZIG')])['id']
    columns = ('state, number, rating, rating_comment, rating_token, '
        'paid_at, delivery_date')
    before = server.sql(
        f'SELECT {columns} FROM case_case WHERE id IN (%s, %s) ORDER BY id',
        (delivered, submitted))
    fees = server.snapshot('case_fee', 'case_history')
    for case, values in [
            (submitted, {'state': 'delivered'}),
            (submitted, {'number': 'ZIG-FAKE'}),
            (submitted, {'paid_at': {'__class__': 'datetime', 'year': 2026,
                        'month': 1, 'day': 1, 'hour': 0, 'minute': 0,
                        'second': 0, 'microsecond': 0}}),
            (delivered, {'rating': 1}),
            (delivered, {'rating_comment': "Nul"}),
            (delivered, {'rating_token': 'forged'}),
            (delivered, {'delivery_date': date(dt.date(2020, 1, 1))}),
            (delivered, {'fees': [('create', [{
                                'label': "Remise", 'kind': 'fee',
                                'amount': decimal(-5000),
                                'beneficiary': 1}])]}),
            ]:
        refused(agent.model, 'case.case', 'write', [case], values)
    fee_ids = agent.model('case.fee', 'search', [('case', '=', delivered)])
    assert fee_ids
    refused(agent.model, 'case.fee', 'write', fee_ids,
        {'amount': decimal(9999)})
    refused(agent.model, 'case.fee', 'delete', fee_ids)
    refused(agent.model, 'case.fee', 'create', [{
                'case': submitted, 'label': "Remise", 'kind': 'fee',
                'amount': decimal(-5000), 'beneficiary': 1}])
    refused(agent.model, 'case.history', 'create', [{
                'case': submitted, 'from_state': 'draft',
                'to_state': 'delivered', 'date': {
                    '__class__': 'datetime', 'year': 2026, 'month': 1,
                    'day': 1, 'hour': 0, 'minute': 0, 'second': 0,
                    'microsecond': 0}}])
    # a new case cannot come with its own state or number
    before_cases = server.snapshot('case_case')
    refused(new_case, agent, state='delivered')
    refused(new_case, agent, number='ZIG-FAKE-1')
    assert server.snapshot('case_case') == before_cases
    assert server.sql(
        f'SELECT {columns} FROM case_case WHERE id IN (%s, %s) ORDER BY id',
        (delivered, submitted)) == before
    assert server.snapshot('case_fee', 'case_history') == fees


def test_idle_session_ends(server):
    client = server.rpc().login('agent.ths')
    assert client.model('case.case', 'search_count', [])
    # the session was last used 31 minutes ago ([session] timeout = 1800)
    old = dt.datetime.now() - dt.timedelta(minutes=31)
    server.sql(
        'UPDATE ir_session SET create_date = %s, write_date = %s '
        'WHERE "key" = %s', (old, old, client.session))
    error = refused(client.model, 'case.case', 'search_count', [])
    assert error.status in {401, 403}
    # and a session is over after 10 hours whatever its use
    client = server.rpc().login('agent.ths')
    old = dt.datetime.now() - dt.timedelta(hours=10, minutes=1)
    server.sql(
        'UPDATE ir_session SET create_date = %s, write_date = %s '
        'WHERE "key" = %s', (old, dt.datetime.now(), client.session))
    error = refused(client.model, 'case.case', 'search_count', [])
    assert error.status in {401, 403}


def _login_from(server, login, password, address):
    "Log in through the proxy for a caller at address"
    import json
    import urllib.request
    request = urllib.request.Request(
        f'{server.url}/{server.database}/rpc/', data=json.dumps({
                'id': 1, 'method': 'common.db.login',
                'params': [login, {'password': password}, 'fr']}).encode(),
        headers={'Content-Type': 'application/json',
            'X-Forwarded-For': address})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        return error.code
    return 'ok' if 'result' in answer else answer['error'][0]


def test_failed_logins_do_not_lock_the_owner_out(server):
    # Someone tries 7 passwords of the HR officer from elsewhere
    for _ in range(7):
        assert _login_from(server, 'rh', 'wrong-password', '10.9.9.9') != 'ok'
    assert _login_from(server, 'rh', PASSWORD, '10.9.9.9') == 429
    # she still logs in from her office
    assert _login_from(server, 'rh', PASSWORD, '10.1.1.1') == 'ok'


def test_unknown_login_answers_as_slowly_as_a_wrong_password(server):
    def duration(login, address):
        start = time.perf_counter()
        _login_from(server, login, 'not-the-password', address)
        return time.perf_counter() - start
    # one after the other, so that a busy machine slows both alike (the
    # two test suites of CI run side by side)
    known, unknown = [], []
    for i, login in enumerate(['reseau', 'chef.dkr', 'agent.ths',
                'finance', 'chef.zig']):
        known.append(duration(login, f'10.3.0.{i}'))
        unknown.append(duration(f'nobody.{i}', f'10.4.0.{i}'))
    # argon2 runs for both: an unknown login is not 20 times faster
    assert statistics.median(unknown) > 0.25 * statistics.median(known), (
        unknown, known)


# 4. Money and authority at the counter

def run_wizard(client, name, case_id, values, button):
    "Run the wizard name on a case as sao does: create, start, button"
    context = {'active_model': 'case.case', 'active_id': case_id,
        'active_ids': [case_id]}
    session, _, _ = client(f'wizard.{name}.create')
    client(f'wizard.{name}.execute', session, {}, 'start', context=context)
    return client(f'wizard.{name}.execute', session, {'start': values},
        button, context=context)


def test_fees_change_only_by_a_manager_before_payment(server, users):
    manager, agent = users['chef.zig'], users['agent.zig']
    unpaid = a_case(manager, [('state', '=', 'submitted'),
            ('site.code', '=', 'ZIG'), ('paid_at', '=', None),
            ('fees', '!=', None)])['id']
    paid = a_case(manager, [('site.code', '=', 'ZIG'),
            ('paid_at', '!=', None), ('fees', '!=', None)])['id']
    fee = manager.model('case.fee', 'search_read', [('case', '=', unpaid)],
        0, 1, None, ['amount'])[0]
    paid_fee, = manager.model('case.fee', 'search', [('case', '=', paid)],
        0, 1)
    before = server.snapshot('case_fee', 'case_history', 'case_refund')
    # the agent alone does not change fees, nor refunds
    refused(run_wizard, agent, 'case.fee.change', unpaid, {
            'fee': fee['id'], 'amount': decimal(0), 'reason': "Geste"},
        'change')
    refused(run_wizard, agent, 'case.refund.wizard', paid, {
            'amount': decimal(100), 'method': 'cash', 'reason': "Erreur"},
        'refund')
    # no negative fee, no change without reason, nothing after payment
    refused(run_wizard, manager, 'case.fee.change', unpaid, {
            'fee': fee['id'], 'amount': decimal(-500), 'reason': "Remise"},
        'change')
    refused(run_wizard, manager, 'case.fee.change', unpaid, {
            'fee': fee['id'], 'amount': decimal(1000), 'reason': ""},
        'change')
    refused(run_wizard, manager, 'case.fee.change', paid, {
            'fee': paid_fee, 'amount': decimal(9999), 'reason': "Erreur"},
        'change')
    # nor more refunded than paid
    refused(run_wizard, manager, 'case.refund.wizard', paid, {
            'amount': decimal(10_000_000), 'method': 'cash',
            'reason': "Erreur"}, 'refund')
    assert server.snapshot('case_fee', 'case_history', 'case_refund') == (
        before)

    # the manager changes a fee before payment, with a reason: in history
    run_wizard(manager, 'case.fee.change', unpaid, {
            'fee': fee['id'], 'amount': decimal(1000),
            'reason': "Tarif réduit"}, 'change')
    amount, = server.sql('SELECT amount FROM case_fee WHERE id = %s',
        (fee['id'],))[0]
    assert float(amount.decode() if isinstance(amount, bytes) else amount) \
        == 1000
    notes = [n for n, in server.sql(
            'SELECT note FROM case_history WHERE "case" = %s', (unpaid,))]
    assert any('Tarif réduit' in (n or '') for n in notes), notes
    # and refunds part of a paid case, recorded and in history
    run_wizard(manager, 'case.refund.wizard', paid, {
            'amount': decimal(100), 'method': 'cash',
            'reason': "Timbre compté deux fois"}, 'refund')
    assert server.count('case_refund', '"case" = %s', (paid,)) == 1
    notes = [n for n, in server.sql(
            'SELECT note FROM case_history WHERE "case" = %s', (paid,))]
    assert any('Timbre compté deux fois' in (n or '') for n in notes)
    # the receipt printed again shows the refund
    _, content, _, _ = manager('report.case.receipt.execute', [paid], {})
    text = ''.join(page.extract_text() for page in PdfReader(io.BytesIO(
                base64.b64decode(content['base64']))).pages)
    assert 'Remboursements' in text and 'Timbre compté deux fois' in text


def test_partner_steps_and_delivery(server, users):
    agent, manager = users['agent.zig'], users['chef.zig']
    transmitted = a_case(agent, [('state', '=', 'transmitted'),
            ('site.code', '=', 'ZIG')])['id']
    ready = a_case(agent, [('state', '=', 'ready'),
            ('site.code', '=', 'ZIG')])['id']
    before = server.snapshot('case_case', 'case_history')
    # the counter agent does not play the partner
    refused(agent.model, 'case.case', 'receive_at_partner', [transmitted])
    refused(agent.model, 'case.case', 'make_ready', [transmitted])
    # nor delivers without recording who collected the document
    refused(agent.model, 'case.case', 'deliver', [ready])
    # a proxy must be named
    refused(agent.model, 'case.case', 'write', [ready],
        {'recipient_kind': 'proxy'})
    # 'partner' is for the connector: a user cannot skip the ID check
    agent.model('case.case', 'write', [ready], {'recipient_kind': 'partner'})
    refused(agent.model, 'case.case', 'deliver', [ready])
    state = 'SELECT state FROM case_case WHERE id = %s'
    assert server.sql(state, (transmitted,)) == [('transmitted',)]
    assert server.sql(state, (ready,)) == [('ready',)]
    assert server.snapshot('case_history') == {
        'case_history': before['case_history']}
    # the site manager records the partner's answer
    manager.model('case.case', 'receive_at_partner', [transmitted])
    agent.model('case.case', 'write', [ready], {
            'recipient_kind': 'proxy', 'recipient_name': "Awa Sané (mère)",
            'recipient_id_type': 'cni',
            'recipient_id_number': '2 751 1970 04567'})
    agent.model('case.case', 'deliver', [ready])
    assert server.sql(
        'SELECT state, recipient_kind, recipient_name FROM case_case '
        'WHERE id = %s', (ready,)) == [
        ('delivered', 'proxy', "Awa Sané (mère)")]


def test_counters_of_other_sites_refused(server, users):
    agent = users['agent.zig']
    ths = site_id(users['admin'], 'THS')
    counters = users['admin'].model('network.counter', 'search',
        [('site', '=', ths)])
    before = server.snapshot('case_ticket')
    for counter in counters[:2]:
        refused(agent.model, 'network.counter', 'call_next', [counter])
    assert server.snapshot('case_ticket') == before
    # nor a ticket at a site of others
    sector, = agent.model('network.sector', 'search', [], 0, 1)
    refused(agent.model, 'case.ticket', 'create', [{
                'site': ths, 'sector': sector}])
    assert server.snapshot('case_ticket') == before


def test_oversized_request_refused(server, users):
    "A request over 20 MB is refused before trytond reads it"
    agent = users['agent.zig']
    before = server.snapshot('ir_attachment')
    error = refused(agent.model, 'ir.attachment', 'create', [{
                'name': 'huge.csv', 'resource': 'network.site,1',
                'data': {'__class__': 'bytes',
                    'base64': 'A' * (21 * 1024 * 1024)}}])
    # refused before trytond reads it: 413, or 400 when the body was cut
    assert error.status in {400, 413}, error
    assert server.snapshot('ir_attachment') == before
