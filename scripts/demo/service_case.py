"""Demo data of service_case: two months of activity at Ziguinchor, Dakar
and Thiès — citizens with their identity (birth, NIN, phone, language),
queue tickets, about 200 cases in every state, ratings and a few
complaints; at Ziguinchor, two citizens named Aminata Sagna whom only
their birth, NIN and phone tell apart.

The records go through the real workflow with proteus (batched clicks);
a last step spreads their dates over the past 60 days in SQL, since
opening and delivery dates are set by the server to today.
"""
import datetime as dt
import random
from collections import defaultdict

from proteus import Model
from proteus import config as pconfig

ORDER = 110
SITES = ['ZIG', 'DKR', 'THS']
CASES_PER_SITE = 70
TICKETS_PER_SITE = 120
DAYS = 60
# women's names at even places, men's at odd ones (the NIN's first digit)
FIRST_NAMES = [
    'Awa', 'Moussa', 'Fatou', 'Ibrahima', 'Aminata', 'Cheikh', 'Mariama',
    'Ousmane', 'Khady', 'Abdoulaye', 'Ndeye', 'Mamadou', 'Astou', 'Lamine',
    'Coumba', 'Babacar', 'Seynabou', 'Modou', 'Aïssatou', 'Pape']
LAST_NAMES = [
    'Diatta', 'Ndiaye', 'Sané', 'Fall', 'Diop', 'Sarr', 'Ba', 'Badji',
    'Mendy', 'Sow', 'Gueye', 'Faye', 'Cissé', 'Diallo', 'Thiam', 'Coly',
    'Manga', 'Seck', 'Kane', 'Mbaye']
# Places of birth as identity cards write them, each with a 3-digit code
# standing for the registration centre in the demo's NINs
BIRTH_PLACES = [
    ('Ziguinchor', 751), ('Bignona', 752), ('Oussouye', 753),
    ('Dakar', 101), ('Pikine', 102), ('Rufisque', 104), ('Thiès', 501),
    ('Mbour', 502), ('Tivaouane', 503), ('Kaolack', 401), ('Kolda', 801),
    ('Sédhiou', 851), ('Saint-Louis', 301), ('Louga', 351),
    ('Diourbel', 201), ('Touba', 202), ('Fatick', 451),
    ('Tambacounda', 601), ('Banjul (Gambie)', 990),
    ('Bissau (Guinée-Bissau)', 991)]
# The languages citizens prefer at the counter, with their weights
LANGUAGES = [
    ('wo', 40), ('fr', 25), ('ff', 12), ('dyo', 8), ('srr', 6), ('mnk', 5),
    ('snk', 2), (None, 2)]
# The two Aminata Sagna of Ziguinchor: (birth date, place, NIN, phone,
# language, procedure code, whether her case was delivered and rated)
AMINATAS = [
    (dt.date(1987, 3, 14), 'Ziguinchor', '2751198700412',
        '+221 77 614 22 90', 'dyo', 'CJ-B3', True),
    (dt.date(1995, 11, 2), 'Bignona', '2752199501187',
        '+221 78 301 45 12', 'fr', 'EC-NAIS', False),
    ]
# Share of the cases stopping at each state (the rest are delivered)
STOPS = [
    ('draft', 0.05), ('submitted', 0.10), ('transmitted', 0.10),
    ('waiting_citizen', 0.05), ('ready', 0.10), ('cancelled', 0.03)]
PROXIES = [
    "Mamadou Diatta (frère)", "Awa Sané (mère)", "Ousmane Badji (époux)"]
COMMENTS = [
    "Accueil chaleureux, merci.", "Un peu d'attente mais service rapide.",
    "Très bien expliqué.", "Il faudrait plus de guichets le lundi.", None]
COMPLAINTS = [
    ('ZIG', 'phone', "Mon extrait de casier judiciaire n'est toujours pas "
        "arrivé alors que la date annoncée est passée."),
    ('DKR', 'counter', "Attente de plus d'une heure sans explication."),
    ('THS', 'email', "Le SMS de disponibilité est arrivé deux jours après "
        "le retrait du document."),
    ]


