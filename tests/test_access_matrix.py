"""The access policy (docs/ACCESS_POLICY.md) holds on the served demo.

For every demo role and every model of the policy, through HTTP: the
access the server announces is the policy's, a read, write or delete the
policy allows goes through and one it denies is refused as an access
error, and so is a create it denies. Then the paths to personal data:
records of other sites, exports, reports and attachments."""
import pytest

from access_policy import OPERATIONS, ROLES, read_policy, storage_models
from security_tools import RPCError, SecurityServer

ACCESS_ERROR = "You are not allowed"
# Records of a site: site staff see only theirs. (model, path to the site)
SITE_RECORDS = [
    ('case.case', 'site'), ('case.ticket', 'site'),
    ('case.appointment', 'site'),
    ('case.document', 'case.site'), ('case.fee', 'case.site'),
    ('case.history', 'case.site'), ('case.notification', 'case.site'),
    ('case.complaint', 'site'), ('equipment.equipment', 'site'),
    ('equipment.incident', 'site'), ('equipment.maintenance', 'site'),
    ]


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_matrix').start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def clients(server):
    clients = {}
    for role in ROLES + ['agent.ths']:
        client = server.rpc().login(role)
        # English messages, to tell an access error from the others
        client.context['language'] = 'en'
        clients[role] = client
    return clients


@pytest.fixture(scope='module')
def policy():
    return read_policy()


def test_policy_covers_every_model(clients, policy):
    missing = set(storage_models(clients['admin'])) - set(policy)
    assert not missing, (
        f"models without a policy in docs/ACCESS_POLICY.md: {missing}")


def outcome(call, *args):
    "'allowed', 'denied' for an access error, or the other error"
    try:
        call(*args)
    except RPCError as error:
        if ACCESS_ERROR in error.message:
            return 'denied'
        return f'error: {error.message[:120]}'
    return 'allowed'


def attempt(client, model, operation, allowed, records):
    """The outcome of operation on model by client (None: an allowed
    create, not tried)"""
    if operation == 'read':
        return outcome(client.model, model, 'search_read',
            [], 0, 1, None, ['id'])
    if operation == 'write':
        return outcome(client.model, model, 'write', records, {})
    if operation == 'delete':
        return outcome(client.model, model, 'delete', records)
    if not allowed:
        return outcome(client.model, model, 'create', [{}])
    return None


@pytest.mark.parametrize('role', ROLES)
def test_role_matrix(server, clients, policy, role):
    client, admin = clients[role], clients['admin']

    def stored(model, records):
        return records and server.count(
            model.replace('.', '_'), f'id = {int(records[0])}')

    def admin_records(model):
        try:
            return admin.model(model, 'search', [], 0, 1)
        except RPCError:
            return []

    models = sorted(policy)
    announced = client.model('ir.model.access', 'get_access', models)
    failures, checked = [], 0
    for model in models:
        expected = policy[model][role]
        for operation, letter in OPERATIONS:
            allowed = letter in expected
            checked += 1
            if announced[model][operation] != allowed:
                failures.append(
                    f"{model} {operation}: announced "
                    f"{announced[model][operation]}, policy {allowed}")
            # a denied change is tried on a real record
            records = [] if allowed else admin_records(model)
            result = attempt(client, model, operation, allowed, records)
            if result is None:
                continue
            # denied: refused (an access error, or a view computed by SQL
            # that stores nothing); allowed: no access error (Tryton may
            # still refuse for its own reasons: users are never deleted)
            if (result == 'allowed' and not allowed
                    and operation in {'write', 'delete'}
                    and not stored(model, records)):
                # a singleton not stored yet: nothing to change
                result = 'no-op'

            if (allowed and result == 'denied') or (
                    not allowed and result == 'allowed'):
                failures.append(f"{model} {operation}: {result}, "
                    f"policy {'allows' if allowed else 'denies'}")
    assert not failures, f"{role}: " + '\n'.join(failures)
    print(f"{role}: {checked} cells checked")


@pytest.mark.parametrize('login,own,other', [
        ('agent.zig', 'ZIG', 'THS'),
        ('agent.ths', 'THS', 'ZIG'),
        ('chef.zig', 'ZIG', 'THS'),
        ])
def test_site_staff_see_only_their_sites(clients, login, own, other):
    admin, client = clients['admin'], clients[login]
    for model, site in SITE_RECORDS:
        theirs = admin.model(model, 'search',
            [(f'{site}.code', '=', other)], 0, 3)
        if not theirs:
            continue
        assert client.model(model, 'search_count',
            [(f'{site}.code', '=', other)]) == 0, model
        assert client.model(model, 'search_count', [
                ('id', 'in', theirs)]) == 0, model
        for call, args in [
                ('read', [theirs, ['id']]),
                ('write', [theirs, {}]),
                ('export_data', [theirs, ['id']]),
                ]:
            with pytest.raises(RPCError, match=ACCESS_ERROR):
                client.model(model, call, *args)
                pytest.fail(f"{login} {call} {model} of {other}")


def test_other_site_case_paths_refused(clients):
    "Reports and attachments of another site's case are refused"
    admin, agent = clients['admin'], clients['agent.zig']
    ths_cases = admin.model('case.case', 'search',
        [('site.code', '=', 'THS'), ('state', '!=', 'draft')], 0, 2)
    assert ths_cases
    with pytest.raises(RPCError):
        agent('report.case.receipt.execute', ths_cases, {})
    resources = [f'case.case,{i}' for i in ths_cases]
    attachments = admin.model('ir.attachment', 'search',
        [('resource', 'in', resources)])
    assert agent.model('ir.attachment', 'search_count',
        [('resource', 'in', resources)]) == 0
    if attachments:
        with pytest.raises(RPCError):
            agent.model('ir.attachment', 'read', attachments, ['data'])
