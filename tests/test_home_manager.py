"""The site manager's home through HTTP, as sao asks for it: the panel of
equipment out of order lists the damaged equipment and the equipment under
repair of the manager's sites, and nothing of other sites; equipment put
back in service leaves it. The counter agents and finance cannot open the
panel. The cases late or at risk have their panel on the same board."""
import pytest

from trytond.pyson import PYSONDecoder

from security_tools import RPCError, SecurityServer

PANEL = 'site_equipment.act_home_equipment_out_of_order'
BOARD = 'service_network.act_home_site_manager'
OUT_OF_ORDER = {'damaged', 'under_repair'}


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_home_manager').start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def clients(server):
    clients = {}
    for role in ['chef.zig', 'agent.zig', 'finance', 'admin']:
        client = server.rpc().login(role)
        # English messages, to tell an access error from the others
        client.context['language'] = 'en'
        clients[role] = client
    return clients


def manager_sites(server, login):
    return {site for site, in server.sql(
            'SELECT s.site FROM "network_site-res_user" s '
            'JOIN res_user u ON u.id = s."user" WHERE u.login = %s',
            (login,))}


def out_of_order(server, sites):
    "The ids of the equipment out of order at sites, as stored"
    marks = ', '.join(['%s'] * len(sites))
    return {id_ for id_, in server.sql(
            'SELECT id FROM equipment_equipment '
            "WHERE state IN ('damaged', 'under_repair') "
            f'AND site IN ({marks})', tuple(sites))}


def panel_rows(client):
    "The rows of the panel, listed as the board lists them"
    action = client.model('ir.action.act_window', 'get', PANEL)
    assert action['res_model'] == 'equipment.equipment'
    decoder = PYSONDecoder({'context': client.context})
    return client.model(
        'equipment.equipment', 'search_read',
        decoder.decode(action['pyson_domain']), 0, action['limit'],
        decoder.decode(action['pyson_order']),
        ['rec_name', 'state', 'site', 'counter'])


def board_arch(client):
    "The manager's board with the panels the addons add, as served"
    board = client.model('ir.action.act_window', 'get', BOARD)
    (view, _), = board['views']
    return client.model('ir.ui.view', 'view_get', view)['arch']


def test_board_shows_equipment_and_late_cases(clients):
    "The manager's board holds the panel and the late or at-risk cases"
    arch = board_arch(clients['chef.zig'])
    assert f'name="{PANEL}"' in arch
    assert 'name="service_case.act_home_case_late"' in arch


def test_panel_lists_out_of_order_of_own_sites(server, clients):
    """The damaged equipment and the equipment under repair of Ziguinchor,
    none of Thiès (its damaged printer) nor in service"""
    chef = clients['chef.zig']
    sites = manager_sites(server, 'chef.zig')
    assert sites
    rows = panel_rows(chef)
    assert {r['id'] for r in rows} == out_of_order(server, sites)
    assert any('ZIG-BIO-01' in r['rec_name'] for r in rows), rows
    assert all(r['state'] in OUT_OF_ORDER for r in rows), rows
    assert all(r['site'] in sites for r in rows), rows
    # the demo has damaged equipment at another site: never listed
    others = server.sql(
        'SELECT id FROM equipment_equipment '
        "WHERE state = 'damaged' AND site NOT IN "
        '(SELECT site FROM "network_site-res_user" s '
        'JOIN res_user u ON u.id = s."user" WHERE u.login = %s)',
        ('chef.zig',))
    assert others
    assert not {i for i, in others} & {r['id'] for r in rows}


def test_repair_started_and_done(server, clients):
    """Equipment of the site under repair shows in the panel; put back in
    service by the manager, it leaves it"""
    chef = clients['chef.zig']
    sites = manager_sites(server, 'chef.zig')
    marks = ', '.join(['%s'] * len(sites))
    (scanner, name), = server.sql(
        'SELECT id, asset_tag FROM equipment_equipment '
        f"WHERE state = 'in_service' AND site IN ({marks}) "
        'ORDER BY id LIMIT 1', tuple(sites))
    assert scanner not in {r['id'] for r in panel_rows(chef)}
    # a maintenance started puts it under repair (as its workflow does)
    server.sql(
        "UPDATE equipment_equipment SET state = 'under_repair' "
        'WHERE id = %s', (scanner,))
    rows = {r['id']: r for r in panel_rows(chef)}
    assert rows[scanner]['state'] == 'under_repair'
    assert name in rows[scanner]['rec_name']
    chef.model('equipment.equipment', 'reinstate', [scanner])
    assert scanner not in {r['id'] for r in panel_rows(chef)}
    (state,), = server.sql(
        'SELECT state FROM equipment_equipment WHERE id = %s', (scanner,))
    assert state == 'in_service'


@pytest.mark.parametrize('role', ['agent.zig', 'finance'])
def test_panel_refused(server, clients, role):
    "Neither the counter agents nor finance open the manager's panel"
    client = clients[role]
    for xml_id in [PANEL, BOARD]:
        with pytest.raises(RPCError) as error:
            client.model('ir.action.act_window', 'get', xml_id)
        assert error.value.kind == 'trytond.exceptions.UserError' or (
            "not allowed" in error.value.message), error.value