def phone(rng):
    return f'+221 77 {rng.randint(100, 999)} {rng.randint(10, 99)} ' \
        f'{rng.randint(10, 99)}'


def click(records, button):
    if records:
        records[0].__class__.click(records, button)


def load(company):
    rng = random.Random(2026)
    Site = Model.get('network.site')
    Sector = Model.get('network.sector')

    sites = {s.code: s for s in Site.find([('code', 'in', SITES)])}
    sectors = Sector.find([])
    citizens, tickets = load_citizens(rng, sites, sectors)
    cases, stops = open_cases(rng, sites, citizens)
    delivered, rated = move_cases(rng, cases, stops)
    complaints = load_complaints(sites, cases, stops)

    aminata_cases, aminata_tickets = load_aminatas(sites['ZIG'], sectors)
    cases += aminata_cases
    tickets += aminata_tickets

    spread_dates(rng, [c.id for c in cases], [t.id for t in tickets])
    screens = load_waiting_rooms(sites)
    assign_agent('agent.zig', [c.id for c in cases if c.site.code == 'ZIG'])
    publish_results()
    appointments = load_appointments(rng)
    print(f"  {appointments} appointments to come, "
        f"{len(tickets)} tickets, {len(cases)} cases "
        f"({len(delivered)} delivered, {len(rated)} rated), "
        f"{len(complaints)} complaints, {len(screens)} display screens "
        "and kiosks")


def load_waiting_rooms(sites):
    """Number every counter on the screens (« Guichet 2 ») and give each
    demo site a display screen and a kiosk for every sector"""
    Counter = Model.get('network.counter')
    Screen = Model.get('case.screen')
    counters = Counter.find([], order=[('site', 'ASC'), ('sequence', 'ASC'),
            ('id', 'ASC')])
    numbers = defaultdict(int)
    for counter in counters:
        numbers[counter.site.id] += 1
        counter.number = numbers[counter.site.id]
    Counter.save(counters)
    screens = []
    Site = Model.get('network.site')
    remote = list(sites.values())
    for site in remote:
        # the queue may be joined from a phone (QR code at the entrance),
        # appointments booked on the public page
        site.remote_queue = True
        site.appointments = True
    Site.save(remote)
    for site in sites.values():
        for kind, name in [('display', "Salle d'attente"),
                ('kiosk', "Borne de l'entrée")]:
            screens.append(Screen(site=site, kind=kind, name=name))
    Screen.save(screens)
    return screens


def load_citizens(rng, sites, sectors):
    "180 citizens and the tickets of the day at each site"
    Party = Model.get('party.party')
    Ticket = Model.get('case.ticket')
    citizens = [Party(
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES))
        for _ in range(180)]
    for citizen in citizens:
        citizen.contact_mechanisms.new(type='mobile', value=phone(rng))
    identify(citizens)
    Party.save(citizens)

    tickets = [Ticket(site=sites[code], sector=rng.choice(sectors))
        for code in SITES for _ in range(TICKETS_PER_SITE)]
    name_visitors(tickets, citizens)
    Ticket.save(tickets)

    return citizens, tickets


def open_cases(rng, sites, citizens):
    """The cases of each site, their documents provided, and the state
    each will stop at"""
    Case = Model.get('case.case')
    Procedure = Model.get('network.procedure')
    procedures = [p for p in Procedure.find([]) if p.documents]
    cases = []
    for code in SITES:
        for _ in range(CASES_PER_SITE):
            citizen = rng.choice(citizens)
            cases.append(Case(
                    site=sites[code], citizen=citizen,
                    procedure=rng.choice(procedures),
                    channel=rng.choice(
                        ['counter'] * 6 + ['phone', 'email', 'online']),
                    phone=phone(rng)))
    Case.save(cases)
    stops = {}
    for case in cases:
        draw, state = rng.random(), 'delivered'
        for stop, share in STOPS:
            if draw < share:
                state = stop
                break
            draw -= share
        stops[case.id] = state
    for case in cases:
        for document in case.documents:
            document.provided = True
    Case.save(cases)

    return cases, stops


