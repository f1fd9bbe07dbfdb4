"""The counter workspace through HTTP, as sao calls it: agent.zig opens
« Mon guichet », sits at a counter, calls, calls again, opens a case from
the ticket, finishes, transfers, marks absent and finds the queue empty;
each button says what it did. Another site's agent cannot use that desk,
and every refusal leaves nothing saved. The site manager sees the queue and
the agents at their counters."""
import pytest

from security_tools import RPCError, SecurityServer

TABLES = ('case_ticket', 'case_desk', 'case_case')


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_desk').start()
    yield server
    server.stop()


def open_desk(client):
    "Run « Mon guichet » as sao does; return the desk id it opens"
    session, _, _ = client('wizard.case.desk.open.create')
    result = client(
        'wizard.case.desk.open.execute', session, {}, 'start')
    client('wizard.case.desk.open.delete', session)
    (action, data), = result['actions']
    assert action['res_model'] == 'case.desk'
    desk_id, = data['res_id']
    return desk_id


def read_desk(client, desk_id, *names):
    desk, = client.model('case.desk', 'read', [desk_id], list(names))
    return desk


def test_a_day_at_the_counter(server):
    agent = server.rpc().login('agent.zig')
    desk_id = open_desk(agent)
    # opening it again opens the same desk
    assert open_desk(agent) == desk_id

    sectors = {s['code']: s['id'] for s in agent.model(
            'network.sector', 'search_read', [], 0, None, None,
            ['code'])}
    counter, = agent.model(
        'network.counter', 'search_read',
        [('site.code', '=', 'ZIG'), ('name', '=', 'Guichet 2')],
        0, None, None, ['sector'])
    agent.model('case.desk', 'write', [desk_id], {'counter': counter['id']})

    tickets = agent.model('case.ticket', 'create', [
            {'sector': sectors['J']}, {'sector': sectors['J']},
            {'sector': sectors['J']}])
    numbers = [t['number'] for t in agent.model(
            'case.ticket', 'read', tickets, ['number'])]
    # the oldest waiting Justice ticket of the day comes first: earlier
    # tests and the demo may have left some
    waiting = agent.model(
        'case.ticket', 'search',
        [('site.code', '=', 'ZIG'), ('sector', '=', sectors['J']),
            ('state', '=', 'waiting')], 0, None,
        [('arrived_at', 'ASC'), ('id', 'ASC')])
    ahead = waiting[:waiting.index(tickets[0])]

    def call():
        agent.model('case.desk', 'call_next', [desk_id])
        return read_desk(agent, desk_id, 'ticket', 'message', 'procedure')

    for _ in ahead:
        desk = call()
        agent.model('case.desk', 'finish', [desk_id])

    desk = call()
    assert desk['ticket'] == tickets[0]
    assert desk['message'].startswith(f"Ticket {numbers[0]} appelé"), desk
    # the sector's procedure is proposed
    assert desk['procedure']

    # calling again before finishing is refused (the button is hidden),
    # nothing changes
    before = server.snapshot(*TABLES)
    with pytest.raises(RPCError):
        agent.model('case.desk', 'call_next', [desk_id])
    assert server.snapshot(*TABLES) == before

    agent.model('case.desk', 'recall', [desk_id])
    ticket, = agent.model('case.ticket', 'read', [tickets[0]], ['recalls'])
    assert ticket['recalls'] == 1
    assert 'rappelé' in read_desk(agent, desk_id, 'message')['message']

    # a case for the citizen in front of the agent, in one click
    citizen, = agent.model(
        'party.party', 'search', [('cases.site.code', '=', 'ZIG')], 0, 1)
    agent.model('case.desk', 'write', [desk_id], {'citizen': citizen})
    action = agent.model('case.desk', 'open_case', [desk_id])
    assert action['res_model'] == 'case.case'
    case_id, = action['res_id']
    case, = agent.model('case.case', 'read', [case_id], [
            'citizen', 'procedure', 'site', 'state', 'number'])
    assert case['citizen'] == citizen
    assert case['procedure'] == desk['procedure']
    assert case['state'] == 'draft'
    desk = read_desk(agent, desk_id, 'case', 'outcome', 'message')
    assert desk['case'] == case_id and desk['outcome'] == 'case'
    assert case['number'] in desk['message']

    agent.model('case.desk', 'finish', [desk_id])
    ticket, = agent.model('case.ticket', 'read', [tickets[0]], [
            'state', 'outcome', 'case', 'party'])
    assert ticket == {
        'id': tickets[0], 'state': 'done', 'outcome': 'case',
        'case': case_id, 'party': citizen}
    desk = read_desk(agent, desk_id, 'ticket', 'case', 'message')
    assert desk['ticket'] is None and desk['case'] is None
    assert 'terminé' in desk['message'], desk

    # the second goes to civil status, first in line there
    desk = call()
    assert desk['ticket'] == tickets[1]
    with pytest.raises(RPCError):
        agent.model('case.desk', 'transfer', [desk_id])
    agent.model('case.desk', 'write', [desk_id],
        {'transfer_sector': sectors['C']})
    agent.model('case.desk', 'transfer', [desk_id])
    ticket, = agent.model('case.ticket', 'read', [tickets[1]], [
            'state', 'sector', 'counter', 'number'])
    assert ticket['state'] == 'waiting'
    assert ticket['sector'] == sectors['C']
    assert ticket['number'] == numbers[1]
    assert ticket['counter'] is None

    # the third does not come
    desk = call()
    assert desk['ticket'] == tickets[2]
    agent.model('case.desk', 'absent', [desk_id])
    ticket, = agent.model('case.ticket', 'read', [tickets[2]], ['state'])
    assert ticket['state'] == 'absent'

    # nobody left: the desk says so and nothing is called
    before = server.snapshot('case_ticket')
    desk = call()
    assert desk['ticket'] is None
    assert desk['message'].startswith("Personne n'attend"), desk
    assert server.snapshot('case_ticket') == before

    # the queue of the site beside the desk
    queue = agent.model('case.ticket.queue', 'search_read',
        [('sector', '=', sectors['C'])], 0, None, None, ['waiting', 'site'])
    assert queue and all(q['waiting'] >= 1 for q in queue)

    # another site's agent can neither read nor use this desk
    other = server.rpc().login('agent.ths')
    assert other.model('case.desk', 'search',
        [('id', '=', desk_id)], 0, None, None) == []
    agent.model('case.desk', 'write', [desk_id], {'transfer_sector': None})
    before = server.snapshot(*TABLES)
    for method in ['call_next', 'recall', 'finish']:
        with pytest.raises(RPCError):
            other.model('case.desk', method, [desk_id])
    with pytest.raises(RPCError):
        other.model('case.desk', 'write', [desk_id], {'counter': None})
    # nor sit at a counter of Ziguinchor
    other_desk = open_desk(other)
    with pytest.raises(RPCError):
        other.model('case.desk', 'write', [other_desk],
            {'counter': counter['id']})
    assert server.snapshot(*TABLES)['case_ticket'] == before['case_ticket']
    assert server.snapshot(*TABLES)['case_case'] == before['case_case']

    # the site manager sees the queue and who sits where, read-only
    manager = server.rpc().login('chef.zig')
    desks = manager.model('case.desk', 'search_read',
        [('counter', '!=', None)], 0, None, None, ['user', 'counter'])
    assert desk_id in [d['id'] for d in desks]
    assert manager.model('case.ticket.queue', 'search',
        [], 0, None, None)
    before = server.snapshot(*TABLES)
    with pytest.raises(RPCError):
        manager.model('case.desk', 'call_next', [desk_id])
    with pytest.raises(RPCError):
        manager.model('case.desk', 'write', [desk_id], {'counter': None})
    assert server.snapshot(*TABLES) == before


