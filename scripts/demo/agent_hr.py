"""Demo data of agent_hr: agents with staff numbers at a few sites, their
assignments, the Label Marianne training with a past session and its
certifications, a procedure training giving skills, a week of attendance
at work at Ziguinchor and, with service_case, the tickets and cases of its
demo shared among the agents of their sites (the workload per agent)."""
import datetime as dt
from decimal import Decimal

from proteus import Model

# after service_case (110), whose tickets and cases the agents take
ORDER = 120
# name, site, grade, phone, languages
AGENTS = [
    ("Ndeye Fatou Diallo", 'ZIG', "Agent d'accueil", '77 451 12 01',
        ['fr', 'dyo', 'wo']),
    ("Lamine Badji", 'ZIG', "Agent de guichet", '77 451 12 02',
        ['fr', 'dyo', 'mnk']),
    ("Seynabou Coly", 'ZIG', "Agent de guichet", '77 451 12 03',
        ['fr', 'wo']),
    ("Aliou Ndiaye", 'DKR', "Agent d'accueil", '77 630 20 04',
        ['fr', 'wo', 'en']),
    ("Khady Sow", 'DKR', "Agent de guichet", '77 630 20 05', ['fr', 'wo']),
    ("Mame Diarra Gueye", 'DKR', "Agent de guichet", '77 630 20 06',
        ['fr', 'wo', 'ar']),
    ("Pape Samba Mbaye", 'DKR', "Superviseur", '77 630 20 07',
        ['fr', 'wo', 'en']),
    ("Rokhaya Sarr", 'THS', "Agent d'accueil", '77 512 30 08',
        ['fr', 'wo', 'srr']),
    ("Modou Faye", 'THS', "Agent de guichet", '77 512 30 09',
        ['fr', 'srr']),
    ("Astou Diouf", 'THS', "Agent de guichet", '77 512 30 10',
        ['fr', 'wo']),
    ("Oumar Sy", 'STL', "Agent d'accueil", '77 740 40 11',
        ['fr', 'wo', 'ff']),
    ("Aissatou Ba", 'STL', "Agent de guichet", '77 740 40 12',
        ['fr', 'ff']),
    ("Babacar Kane", 'STL', "Agent de guichet", '77 740 40 13',
        ['fr', 'ff', 'ar']),
    ("Ngoné Thiam", 'KLK', "Agent d'accueil", '77 820 50 14',
        ['fr', 'wo', 'srr']),
    ("Ibou Cissé", 'KLK', "Agent de guichet", '77 820 50 15',
        ['fr', 'wo', 'snk']),
    ("Marème Ndour", 'KLK', "Agent de guichet", '77 820 50 16',
        ['fr', 'wo']),
    ]
# the employees of the demo users: login, site
USER_SITES = [
    ('chef.zig', 'ZIG'), ('agent.zig', 'ZIG'), ('agent.ths', 'THS'),
    ('chef.dkr', 'DKR')]


def load(company):
    Employee = Model.get('company.employee')
    Party = Model.get('party.party')
    Site = Model.get('network.site')
    User = Model.get('res.user')
    Assignment = Model.get('agent.assignment')
    today = dt.date.today()
    sites = {s.code: s for s in Site.find([
                ('code', 'in', ['ZIG', 'DKR', 'THS', 'STL', 'KLK'])])}

    parties = [Party(name=name) for name, *_ in AGENTS]
    Party.save(parties)
    employees = []
    for i, (party, (_, _, grade, phone, languages)) in enumerate(
            zip(parties, AGENTS, strict=True), 1):
        hire_date = dt.date(2019 + i % 5, 1 + i % 12, 1)
        employees.append(Employee(
                party=party, company=company, matricule=f'ESS-{i:04d}',
                grade=grade, phone=phone, languages=languages,
                hire_date=hire_date, start_date=hire_date))
    # employees' hash changes when saved: keep their sites in a list
    employee_sites = [sites[code] for _, code, *_ in AGENTS]
    for number, (login, code) in enumerate(USER_SITES, len(AGENTS) + 1):
        user, = User.find([('login', '=', login)])
        employee = user.employee
        employee.matricule = f'ESS-{number:04d}'
        employee.grade = "Chef de site" if 'chef' in login else (
            "Agent de guichet")
        employee.languages = ['fr', 'wo']
        employee.hire_date = dt.date(2021, 3, 1)
        employees.append(employee)
        employee_sites.append(sites[code])
    Employee.save(employees)

    assignments = []
    for employee, site in zip(employees, employee_sites, strict=True):
        assignments.append(Assignment(
                employee=employee, site=site,
                from_date=employee.hire_date or dt.date(2022, 1, 3)))
    # an agent moved from Thiès to Ziguinchor keeps the history
    moved = employees[2]
    assignments[2].from_date = dt.date(2025, 1, 6)
    assignments.append(Assignment(
            employee=moved, site=sites['THS'],
            from_date=dt.date(2022, 1, 3), to_date=dt.date(2025, 1, 3)))
    Assignment.save(assignments)

    marianne = _marianne_session(employees, sites, today)
    _procedure_training(employees, employee_sites[0], today)
    _expiring_certification(employees[9], marianne, today)
    lines = _attendance(
        [e for e, s in zip(employees, employee_sites, strict=True)
            if s.code == 'ZIG'],
        company, today)
    print(f"  {len(employees)} agents, {len(assignments)} assignments, "
        f"{lines} attendance lines")
    Module = Model.get('ir.module')
    if Module.find([('name', '=', 'service_case'),
                ('state', '=', 'activated')]):
        _share_work(employees, employee_sites)