def move_cases(rng, cases, stops):
    "Take each case through the workflow to its stop"
    Case = Model.get('case.case')

    def at(*states):
        return [c for c in cases if stops[c.id] in states]
    cancelled = at('cancelled')
    for case in cancelled:
        case.reason = "Le citoyen a renoncé à sa demande."
    Case.save(cancelled)
    click(cancelled, 'cancel')
    moving = [c for c in cases if stops[c.id] not in {'draft', 'cancelled'}]
    click(moving, 'submit')
    paid = [c for c in moving if stops[c.id] != 'submitted']
    for case in paid:
        case.payment_method = rng.choice(['cash', 'mobile_money'])
        if case.payment_method == 'mobile_money':
            case.payment_reference = f'WAVE-{rng.randint(10**7, 10**8)}'
    Case.save(paid)
    click(paid, 'collect')
    click(paid, 'transmit')
    waiting = at('waiting_citizen')
    for case in waiting:
        case.reason = "Extrait de naissance illisible : nouvelle copie."
    Case.save(waiting)
    click(waiting, 'wait_citizen')
    ready = at('ready', 'delivered')
    click(ready, 'make_ready')
    delivered = at('delivered')
    for case in delivered:
        case.reload()
        if rng.random() < 0.2:
            case.recipient_kind = 'proxy'
            case.recipient_name = rng.choice(PROXIES)
        else:
            case.recipient_kind = 'citizen'
        case.recipient_id_type = 'cni'
        case.recipient_id_number = (
            f'{rng.randint(1, 2)} {rng.randint(100, 999)} '
            f'{rng.randint(1950, 2005)} {rng.randint(10000, 99999)}')
    Case.save(delivered)
    click(delivered, 'deliver')
    rated = [c for c in delivered if rng.random() < 0.6]
    rate(rng, [c.id for c in rated])

    return delivered, rated


def load_complaints(sites, cases, stops):
    Complaint = Model.get('case.complaint')
    complaints = []
    for code, channel, description in COMPLAINTS:
        about = next((c for c in cases if c.site.code == code
                and stops[c.id] == 'submitted'), None)
        complaints.append(Complaint(
                site=sites[code], case=about,
                citizen=about.citizen if about else None,
                channel=channel, description=description))
    Complaint.save(complaints)
    click(complaints, 'open')
    answered = complaints[1]
    answered.answer = ("Nous vous présentons nos excuses: un agent "
        "supplémentaire est affecté à l'accueil le lundi matin.")
    answered.save()
    click([answered], 'do_answer')

    return complaints



def identify(citizens):
    """Give the citizens a birth date and place, a NIN, a preferred
    language, and their own phone number; no two share a name and birth
    date (the counter would be warned of a likely duplicate)"""
    rng = random.Random('citizens-2026')
    today = dt.date.today()
    seen, serials = set(), set()
    for citizen in citizens:
        woman = FIRST_NAMES.index(citizen.first_name) % 2 == 0
        while True:
            born = today - dt.timedelta(days=rng.randint(18 * 365, 75 * 365))
            key = (citizen.first_name, citizen.last_name, born)
            if key not in seen:
                seen.add(key)
                break
        place, centre = rng.choice(BIRTH_PLACES)
        serial = rng.randint(1, 99999)
        while serial in serials:
            serial = rng.randint(1, 99999)
        serials.add(serial)
        citizen.birth_date = born
        citizen.birth_place = place
        # one citizen in ten came without an identity card
        if rng.random() < 0.9:
            citizen.national_id = (
                f'{2 if woman else 1}{centre}{born.year}{serial:05d}')
        citizen.preferred_language = rng.choices(
            [code for code, _ in LANGUAGES],
            [weight for _, weight in LANGUAGES])[0]


def name_visitors(tickets, citizens):
    "A third of the visitors give their name at reception"
    rng = random.Random('tickets-2026')
    for ticket in tickets:
        if rng.random() < 1 / 3:
            ticket.party = rng.choice(citizens)