def test_wrong_cases_refused_in_french_nothing_saved(server):
    """Cases opened in a batch are checked at once: one wrong case refuses
    the batch with Tryton's French message naming the field, and no case
    or checklist line is left (on PostgreSQL the numbers it reserved stay
    used: numbers are never reused)"""
    agent = server.rpc().login('agent.zig')
    site, = agent.model('network.site', 'search',
        [('code', '=', 'ZIG')], 0, None, None)
    procedure, = agent.model('network.procedure', 'search',
        [('code', '=', 'CJ-B3')], 0, None, None)
    citizen, = agent.model('party.party', 'create', [{'name': "Aïda Sagna"}])
    partner = agent.model('party.party', 'search',
        [('partner_kind', '!=', None)], 0, 1, None)[0]
    good = {'site': site, 'citizen': citizen, 'procedure': procedure,
        'channel': 'counter'}
    tables = ('case_case', 'case_document')
    before = server.snapshot(*tables)
    with pytest.raises(RPCError) as refusal:
        agent.model('case.case', 'create',
            [good, {**good, 'citizen': partner}, good])
    message = refusal.value.message.replace('\xa0', ' ')
    assert '« Usager »' in message, message
    assert "de « Dossier » n'est pas valide selon son domaine" in message
    with pytest.raises(RPCError) as refusal:
        agent.model('case.case', 'create', [good, {**good, 'channel': 'fax'}])
    message = refusal.value.message.replace('\xa0', ' ')
    assert '« fax »' in message and '« Canal »' in message, message
    assert "n'est pas une des options permises" in message
    assert server.snapshot(*tables) == before

    # the same batch, right, is opened with its checklists
    cases = agent.model('case.case', 'create', [good, good, good])
    documents = agent.model('case.case', 'read', cases, ['documents'])
    assert all(d['documents'] for d in documents)


