"""The counter agent registers citizens through HTTP, as the web client
does: a wrong NIN, a wrong phone or a NIN already registered is refused and
leaves nothing in the database; a likely duplicate is a warning the agent
may pass; a good citizen is stored with their phone once, found by phone
and NIN from a citizen field, and their phone goes to their new case."""
import secrets
import time

import pytest

from security_tools import RPCError, SecurityServer

# the first of the demo's two Aminata Sagna (scripts/demo/service_case.py)
AMINATA_NIN = '2751198700412'
AMINATA_PHONE = '+221 77 614 22 90'


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_citizen')
    # a cache sync at every request (see test_security_http.py): the
    # refusals below must roll back on SQLite too
    server.env['TRYTOND_CACHE__CLEAN_TIMEOUT'] = '1'
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def agent(server):
    return server.rpc().login('agent.zig')


def date(year, month, day):
    return {'__class__': 'date', 'year': year, 'month': month, 'day': day}


def refused(call, *args):
    "The error of a call that must be refused, after a cache sync is due"
    time.sleep(1.1)
    with pytest.raises(RPCError) as info:
        call(*args)
    return info.value


def stored(server):
    "The citizens and phones stored, as the database holds them"
    return server.snapshot('party_party', 'party_contact_mechanism')


def citizen(last_name, **values):
    return {
        'first_name': "Ndeye Fatou", 'last_name': last_name,
        'birth_date': date(1990, 6, 21), 'birth_place': "Oussouye",
        'preferred_language': 'dyo', **values}


def test_wrong_identity_is_refused_and_leaves_nothing(server, agent):
    last_name = f'Refus{secrets.token_hex(3)}'
    before = stored(server)
    for values, expected in [
            ({'national_id': '1 751 1990 0123'}, "13 chiffres"),
            ({'national_id': '1 01 19900621 00055 8'}, "numéro de la carte"),
            ({'national_id': AMINATA_NIN}, "déjà enregistré"),
            ({'citizen_phone': '77 12'}, "numéro de téléphone"),
            ({'citizen_phone': '+33 6 12 34 56 78'}, "numéro de téléphone"),
            ]:
        error = refused(agent.model, 'party.party', 'create', [
                citizen(last_name, **values)])
        assert expected in error.message, error.message
        assert stored(server) == before, values
    assert server.count('party_party', 'last_name = %s', (last_name,)) == 0


def test_good_citizen_is_stored_once_and_found(server, agent):
    last_name = f'Diedhiou{secrets.token_hex(3)}'
    party_id, = agent.model('party.party', 'create', [citizen(
                last_name, national_id='2 753 1990 04521',
                citizen_phone='77 245 18 63')])
    values, = agent.model('party.party', 'read', [party_id], [
            'name', 'national_id', 'citizen_phone', 'birth_date',
            'birth_place', 'preferred_language'])
    assert values['name'] == f"Ndeye Fatou {last_name}"
    assert values['national_id'] == '2753199004521'
    assert values['citizen_phone'] == '+221 77 245 18 63'
    assert values['birth_date'] == date(1990, 6, 21)
    assert values['preferred_language'] == 'dyo'
    assert server.sql(
        'SELECT type, value FROM party_contact_mechanism WHERE party = %s',
        (party_id,)) == [('mobile', '+221 77 245 18 63')]

    # a citizen field finds them by phone or NIN, as typed
    for text in ['77 245 18 63', '772451863', '2 753 1990 04521']:
        found = agent.model('party.party', 'search_read', [
                ('rec_name', 'ilike', f'%{text}%')], 0, None, None,
            ['id'])
        assert [f['id'] for f in found] == [party_id], text

    # their new case takes their phone
    changes = agent.model('case.case', 'on_change', {
            'citizen': party_id, 'phone': None}, ['citizen'])
    assert changes['phone'] == '+221 77 245 18 63'


def test_likely_duplicate_is_a_warning_to_pass(server, agent):
    "A second Aminata Sagna born the same day: warned, then saved if wanted"
    values = {'first_name': "Aminata", 'last_name': "Sagna",
        'birth_date': date(1987, 3, 14)}
    before = stored(server)
    time.sleep(1.1)
    with pytest.raises(RPCError) as info:
        agent.model('party.party', 'create', [values])
    assert info.value.kind == 'UserWarning'
    assert stored(server) == before
    # the web client records the agent's choice and sends it again
    agent.model('res.user.warning', 'skip', info.value.message, False)
    party_id, = agent.model('party.party', 'create', [values])
    assert agent.model('party.party', 'search_count', [
            ('name', '=', "Aminata Sagna")]) == 3
    # other names or birth dates pass without a warning
    agent.model('party.party', 'create', [{
                **values, 'birth_date': date(1987, 3, 15)}])
    assert party_id


def test_agent_lists_the_two_aminata_sagna(server, agent):
    "The citizens list tells them apart by birth date, NIN and phone"
    rows = agent.model('party.party', 'search_read', [
            ('rec_name', 'ilike', '%Aminata Sagna%'),
            ('national_id', '!=', None)], 0, None, [('birth_date', 'ASC')],
        ['name', 'birth_date', 'national_id', 'citizen_phone'])
    assert [(r['birth_date'], r['national_id'], r['citizen_phone'])
        for r in rows] == [
        (date(1987, 3, 14), AMINATA_NIN, AMINATA_PHONE),
        (date(1995, 11, 2), '2752199501187', '+221 78 301 45 12')]
