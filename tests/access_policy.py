"""The access policy of docs/ACCESS_POLICY.md: who may read (R), write (W),
create (C) and delete (D) the records of each model, per demo role.

    .venv/bin/python tests/access_policy.py   # print the table as served

prints the table of what the demo server grants today, to write the policy
or review a change; tests/test_access_matrix.py checks the server against
the document.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
POLICY = ROOT / 'docs' / 'ACCESS_POLICY.md'
ROLES = ['admin', 'reseau', 'chef.zig', 'agent.zig', 'finance', 'rh']
OPERATIONS = [('read', 'R'), ('write', 'W'), ('create', 'C'),
    ('delete', 'D')]
ADDONS = [
    'service_network', 'service_case', 'partner_billing',
    'partner_reconciliation', 'partner_dunning', 'agent_hr',
    'site_equipment', 'connector', 'connector_laposte', 'connector_xroad']
# Tryton's models that hold personal data or money, checked as ours
TRYTON_MODELS = [
    'party.party', 'party.contact_mechanism', 'party.address',
    'party.identifier', 'ir.attachment', 'ir.note', 'res.user',
    'res.user-res.group', 'res.group', 'ir.model.access', 'ir.rule',
    'ir.session', 'company.employee', 'account.invoice',
    'account.invoice.line', 'account.move', 'account.fiscalyear',
    'account.dunning', 'account.dunning.procedure', 'account.dunning.level']
TABLE_HEADING = '## Model access per role'
ROW = re.compile(r'^\|\s*`([\w.\-]+)`\s*\|(.*)\|\s*$')


def read_policy(path=POLICY):
    "{model: {role: 'RWCD'}} from the policy document's table"
    policy = {}
    text = path.read_text(encoding='utf-8')
    # the table follows its heading
    text = text[text.index(TABLE_HEADING):]
    for line in text.splitlines():
        match = ROW.match(line)
        if not match:
            continue
        cells = [c.strip() for c in match.group(2).split('|')]
        if len(cells) != len(ROLES):
            raise ValueError(f"{path}: {line!r} has not one cell per role")
        policy[match.group(1)] = dict(zip(ROLES, cells, strict=True))
    return policy


def cell(access):
    return ''.join(
        letter if access[operation] else '-'
        for operation, letter in OPERATIONS)


def storage_models(admin):
    "The models of our addons that store records, and Tryton's listed"
    models = admin.model('ir.model', 'search_read',
        [('module', 'in', ADDONS)], 0, None, [('name', 'ASC')], ['name'])
    names = []
    for model in [m['name'] for m in models] + TRYTON_MODELS:
        try:
            admin.model(model, 'search_count', [])
        except Exception:
            continue  # a wizard's form or a report: nothing stored
        if model not in names:
            names.append(model)
    return names


def served_table(server):
    clients = {role: server.rpc().login(role) for role in ROLES}
    models = storage_models(clients['admin'])
    accesses = {role: client.model('ir.model.access', 'get_access', models)
        for role, client in clients.items()}
    lines = [
        '| Model | ' + ' | '.join(ROLES) + ' |',
        '|---|' + '---|' * len(ROLES)]
    for model in models:
        lines.append(f'| `{model}` | ' + ' | '.join(
                cell(accesses[role][model]) for role in ROLES) + ' |')
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.path.insert(0, str(ROOT / 'tests'))
    from security_tools import SecurityServer
    server = SecurityServer('ess_policy').start()
    try:
        print(served_table(server))
    finally:
        server.stop()