def test_a_citizen_served_without_leaving_the_desk(server):
    """agent.zig serves a citizen from the desk alone: the checklist of the
    proposed procedure is on the desk, the identity card ticked and mobile
    money picked (refused without its reference, nothing saved), Open Case
    opens, submits and collects the case, and Finish and Call Next
    takes the next ticket. The desk's read-only fields cannot be forged,
    and its checklist is its user's alone (the site's manager and another
    site's agent neither read, tick nor add to it)."""
    agent = server.rpc().login('agent.zig')
    desk_id = open_desk(agent)
    counter, = agent.model(
        'network.counter', 'search_read',
        [('site.code', '=', 'ZIG'), ('name', '=', 'Guichet 2')],
        0, None, None, ['sector'])
    desk = read_desk(agent, desk_id, 'ticket', 'outcome')
    if desk['ticket']:
        if not desk['outcome']:
            agent.model('case.desk', 'write', [desk_id],
                {'outcome': 'information'})
        agent.model('case.desk', 'finish', [desk_id])
    agent.model('case.desk', 'write', [desk_id], {'counter': counter['id']})
    tickets = agent.model('case.ticket', 'create', [
            {'sector': counter['sector']}, {'sector': counter['sector']}])
    while True:
        agent.model('case.desk', 'call_next', [desk_id])
        desk = read_desk(agent, desk_id, 'ticket')
        if desk['ticket'] == tickets[0]:
            break
        agent.model('case.desk', 'finish', [desk_id])
    procedure, = agent.model('network.procedure', 'search',
        [('code', '=', 'CJ-B3')], 0, None, None)
    desk = read_desk(agent, desk_id, 'procedure', 'documents', 'fee')
    if desk['procedure'] != procedure:
        # the lines sao writes when the agent picks another procedure
        required = agent.model('network.procedure.document', 'search',
            [('procedure', '=', procedure)], 0, None, None)
        agent.model('case.desk', 'write', [desk_id], {
                'procedure': procedure,
                'documents': [['delete', desk['documents']],
                    ['create', [{'requirement': r} for r in required]]]})
        desk = read_desk(agent, desk_id, 'procedure', 'documents', 'fee')
    assert desk['fee'] == {'__class__': 'Decimal', 'decimal': '400'}
    lines = agent.model('case.desk.document', 'read', desk['documents'],
        ['name', 'mandatory', 'provided'])
    assert [(line['mandatory'], line['provided']) for line in lines] == [
        (True, False), (False, False)], lines
    assert lines[0]['name'].startswith("Pièce d'identité")

    # the checklist is its user's alone: neither the site's manager nor
    # another site's agent reads, ticks or adds to it
    before = server.snapshot('case_desk_document')
    requirement = agent.model('case.desk.document', 'read',
        [lines[0]['id']], ['requirement'])[0]['requirement']
    for login in ['chef.zig', 'agent.ths']:
        other = server.rpc().login(login)
        assert other.model('case.desk.document', 'search',
            [('desk', '=', desk_id)], 0, None, None) == [], login
        with pytest.raises(RPCError):
            other.model('case.desk.document', 'write', [lines[1]['id']],
                {'provided': True})
        with pytest.raises(RPCError):
            other.model('case.desk.document', 'create', [
                    {'desk': desk_id, 'requirement': requirement}])
    assert server.snapshot('case_desk_document') == before

    citizen, = agent.model('party.party', 'create', [{'name': "Ndeye Coly"}])
    ticks = {'citizen': citizen,
        'documents': [['write', [lines[0]['id']], {'provided': True}]],
        'payment_method': 'mobile_money'}
    # mobile money needs its reference: refused, nothing saved
    tables = ('case_desk', 'case_desk_document', 'case_case')
    before = server.snapshot(*tables)
    with pytest.raises(RPCError) as refusal:
        agent.model('case.desk', 'write', [desk_id], ticks)
    message = refusal.value.message.replace('\xa0', ' ')
    assert '« Référence du paiement »' in message, message
    assert server.snapshot(*tables) == before
    agent.model('case.desk', 'write', [desk_id],
        {**ticks, 'payment_reference': 'WAVE-0042'})
    assert agent.model('case.desk', 'open_case', [desk_id]) is None
    desk = read_desk(agent, desk_id, 'case', 'outcome', 'message')
    case, = agent.model('case.case', 'read', [desk['case']], [
            'state', 'citizen', 'procedure', 'paid_at', 'payment_method',
            'payment_reference', 'documents', 'number'])
    assert (case['state'], case['citizen'], case['procedure']) == (
        'submitted', citizen, procedure)
    assert case['paid_at'] and case['payment_method'] == 'mobile_money'
    assert case['payment_reference'] == 'WAVE-0042'
    documents = agent.model('case.document', 'read', case['documents'],
        ['provided'])
    assert [d['provided'] for d in documents] == [True, False]
    message = desk['message'].replace('\xa0', ' ')
    assert message == (f"Dossier {case['number']} ouvert et déposé pour le "
        f"ticket {read_ticket(agent, tickets[0])['number']} : 400 F CFA "
        "encaissés (Mobile money)."), message

    # read-only on the server too: the ticket, the case, the message
    other_case = agent.model('case.case', 'search',
        [('site.code', '=', 'ZIG'), ('id', '!=', case['id'])], 0, 1, None)
    before = server.snapshot('case_desk')
    for values in [{'ticket': tickets[1]}, {'case': other_case[0]},
            {'message': "Dossier remis"}, {'ticket': None}]:
        with pytest.raises(RPCError) as refusal:
            agent.model('case.desk', 'write', [desk_id], values)
        assert 'Vous ne pouvez pas modifier le champ' in (
            refusal.value.message), refusal.value.message
    assert server.snapshot('case_desk') == before

    agent.model('case.desk', 'finish_call_next', [desk_id])
    first = read_ticket(agent, tickets[0])
    assert (first['state'], first['outcome'], first['case']) == (
        'done', 'case', case['id'])
    desk = read_desk(agent, desk_id, 'ticket', 'case', 'message',
        'documents', 'payment_method')
    assert desk['ticket'] == tickets[1] and desk['case'] is None
    assert desk['payment_method'] is None
    assert f"Ticket {first['number']} terminé" in desk['message']
    second = read_ticket(agent, tickets[1])
    assert f"Ticket {second['number']} appelé" in desk['message']
    assert not set(desk['documents']) & {line['id'] for line in lines}


def read_ticket(client, ticket_id):
    ticket, = client.model('case.ticket', 'read', [ticket_id],
        ['number', 'state', 'outcome', 'case'])
    return ticket
