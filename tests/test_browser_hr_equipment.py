"""Issue 14, HR and equipment journeys through HTTP as the web client calls
the server (JSON-RPC on /<db>/rpc/), logged in as the role's demo user:
HR imports agents starting later and finds them, and is the only role
assigning several agents at once; a site manager fills in a transfer with
the equipment of the source site. After each refusal, what
is stored is checked to be unchanged."""
import base64
import datetime as dt
import io

import openpyxl
import pytest

from trytond.pyson import PYSONDecoder

from security_tools import RPCError, SecurityServer


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_hr_equipment')
    server.start()
    yield server
    server.stop()


def xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return {'__class__': 'bytes',
        'base64': base64.b64encode(data.getvalue()).decode()}


def jsonable(value):
    "The value with its dates as the web client sends them"
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return {'__class__': 'date', 'year': value.year,
            'month': value.month, 'day': value.day}
    return value


def run_import(rpc, rows):
    "Run the agents import wizard as sao does; return the answer"
    session, _, _ = rpc('wizard.agent.import.create')
    try:
        return rpc('wizard.agent.import.execute', session,
            {'start': {'file_': xlsx(rows), 'filename': 'agents.xlsx'}},
            'import_'), session
    except RPCError:
        rpc('wizard.agent.import.delete', session)
        raise


def test_rh_imports_and_finds_upcoming_agents(server):
    rpc = server.rpc().login('rh')
    later = (dt.date.today() + dt.timedelta(days=20)).strftime('%d/%m/%Y')
    header = ['Matricule', 'Nom', "Date d'embauche", 'Site']
    before = server.snapshot('company_employee', 'party_party',
        'agent_assignment')
    # A refusal names the row and saves nothing
    with pytest.raises(RPCError) as error:
        run_import(rpc, [header,
                ['IMP-901', 'Awa Sarr', later, 'ZIG'],
                ['IMP-902', 'Ousmane Ba', later, 'NOWHERE']])
    assert 'NOWHERE' in error.value.message
    assert server.snapshot('company_employee', 'party_party',
        'agent_assignment') == before

    answer, session = run_import(rpc, [header,
            ['IMP-901', 'Awa Sarr', later, 'ZIG'],
            ['IMP-902', 'Ousmane Ba', '02/01/2024', None]])
    view = answer['view']
    assert view['state'] == 'done'
    values = view['defaults']
    assert (values['agents'], values['assignments'], values['upcoming']) \
        == (2, 1, 1)
    stored = dict(server.sql(
            'SELECT matricule, id FROM company_employee '
            "WHERE matricule IN ('IMP-901', 'IMP-902')"))
    assert sorted(values['employees']) == sorted(stored.values())
    assert server.count('agent_assignment', 'employee = %s',
        (stored['IMP-901'],)) == 1
    # The done step opens the imported agents, the upcoming one included
    answer = rpc('wizard.agent.import.execute', session,
        {'done': values}, 'open_')
    rpc('wizard.agent.import.delete', session)
    (action, _), = answer['actions']
    assert action['name'] == 'Agents importés (2)'
    domain = PYSONDecoder().decode(action['pyson_domain'])
    context = PYSONDecoder().decode(action['pyson_context'])
    assert sorted(rpc.model('company.employee', 'search', domain, 0, None,
            None, context=context)) == sorted(stored.values())

    # The agents list: its context and its "À venir" tab find the agent
    # starting later by matricule
    action, = rpc.model('ir.action.act_window', 'search_read', [
            ('res_model', '=', 'company.employee'),
            ('name', '=', 'Agents')], 0, 1, None,
        ['pyson_context', 'act_window_domains'])
    context = PYSONDecoder().decode(action['pyson_context'])
    tabs = {t['name']: jsonable(PYSONDecoder().decode(t['domain']))
        for t in rpc.model('ir.action.act_window.domain', 'read',
            action['act_window_domains'], ['name', 'domain'])}
    assert list(tabs) == ['En poste et à venir', 'À venir', 'Tous']

    def found(tab):
        return {r['matricule'] for r in rpc.model(
                'company.employee', 'search_read',
                [tabs[tab], ('rec_name', 'ilike', '%IMP-90%')], 0, None,
                None, ['matricule'], context=context)}
    assert found('En poste et à venir') == {'IMP-901', 'IMP-902'}
    assert found('À venir') == {'IMP-901'}