def load_aminatas(site, sectors):
    """The two Aminata Sagna of Ziguinchor, each with a ticket and a case:
    the first one's case delivered and rated, the second one's submitted"""
    Party = Model.get('party.party')
    Procedure = Model.get('network.procedure')
    Case = Model.get('case.case')
    Ticket = Model.get('case.ticket')
    sector = {s.code: s for s in sectors}
    cases, tickets, done = [], [], []
    for born, place, nin, number, language, code, delivered in AMINATAS:
        citizen = Party(
            first_name='Aminata', last_name='Sagna', birth_date=born,
            birth_place=place, national_id=nin, citizen_phone=number,
            preferred_language=language)
        citizen.save()
        procedure, = Procedure.find([('code', '=', code)])
        tickets.append(Ticket(
                site=site, sector=sector[procedure.sector.code],
                party=citizen))
        case = Case(
            site=site, citizen=citizen, procedure=procedure,
            channel='counter', phone=number)
        cases.append(case)
        if delivered:
            done.append(case)
    Ticket.save(tickets)
    Case.save(cases)
    for case in cases:
        for document in case.documents:
            document.provided = True
    Case.save(cases)
    click(cases, 'submit')
    for case in done:
        case.payment_method = 'cash'
    Case.save(done)
    for button in ['collect', 'transmit', 'make_ready']:
        click(done, button)
    for case in done:
        case.reload()
        case.recipient_kind = 'citizen'
        case.recipient_id_type = 'cni'
        case.recipient_id_number = case.citizen.national_id
    Case.save(done)
    click(done, 'deliver')
    rate_as_citizens({
            c.id: (5, "Très bien accueillie, et en diola.") for c in done})
    return cases, tickets


def rate(rng, case_ids):
    """The citizens rate their visits on the public page (ratings are not
    staff's to write)"""
    rate_as_citizens({case_id: (
                rng.choices([5, 4, 3, 2, 1], [45, 30, 13, 7, 5])[0],
                rng.choice(COMMENTS))
            for case_id in case_ids})


def rate_as_citizens(ratings):
    """Rate the cases as their citizens do on the public page: ratings maps
    case ids to (rating, comment)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    database = pconfig.get_config().database_name
    with Transaction().start(database, 0) as transaction:
        Case = Pool().get('case.case')
        for case in Case.browse(list(ratings)):
            Case.rate(case, *ratings[case.id])
        transaction.commit()


def assign_agent(login, case_ids):
    """Give every other open case of case_ids to the agent login (their
    home page lists those late or at risk)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    database = pconfig.get_config().database_name
    with Transaction().start(database, 0) as transaction:
        pool = Pool()
        Case = pool.get('case.case')
        User = pool.get('res.user')
        user, = User.search([('login', '=', login)])
        cases = Case.search([
                ('id', 'in', case_ids),
                ('state', 'not in', ['draft', 'delivered', 'cancelled']),
                ], order=[('id', 'ASC')])
        Case.write(cases[::2], {'assignee': user.employee.id})
        transaction.commit()


