"""The network administrator's journeys (issue 14) through HTTP, as sao
calls the server, logged in as the demo user `reseau`.

Public holidays: an estimated date is confirmed with the "Confirmer la
date" button; the "À confirmer" tab leaves out the past dates. A role
without the button is refused and nothing is saved.
"""
import datetime as dt
import re

import pytest

from trytond.pyson import PYSONDecoder

from security_tools import RPCError, SecurityServer


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_network_admin').start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def reseau(server):
    return server.rpc().login('reseau')


def estimated_holidays(server):
    return server.sql(
        'SELECT id, date FROM network_holiday WHERE estimated '
        'ORDER BY date')


def test_confirm_holiday_date(server, reseau):
    "reseau confirms an estimated date with the button"
    estimated = estimated_holidays(server)
    assert estimated, "the demo loads this year's and next year's holidays"
    holiday_id = estimated[-1][0]
    # The field is no longer a box to untick
    fields = reseau.model('network.holiday', 'fields_get', ['estimated'])
    assert fields['estimated']['readonly']
    view = reseau.model(
        'network.holiday', 'fields_view_get', None, 'form')
    assert 'confirm_date' in view['arch']
    assert 'Confirmer la date' in view['arch']
    before = server.snapshot('network_holiday')
    with pytest.raises(RPCError) as refusal:
        reseau.model('network.holiday', 'write', [holiday_id],
            {'estimated': False})
    assert "Estimé" in refusal.value.message
    assert server.snapshot('network_holiday') == before
    reseau.model('network.holiday', 'confirm_date', [holiday_id])
    assert server.sql(
        'SELECT estimated FROM network_holiday WHERE id = %s',
        (holiday_id,))[0][0] in (0, False)
    assert len(estimated_holidays(server)) == len(estimated) - 1


def test_confirm_refused_to_site_manager(server):
    "A site manager reads the holidays but cannot confirm: nothing saved"
    estimated = estimated_holidays(server)
    assert estimated
    before = server.snapshot('network_holiday')
    chef = server.rpc().login('chef.zig')
    with pytest.raises(RPCError) as refusal:
        chef.model('network.holiday', 'confirm_date', [estimated[0][0]])
    assert refusal.value.kind == 'UserError'
    assert server.snapshot('network_holiday') == before
    assert estimated_holidays(server) == estimated


def test_to_confirm_tab_ignores_past_dates(server, reseau):
    "The 'À confirmer' tab counts only the dates still to come"
    tabs = reseau.model('ir.action.act_window.domain', 'search_read',
        [('act_window.res_model', '=', 'network.holiday')], 0, None, None,
        ['name', 'domain'])
    tab, = [t for t in tabs if t['name'] == "À confirmer"]
    # The tab's domain as sao evaluates it, dates sent as sao sends them
    domain = [[field, operator, {'__class__': 'date', 'year': value.year,
                    'month': value.month, 'day': value.day}
                if isinstance(value, dt.date) else value]
        for field, operator, value in PYSONDecoder().decode(tab['domain'])]
    # Make one estimated date a past one: the tab no longer lists it
    holiday_id = estimated_holidays(server)[0][0]
    yesterday = dt.date.today() - dt.timedelta(days=1)
    while yesterday.weekday() >= 5:
        yesterday -= dt.timedelta(days=1)
    server.sql('UPDATE network_holiday SET date = %s WHERE id = %s',
        (yesterday.isoformat(), holiday_id))
    today = dt.date.today().isoformat()
    to_confirm = reseau.model(
        'network.holiday', 'search', domain, 0, None, None)
    assert holiday_id not in to_confirm
    assert set(to_confirm) == {
        i for i, d in estimated_holidays(server) if str(d) >= today}


# Connectors: Retry says what it did, on one message or a selection


@pytest.fixture(scope='module')
def messages(server, reseau):
    "An endpoint of reseau's and a dead, a failed and an acknowledged message"
    partner = reseau.model('party.party', 'search',
        [('partner_kind', '!=', None)], 0, 1, None)[0]
    endpoint, = reseau.model('connector.endpoint', 'create', [{
                'name': "Partenaire (essai)", 'partner': partner,
                'kind': 'rest', 'environment': 'test',
                'url': 'http://127.0.0.1:9'}])
    ids = {}
    for state in ['dead', 'failed', 'acknowledged']:
        server.sql('INSERT INTO connector_message (endpoint, operation, '
            'idempotency_key, state, attempts, create_date, create_uid) '
            "VALUES (%s, 'submit', %s, %s, 3, %s, 0)",
            (endpoint, f'ESSAI-{state}', state,
                dt.datetime.now().isoformat(' ')))
        ids[state], = server.sql(
            'SELECT id FROM connector_message WHERE idempotency_key = %s',
            (f'ESSAI-{state}',))[0]
    return ids


def message_states(server, ids):
    return {state: tuple(server.sql(
                'SELECT state, attempts FROM connector_message '
                'WHERE id = %s', (i,))[0]) for state, i in ids.items()}


def run_retry(client, ids):
    context = {'active_model': 'connector.message', 'active_id': ids[0],
        'active_ids': ids}
    session, _, _ = client(
        'wizard.connector.message.retry.create', context=context)
    result = client('wizard.connector.message.retry.execute', session, {},
        'start', context=context)
    client('wizard.connector.message.retry.delete', session)
    return result['view']['defaults']['result']


def test_retry_refused_to_site_manager(server, messages):
    before = message_states(server, messages)
    chef = server.rpc().login('chef.zig')
    with pytest.raises(RPCError):
        run_retry(chef, [messages['dead']])
    assert message_states(server, messages) == before


def test_retry_selection_says_what_it_did(server, reseau, messages):
    "Several messages at once: the dead and the failed one start again"
    text = run_retry(reseau, list(messages.values()))
    assert "2 message(s) relancé(s)" in text
    assert "1 message(s) laissé(s) tel(s) quel(s)" in text
    states = message_states(server, messages)
    assert states['acknowledged'] == ('acknowledged', 3)
    for state in ['dead', 'failed']:
        # sent again at once from the first attempt (they were at 3): the
        # test endpoint has no connector, so that attempt fails again
        assert states[state][1] in (0, 1), states
        if states[state][1] == 1:
            error, = server.sql('SELECT last_error FROM connector_message '
                'WHERE id = %s', (messages[state],))[0]
            assert error.startswith("Tentative 1 sur"), error
            if states[state][0] == 'dead':
                assert "renvoyé" not in error and "Relancer" in error


def test_message_list_columns(reseau):
    "One header per column, the last attempt shown, headers in French"
    view = reseau.model('connector.message', 'fields_view_get', None, 'tree')
    # sao shows a date-time as a date column and a time column: each
    # column has its own header
    headers = [string or view['fields'][name]['string']
        for name, string in re.findall(
            r'<field name="(\w+)"(?:[^>]*?string="([^"]*)")?', view['arch'])]
    assert len(headers) == len(set(headers)), headers
    assert "Heure de la dernière tentative" in headers
    assert view['fields']['sent_at']['string'] == "Dernière tentative"
