"""Each role's home page through HTTP, as sao asks for it at login: the
preferences carry the role's own home board and no other role's, every
panel of that board opens for the role, and another role's board and
panels open nothing the role may not read."""
import re

import pytest

from access_policy import read_policy
from security_tools import RPCError, SecurityServer

# the home board of each demo role (admin is in network administration
# and HR: both its boards)
HOMES = {
    'reseau': ['service_network.act_home_network_admin'],
    'chef.zig': ['service_network.act_home_site_manager'],
    'agent.zig': ['service_network.act_home_site_agent'],
    'finance': ['partner_billing.act_home_finance'],
    'rh': ['agent_hr.act_home_hr'],
    'admin': [
        'service_network.act_home_network_admin', 'agent_hr.act_home_hr'],
    }
BOARDS = sorted({b for boards in HOMES.values() for b in boards})


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_home').start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def clients(server):
    clients = {}
    for role in HOMES:
        client = server.rpc().login(role)
        # English messages, to tell an access error from the others
        client.context['language'] = 'en'
        clients[role] = client
    return clients


def act_window(server, xml_id):
    "The id, ir.action id and model of the window action xml_id, as stored"
    module, fs_id = xml_id.split('.')
    (window, action, model), = server.sql(
        'SELECT w.id, w.action, w.res_model FROM ir_model_data d '
        'JOIN ir_action_act_window w ON w.id = d.db_id '
        "WHERE d.model = 'ir.action.act_window' AND d.module = %s "
        'AND d.fs_id = %s', (module, fs_id))
    return window, action, model


@pytest.fixture(scope='module')
def boards(server, clients):
    """{board xml id: (ir.action id, [panel xml ids])} as stored and served
    (the administrator is not in every role: it could not read them all)"""
    result = {}
    for board in BOARDS:
        window, action, _ = act_window(server, board)
        (view,), = server.sql(
            'SELECT view FROM ir_action_act_window_view '
            'WHERE act_window = %s', (window,))
        arch = clients['admin'].model('ir.ui.view', 'view_get', view)['arch']
        result[board] = (
            action, re.findall(r'<action name="([\w.]+)"', arch))
    return result


@pytest.mark.parametrize('role', sorted(HOMES))
def test_preferences_open_own_home(clients, boards, role):
    "The home board of the role opens at login, no other role's"
    actions = clients[role]('model.res.user.get_preferences', False)[
        'actions']
    own = [boards[b][0] for b in HOMES[role]]
    others = {boards[b][0] for b in BOARDS if b not in HOMES[role]}
    assert [a for a in actions if a in own] == own, actions
    assert not others & set(actions), actions
    for board in HOMES[role]:
        assert boards[board][1], f"{board} has no panel"


@pytest.mark.parametrize('role', sorted(HOMES))
def test_own_panels_open(clients, boards, role):
    "Every panel of the role's home lists its records for the role"
    client = clients[role]
    for board in HOMES[role]:
        client.model('ir.action.act_window', 'get', board)
        for panel in boards[board][1]:
            model = client.model(
                'ir.action.act_window', 'get', panel)['res_model']
            client.model(model, 'search_read', [], 0, 5, None, ['rec_name'])


@pytest.mark.parametrize('role', sorted(set(HOMES) - {'admin'}))
def test_other_homes_refused(server, clients, boards, role):
    """Another role's board and panels are refused; what the role may not
    read stays refused whatever action the client names"""
    client = clients[role]
    policy = read_policy()
    for board in BOARDS:
        if board in HOMES[role]:
            continue
        with pytest.raises(RPCError) as error:
            client.model('ir.action.act_window', 'get', board)
        assert error.value.kind == 'trytond.exceptions.UserError' or (
            "not allowed" in error.value.message), error.value
        for panel in boards[board][1]:
            if panel in {p for b in HOMES[role] for p in boards[b][1]}:
                continue
            with pytest.raises(RPCError):
                client.model('ir.action.act_window', 'get', panel)
            _, _, model = act_window(server, panel)
            if policy.get(model, {}).get(role, 'R')[0] == '-':
                with pytest.raises(RPCError) as error:
                    client.model(model, 'search_read', [], 0, 5, None,
                        ['rec_name'])
                assert "not allowed" in error.value.message, error.value


def test_preferences_saved_keep_group_homes(clients, boards):
    """Saving the preferences form, which shows the home boards among the
    login actions, leaves them the group's: the user's own stay empty"""
    finance = clients['finance']
    shown = finance('model.res.user.get_preferences', False)['actions']
    finance('model.res.user.set_preferences', {'actions': [['add', shown]]})
    user, = finance.model('res.user', 'read', [finance.user_id], ['actions'])
    assert user['actions'] == []
    assert finance('model.res.user.get_preferences', False)[
        'actions'] == shown == [boards['partner_billing.act_home_finance'][0]]