def load_appointments(rng):
    """Appointments booked for the coming working days at the demo's
    sites, in free slots, as agents book them at a counter (their SMS wait
    in the outbox); return their count"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    database = pconfig.get_config().database_name
    # a booking locks the table of appointments
    with Transaction().start(database, 0,
            _lock_tables=['case_appointment']) as transaction:
        pool = Pool()
        Appointment = pool.get('case.appointment')
        Site = pool.get('network.site')
        Procedure = pool.get('network.procedure')
        values = []
        for site in Site.search([('code', 'in', SITES)]):
            procedures = Procedure.search([('bookable', '=', True)],
                order=[('code', 'ASC')])
            for procedure in rng.sample(procedures, 3):
                for date, _ in Appointment.days_with_slots(
                        site, procedure, count=3)[1:]:
                    slots = Appointment.free_slots(site, procedure, date)
                    if not slots:
                        continue
                    values.append({
                            'site': site.id,
                            'procedure': procedure.id,
                            'start': rng.choice(slots),
                            'name': f'{rng.choice(FIRST_NAMES)} '
                            f'{rng.choice(LAST_NAMES)}',
                            'phone': phone(rng),
                            })
        # one at a time: each takes its slot before the next is chosen
        count = 0
        for value in values:
            if value['start'] in Appointment.free_slots(
                    Site(value['site']), Procedure(value['procedure']),
                    value['start'].date()):
                Appointment.create([value])
                count += 1
        transaction.commit()
    return count


def publish_results():
    "Compute the published results as the daily task does"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    database = pconfig.get_config().database_name
    with Transaction().start(database, 0) as transaction:
        Pool().get('case.published_result').compute()
        transaction.commit()


def spread_dates(rng, case_ids, ticket_ids):
    """Move the demo records back over the past DAYS days, keeping each
    case's dates in order"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    database = pconfig.get_config().database_name
    today = dt.date.today()
    with Transaction().start(database, 0) as transaction:
        pool = Pool()
        Case = pool.get('case.case')
        Ticket = pool.get('case.ticket')
        Holiday = pool.get('network.holiday')
        case_table = Case.__table__()
        ticket_table = Ticket.__table__()
        cursor = transaction.connection.cursor()
        for case in Case.browse(case_ids):
            opened = today - dt.timedelta(days=rng.randint(0, DAYS))
            columns = [case_table.create_date]
            values = [dt.datetime.combine(
                    opened, dt.time(rng.randint(8, 16), rng.randint(0, 59)))]
            if case.submission_date:
                columns += [case_table.submission_date, case_table.due_date]
                values += [opened, Holiday.add_working_days(
                        opened, case.procedure.legal_delay)]
            if case.delivery_date:
                columns.append(case_table.delivery_date)
                values.append(min(today, opened + dt.timedelta(
                            days=case.procedure.legal_delay
                            + rng.choice([0, 0, 1, 2, 3, 5]))))
            cursor.execute(*case_table.update(
                    columns, values, where=case_table.id == case.id))
        # Tickets are numbered again per site, day and sector once moved
        cursor.execute(*ticket_table.update(
                [ticket_table.number], [None],
                where=ticket_table.id.in_(ticket_ids)))
        # each ticket is served at a counter of its site, one of its sector
        # when the site has one
        Counter = pool.get('network.counter')
        counters = defaultdict(list)
        for counter in Counter.search([], order=[('id', 'ASC')]):
            counters[counter.site.id, None].append(counter.id)
            counters[counter.site.id, counter.sector.code].append(counter.id)
        # its own generator: the dates, and what follows, stay as they were
        serving = random.Random('tickets-served-2026')
        queues = defaultdict(list)
        # the longest wait and service below: each ticket is done before
        # the time the demo is built
        latest = dt.datetime.now() - dt.timedelta(minutes=45 + 20)
        for ticket in Ticket.browse(ticket_ids):
            day = today - dt.timedelta(days=rng.randint(0, DAYS))
            arrived = dt.datetime.combine(
                day, dt.time(rng.randint(8, 16), rng.randint(0, 59)))
            if arrived > latest:
                # not served yet at the time the demo is built: yesterday
                day -= dt.timedelta(days=1)
                arrived -= dt.timedelta(days=1)
            queues[ticket.site.id, day, ticket.sector.code].append(
                (arrived, ticket.id))
        for (site, day, sector), queue in queues.items():
            served_at = (counters.get((site, sector))
                or counters.get((site, None)) or [None])
            for rank, (arrived, ticket_id) in enumerate(sorted(queue), 1):
                called = arrived + dt.timedelta(minutes=rng.randint(2, 45))
                done = called + dt.timedelta(minutes=rng.randint(3, 20))
                # most visits end with an answer, some with a document
                # handed over (an outcome needing no case or office)
                outcome = serving.choice(['information'] * 3 + ['delivered'])
                cursor.execute(*ticket_table.update([
                            ticket_table.date, ticket_table.number,
                            ticket_table.arrived_at, ticket_table.called_at,
                            ticket_table.done_at, ticket_table.state,
                            ticket_table.outcome, ticket_table.counter],
                        [day, f'{sector}-{rank:03d}', arrived, called, done,
                            'done', outcome, serving.choice(served_at)],
                        where=ticket_table.id == ticket_id))
        transaction.commit()