def _session(training, site, start, employees, scores, trainer=None):
    Session = Model.get('agent.training.session')
    Attendance = Model.get('agent.training.attendance')
    end = start + dt.timedelta(days=training.duration - 1)
    session = Session(training=training, site=site, start_date=start,
        end_date=end, capacity=max(20, len(employees)), trainer=trainer)
    for employee in employees:
        session.enrolments.new(employee=employee)
    session.save()
    session.click('confirm')
    attendances = []
    for enrolment, score in zip(session.enrolments, scores, strict=True):
        enrolment.score = Decimal(score)
        day = start
        while day <= end:
            attendances.append(Attendance(
                    enrolment=enrolment, date=day, present=True))
            day += dt.timedelta(days=1)
    session.save()
    Attendance.save(attendances)
    session.click('do')
    return session


def _marianne_session(employees, sites, today):
    Training = Model.get('agent.training')
    Party = Model.get('party.party')
    marianne = Training(name="Qualité d'accueil Label Marianne",
        kind='marianne', duration=3, certifying=True, validity=24,
        description="Accueil, orientation, délais annoncés, mesure de "
        "l'attente et de la satisfaction (référentiel Services Publics+).")
    digital = Training(name="Outils numériques du guichet", kind='digital',
        duration=2)
    security = Training(name="Sécurité des sites et des personnes",
        kind='security', duration=1, certifying=True, validity=36)
    Training.save([marianne, digital, security])
    trainer = Party(name="Cabinet Qualité Sahel")
    trainer.save()
    # agents of Kaolack were not trained yet: the site falls short
    trained = [e for e in employees if e.matricule < 'ESS-0014'
        or e.matricule > 'ESS-0016']
    scores = [15 if i % 7 else 9 for i in range(len(trained))]
    _session(marianne, sites['DKR'], today - dt.timedelta(days=90),
        trained, scores, trainer=trainer)
    return marianne


def _procedure_training(employees, site, today):
    Training = Model.get('agent.training')
    Procedure = Model.get('network.procedure')
    Skill = Model.get('agent.skill')
    record, = Procedure.find([('code', '=', 'CJ-B3')])
    training = Training(name="Traitement du bulletin n° 3 du casier "
        "judiciaire", kind='procedure', procedure=record,
        skill_level='confirmed', duration=1)
    training.save()
    _session(training, site,
        today - dt.timedelta(days=60), employees[:6], [14] * 6)
    others = [p for p in Procedure.find([]) if p != record]
    Skill.save([Skill(employee=e, procedure=p, level='basic')
            for e in employees[3:5] for p in others])


def _expiring_certification(employee, training, today):
    Certification = Model.get('agent.certification')
    Cron = Model.get('ir.cron')
    Certification(employee=employee, training=training,
        date=today - dt.timedelta(days=700),
        expiry_date=today + dt.timedelta(days=30)).save()
    cron, = Cron.find([('method', '=', 'agent.certification|warn_expiring')])
    cron.click('run_once')


def _attendance(employees, company, today):
    """The agents clock in and out on the last five working days and clock
    in today; return the number of lines"""
    Attendance = Model.get('attendance.line')
    days = []
    day = today
    while len(days) < 5:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    lines = []
    for i, employee in enumerate(employees):
        for day in days:
            arrival = dt.datetime.combine(day, dt.time(7, 50 + i))
            departure = dt.datetime.combine(day, dt.time(17, i))
            lines.append(Attendance(employee=employee, company=company,
                    at=arrival, type='in'))
            lines.append(Attendance(employee=employee, company=company,
                    at=departure, type='out'))
        lines.append(Attendance(employee=employee, company=company,
                at=dt.datetime.combine(today, dt.time(7, 50 + i)),
                type='in'))
    Attendance.save(lines)
    return len(lines)


def _share_work(employees, employee_sites):
    """Give the served tickets and the cases of each site to the agents
    currently assigned there, in turn"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Ticket = Model.get('case.ticket')
    Case = Model.get('case.case')
    config = Ticket._config
    agents = {}
    for employee, site in zip(employees, employee_sites, strict=True):
        agents.setdefault(site.id, []).append(employee)
    shared = 0
    for Record, field, domain in [
            (Ticket, 'agent', [('state', '!=', 'waiting')]),
            (Case, 'assignee', [])]:
        work = {}
        for record in Record.find([
                    ('site', 'in', list(agents)), *domain],
                order=[('id', 'ASC')]):
            site_agents = agents[record.site.id]
            agent = site_agents[record.id % len(site_agents)]
            work.setdefault(agent.id, []).append(record)
        # Who served a ticket is recorded by the calls, read-only for
        # users: the demo writes it as the system does
        with Transaction().start(config.database_name, 0) as transaction:
            Stored = Pool().get(Record.__name__)
            for agent_id, records in work.items():
                Stored.write(
                    Stored.browse([r.id for r in records]), {field: agent_id})
                shared += len(records)
            transaction.commit()
    print(f"  {shared} tickets and cases shared among the agents")
