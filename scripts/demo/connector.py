"""Demo data of the connectors: La Poste's SOAP endpoint and Justice's
X-Road endpoint at the partners' local simulators (scripts/partner_stubs.py,
started by scripts/demo.sh), the two partners reached through them and a
few cases of each in the outbox.

The simulators do not run while the demo is made: the first attempt of
these messages fails (connection refused) and the next one, planned a
minute later, reaches the simulator once the demo runs (or at once with
"Relancer"). One of them has used up its attempts: a dead letter waiting
for the network administrators (their home page lists it).
"""
from decimal import Decimal

from partner_stubs import url
from proteus import Model
from proteus import config as pconfig

ORDER = 400
MONEY_ORDERS = [
    ("Khady Mendy", "77 641 22 18", 25000, "Ousmane Mendy", "Kolda"),
    ("Lamine Coly", "76 310 45 92", 60000, "Astou Coly", "Sédhiou"),
    ]
CRIMINAL_RECORDS = [
    ("Seynabou Badji", "77 208 91 37"),
    ("Modou Thiam", "78 455 16 03"),
    ]


def ref(xml_id):
    ModelData = Model.get('ir.model.data')
    return ModelData.get_id(xml_id, pconfig.get_config().context)


def load(company):
    Module = Model.get('ir.module')
    activated = {m.name for m in Module.find([
                ('name', 'in', ['connector_laposte', 'connector_xroad']),
                ('state', '=', 'activated')])}
    if 'connector_laposte' in activated:
        load_laposte()
    if 'connector_xroad' in activated:
        load_xroad()
    send_due()
    give_up_one()


def load_laposte():
    from connector_laposte.tests.servers import PASSWORD, USERNAME
    endpoint(
        'service_network.party_laposte', 'laposte',
        name="La Poste (simulateur local)", kind='soap',
        url=url('laposte'), username=USERNAME, secret=PASSWORD)
    transmit('service_network.procedure_money_order', [{
                'citizen': citizen, 'phone': phone,
                'money_order_amount': Decimal(amount),
                'beneficiary_name': beneficiary, 'beneficiary_city': city,
                } for citizen, phone, amount, beneficiary, city
            in MONEY_ORDERS])


def load_xroad():
    from connector_xroad.tests.servers import CLIENT, SERVICE, TOKEN
    endpoint(
        'service_network.party_justice', 'xroad',
        name="Casier judiciaire (simulateur X-Road local)", kind='rest',
        url=url('xroad'), xroad_client=CLIENT, xroad_service=SERVICE,
        secret=TOKEN)
    transmit('service_network.procedure_criminal_record', [
            {'citizen': citizen, 'phone': phone}
            for citizen, phone in CRIMINAL_RECORDS])


def endpoint(partner_id, protocol, **values):
    "The partner's endpoint; its cases now go through the connector"
    Party = Model.get('party.party')
    Endpoint = Model.get('connector.endpoint')
    partner = Party(ref(partner_id))
    partner.transmission = protocol
    partner.save()
    endpoint = Endpoint(
        partner=partner, protocol=protocol, environment='test', timeout=5,
        **values)
    endpoint.save()
    print(f"  {endpoint.name}: {endpoint.url}")


def transmit(procedure_id, values):
    "New cases at Ziguinchor, paid in cash and transmitted to the partner"
    Party = Model.get('party.party')
    Case = Model.get('case.case')
    Site = Model.get('network.site')
    Procedure = Model.get('network.procedure')
    site, = Site.find([('code', '=', 'ZIG')])
    procedure = Procedure(ref(procedure_id))
    cases = []
    for value in values:
        citizen = Party(name=value.pop('citizen'))
        citizen.save()
        cases.append(Case(
                site=site, procedure=procedure, citizen=citizen, **value))
    # the checklist of documents is the server's, made on save
    Case.save(cases)
    for case in cases:
        for document in case.documents:
            document.provided = True
    Case.save(cases)
    Case.click(cases, 'submit')
    for case in cases:
        case.payment_method = 'cash'
    Case.save(cases)
    Case.click(cases, 'collect')
    Case.click(cases, 'transmit')


def send_due():
    "One run of the outbox's scheduled task"
    Cron = Model.get('ir.cron')
    cron, = Cron.find([('method', '=', 'connector.message|send_due')])
    cron.click('run_once')


def give_up_one():
    """The outbox gives up the first message: its last attempt failed like
    the others (the partner's service unreachable)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from connector.transport import TransportError

    database = pconfig.get_config().database_name
    with Transaction().start(database, 0) as transaction:
        Message = Pool().get('connector.message')
        messages = Message.search(
            [('state', '=', 'failed')], order=[('id', 'ASC')], limit=1)
        for message in messages:
            message.attempts = message.endpoint.max_attempts
            message.fail(TransportError(
                    'connection', True, "Connection refused"))
        Message.save(messages)
        transaction.commit()