def test_chef_fills_and_sends_transfer(server):
    rpc = server.rpc().login('chef.zig')
    zig, = rpc.model('network.site', 'search', [('code', '=', 'ZIG')],
        0, None, None)
    other, = rpc.model('network.site', 'search', [('code', '=', 'DKR')],
        0, None, None)
    # The equipment offered on a new line, as sao evaluates the domain
    encoded = rpc.model('equipment.transfer.line', 'fields_get',
        ['equipment'])['equipment']['domain']
    domain = PYSONDecoder({'id': -1, 'from_site': None,
            '_parent_transfer': {'id': -2, 'from_site': zig,
                'to_site': other}}).decode(encoded)
    offered = rpc.model('equipment.equipment', 'search_read', domain,
        0, None, None, ['site'])
    assert offered and {e['site'] for e in offered} == {zig}
    equipment = offered[0]['id']

    # Sending an empty transfer is refused and changes nothing
    transfer, = rpc.model('equipment.transfer', 'create', [{
                'from_site': zig, 'to_site': other}])
    before = server.snapshot('equipment_transfer', 'equipment_transfer_line')
    with pytest.raises(RPCError):
        rpc.model('equipment.transfer', 'send', [transfer])
    assert server.snapshot(
        'equipment_transfer', 'equipment_transfer_line') == before
    assert server.sql('SELECT state FROM equipment_transfer WHERE id = %s',
        (transfer,)) == [('draft',)]

    rpc.model('equipment.transfer', 'write', [transfer], {
            'lines': [('create', [{'equipment': equipment}])]})
    rpc.model('equipment.transfer', 'send', [transfer])
    assert server.sql('SELECT state FROM equipment_transfer WHERE id = %s',
        (transfer,)) == [('sent',)]
    assert server.sql('SELECT equipment FROM equipment_transfer_line '
        'WHERE transfer = %s', (transfer,)) == [(equipment,)]

    # Only Dakar receives it: the sender does not see the button, is
    # refused if it calls it anyway, and nothing moves
    assert rpc.model('equipment.transfer', 'read', [transfer],
        ['can_receive'])[0]['can_receive'] is False
    tables = ('equipment_transfer', 'equipment_equipment', 'equipment_move')
    before = server.snapshot(*tables)
    with pytest.raises(RPCError) as error:
        rpc.model('equipment.transfer', 'receive', [transfer])
    # the hidden button is refused by Tryton before our own site check
    assert "Vous ne pouvez pas appeler" in error.value.message, (
        error.value.message)
    assert server.snapshot(*tables) == before
    dakar = server.rpc().login('chef.dkr')
    assert dakar.model('equipment.transfer', 'read', [transfer],
        ['can_receive'])[0]['can_receive'] is True
    dakar.model('equipment.transfer', 'receive', [transfer])
    assert server.sql('SELECT state FROM equipment_transfer WHERE id = %s',
        (transfer,)) == [('received',)]
    assert server.sql('SELECT site FROM equipment_equipment WHERE id = %s',
        (equipment,)) == [(other,)]


def test_only_hr_assigns_agents_at_once(server):
    """The wizard assigning several agents is HR's: other roles are refused
    whatever action they name, and a refusal stores nothing"""
    rh = server.rpc().login('rh')
    zig, = rh.model('network.site', 'search', [('code', '=', 'ZIG')],
        0, None, None)
    agents = rh.model('company.employee', 'search',
        [('matricule', 'in', ['ESS-0004', 'ESS-0005'])], 0, None, None)
    assert len(agents) == 2
    values = {'start': {'employees': agents, 'site': zig,
            'from_date': jsonable(dt.date.today())}}
    before = server.snapshot('agent_assignment')
    for login in ['chef.zig', 'agent.zig', 'reseau', 'finance']:
        rpc = server.rpc().login(login)
        for context in [{}, {'action_id': 987654}]:
            with pytest.raises(RPCError) as error:
                session, _, _ = rpc(
                    'wizard.agent.assignment.assign.create', context=context)
                rpc('wizard.agent.assignment.assign.execute', session,
                    values, 'assign', context=context)
            # named by its action, in French, not by its technical name
            assert 'Affecter à un site' in error.value.message, (
                login, error.value.message)
            assert 'agent.assignment.assign' not in error.value.message
    assert server.snapshot('agent_assignment') == before

    # HR: both demo agents already work at Dakar, the refusal names them
    session, _, _ = rh('wizard.agent.assignment.assign.create')
    with pytest.raises(RPCError) as error:
        rh('wizard.agent.assignment.assign.execute', session, values,
            'assign')
    rh('wizard.agent.assignment.assign.delete', session)
    assert "Aucune affectation n'a été créée" in error.value.message
    assert 'Aliou Ndiaye' in error.value.message
    assert 'Khady Sow' in error.value.message
    assert server.snapshot('agent_assignment') == before
