"""Appointments in-process: the free slots of a day (opening days and
hours, holidays, counters taking appointments, the procedure's length, the
appointments already taken); the public booking behind its CSRF cookie,
confirmed by the code of its SMS, wrong codes counted then cancelling it;
the reminder the day before, once; the check-in at the kiosk giving a
ticket called before the walk-ins; a site's closure cancelling its
appointments with an SMS. Every refusal leaves nothing saved."""
import datetime as dt
import re
import unittest

from werkzeug.test import Client

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_case import appointment_pages, waiting_pages
from service_case.appointment import CODE_ATTEMPTS, SLOT_STEP
from service_case.tests.test_module import ref
from service_case.waiting_room import forget_queue


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def next_open_day(after, Holiday):
    "The first working day after the date after"
    date = after + dt.timedelta(days=1)
    while date.weekday() >= 5 or not Holiday.is_working_day(date):
        date += dt.timedelta(days=1)
    return date


class AppointmentTestCase(unittest.TestCase):
    "Test the appointments"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['case_configuration']) as transaction:
            pool = Pool()
            Counter = pool.get('network.counter')
            Site = pool.get('network.site')
            Sector = pool.get('network.sector')
            Procedure = pool.get('network.procedure')
            Configuration = pool.get('case.configuration')
            Screen = pool.get('case.screen')
            Holiday = pool.get('network.holiday')
            Date = pool.get('ir.date')
            site = Site(ref('site_zig'))
            site.appointments = True
            site.save()
            justice = Sector(ref('sector_justice'))
            counter, = Counter.create([{'site': site.id, 'name': "Box 3",
                        'sector': justice.id, 'number': 3}])
            procedure = Procedure(ref('procedure_criminal_record'))
            procedure.service_minutes = 30
            procedure.save()
            kiosk, = Screen.create([{'site': site.id, 'kind': 'kiosk',
                        'name': "Borne"}])
            config = Configuration(1)
            config.public_url = 'https://ess.sn'
            config.save()
            cls.site, cls.code = site.id, site.code
            cls.justice, cls.counter = justice.id, counter.id
            cls.procedure, cls.procedure_code = procedure.id, procedure.code
            cls.kiosk = kiosk.token
            cls.day = next_open_day(Date.today(), Holiday)
            transaction.commit()

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def setUp(self):
        waiting_pages.UNKNOWN.clear()
        appointment_pages.BOOKINGS.clear()
        appointment_pages.CHECK_IN_MISSES.clear()
        with Transaction().start(DB_NAME, 0) as transaction:
            Appointment = Pool().get('case.appointment')
            Ticket = Pool().get('case.ticket')
            for model in [Appointment, Ticket]:
                table = model.__table__()
                state = 'cancelled' if model is Appointment else 'absent'
                transaction.connection.cursor().execute(*table.update(
                        [table.state], [state],
                        where=table.state.in_(
                            ['pending', 'booked', 'waiting', 'called'])))
            forget_queue(self.site)
            transaction.commit()

    def free(self, date=None, **changes):
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Appointment = pool.get('case.appointment')
            Site = pool.get('network.site')
            Procedure = pool.get('network.procedure')
            return Appointment.free_slots(Site(self.site),
                Procedure(self.procedure), date or self.day)

    def create(self, start, phone='77 500 00 01', state='booked'):
        # a booking locks the table of appointments (as the RPC retries do)
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['case_appointment']) as transaction:
            Appointment = Pool().get('case.appointment')
            appointment, = Appointment.create([{
                        'site': self.site, 'procedure': self.procedure,
                        'start': start, 'name': "Awa Diatta",
                        'phone': phone, 'state': state}])
            transaction.commit()
            return appointment.id

    def read(self, appointment_id=None, token=None):
        with Transaction().start(DB_NAME, 0):
            Appointment = Pool().get('case.appointment')
            appointment = Appointment(appointment_id) if appointment_id \
                else Appointment.from_token(token)
            return {name: getattr(appointment, name) for name in [
                    'id', 'state', 'phone', 'reference', 'start', 'end',
                    'code_attempts', 'reminded', 'cancel_reason', 'token',
                    'ticket']}

    def count(self, model, domain=None):
        with Transaction().start(DB_NAME, 0):
            return Pool().get(model).search_count(domain or [])

    def sms(self, event):
        with Transaction().start(DB_NAME, 0):
            Notification = Pool().get('case.notification')
            return [(n.recipient, n.text) for n in Notification.search([
                        ('event', '=', event)], order=[('id', 'ASC')])]

    def at(self, hour, minute=0):
        return dt.datetime.combine(self.day, dt.time(hour, minute))

    def test_free_slots(self):
        "The slots follow hours, length, counters, holidays and bookings"
        slots = self.free()
        # 08:00 to 16:30 every 15 minutes: a visit of 30 minutes ends by 17:00
        self.assertEqual(slots[0], self.at(8))
        self.assertEqual(slots[-1], self.at(16, 30))
        self.assertEqual(len(slots), (17 - 8) * 60 // SLOT_STEP - 1)
        self.create(self.at(10))
        taken = set(slots) - set(self.free())
        # one counter: the slots overlapping 10:00-10:30 are gone
        self.assertEqual(taken,
            {self.at(9, 45), self.at(10), self.at(10, 15)})

        # a second counter taking appointments doubles the capacity
        with Transaction().start(DB_NAME, 0) as transaction:
            Counter = Pool().get('network.counter')
            second, = Counter.create([{'site': self.site, 'name': "Box 4",
                        'sector': self.justice, 'number': 4}])
            transaction.commit()
        self.assertEqual(self.free(), slots)
        with Transaction().start(DB_NAME, 0) as transaction:
            Counter = Pool().get('network.counter')
            Counter.write([Counter(second.id)], {'appointments': False})
            transaction.commit()
        self.assertEqual(len(self.free()), len(slots) - 3)

        # an agent cannot book a taken slot: nothing saved
        appointments = self.count('case.appointment')
        with self.assertRaisesRegex(Exception, 'is not a free slot'):
            self.create(self.at(10, 15), phone='77 500 00 02')
        self.assertEqual(self.count('case.appointment'), appointments)

        # a Saturday, a public holiday: no slot
        saturday = self.day + dt.timedelta(days=(5 - self.day.weekday()) % 7)
        self.assertEqual(self.free(saturday), [])
        with Transaction().start(DB_NAME, 0) as transaction:
            Holiday = Pool().get('network.holiday')
            holiday, = Holiday.create([{'date': self.day,
                        'name': "Fête"}])
            transaction.commit()
        self.assertEqual(self.free(), [])
        with Transaction().start(DB_NAME, 0) as transaction:
            Holiday = Pool().get('network.holiday')
            Holiday.delete([Holiday(holiday.id)])
            transaction.commit()


    def book(self, phone='77 600 00 01', time='09:00', client=None,
            csrf=True, name="Fatou Sané"):
        client = client or Client(app)
        url = f'/{DB_NAME}/rdv/{self.code}'
        query = f'?demarche={self.procedure_code}&jour={self.day}'
        page = client.get(url + query).get_data(as_text=True)
        data = {'demarche': self.procedure_code, 'jour': str(self.day),
            'creneau': time, 'name': name, 'phone': phone,
            'csrf': csrf_of(page) if csrf else 'x' * 43}
        return client, client.post(url, data=data)

    def test_booking(self):
        "The public booking, confirmed by the code of its SMS"
        client = Client(app)
        page = client.get(f'/{DB_NAME}/rdv').get_data(as_text=True)
        self.assertIn(f'/{DB_NAME}/rdv/{self.code}', page)
        page = client.get(f'/{DB_NAME}/rdv/{self.code}').get_data(
            as_text=True)
        self.assertIn(f'?demarche={self.procedure_code}', page)
        page = client.get(f'/{DB_NAME}/rdv/{self.code}'
            f'?demarche={self.procedure_code}').get_data(as_text=True)
        self.assertIn(f'jour={self.day}', page)
        self.assertIn('Documents to bring', page)
        # a day that does not exist: the days offered, no error
        response = client.get(f'/{DB_NAME}/rdv/{self.code}'
            f'?demarche={self.procedure_code}&jour=2026-13-45')
        self.assertEqual(response.status_code, 200)
        self.assertIn(f'jour={self.day}', response.get_data(as_text=True))

        appointments = self.count('case.appointment')
        # refusals: a forged form, a bad phone, a time not on the grid
        self.assertEqual(self.book(csrf=False)[1].status_code, 403)
        _, response = self.book(phone='12345')
        self.assertEqual(response.status_code, 400)
        self.assertIn('is not a Senegal mobile number',
            response.get_data(as_text=True))
        self.assertEqual(self.book(time='09:07')[1].status_code, 409)
        self.assertEqual(self.book(name='  ')[1].status_code, 400)
        self.assertEqual(self.count('case.appointment'), appointments)

        client, response = self.book()
        self.assertEqual(response.status_code, 303, response.get_data())
        location = response.headers['Location']
        self.assertRegex(location, rf'/{DB_NAME}/rendez-vous/[\w-]{{43}}$')
        token = location.rsplit('/', 1)[1]
        appointment = self.read(token=token)
        self.assertEqual(appointment['state'], 'pending')
        self.assertEqual(appointment['start'], self.at(9))
        self.assertEqual(appointment['end'], self.at(9, 30))
        (recipient, text), = self.sms('appointment_code')[-1:]
        self.assertEqual(recipient, '+221 77 600 00 01')
        code = re.search(r'\b(\d{6})\b', text).group(1)
        # the slot is held while the code is awaited
        self.assertNotIn(self.at(9), self.free())
        self.assertEqual(self.book(phone='77 600 00 02')[1].status_code, 409)

        page = client.get(location).get_data(as_text=True)
        self.assertNotIn('Fatou', page)
        self.assertNotIn('600 00 01', page)
        csrf = csrf_of(page)
        wrong = str((int(code) + 1) % 1000000).zfill(6)
        response = client.post(f'{location}/code',
            data={'csrf': csrf, 'code': wrong})
        self.assertEqual(response.status_code, 400)
        self.assertIn(f'{CODE_ATTEMPTS - 1} attempt(s) left',
            response.get_data(as_text=True))
        self.assertEqual(self.read(token=token)['code_attempts'], 1)
        self.assertEqual(self.read(token=token)['state'], 'pending')
        response = client.post(f'{location}/code',
            data={'csrf': csrf, 'code': code})
        self.assertEqual(response.status_code, 303)
        appointment = self.read(token=token)
        self.assertEqual(appointment['state'], 'booked')
        (_, text), = self.sms('appointment_booked')[-1:]
        self.assertIn(appointment['reference'], text)
        self.assertIn(f'https://ess.sn/{DB_NAME}/rendez-vous/{token}', text)
        page = client.get(location).get_data(as_text=True)
        self.assertIn(appointment['reference'], page)
        self.assertIn('svg', page)

        # the same phone cannot book twice the same day
        _, response = self.book(time='11:00')
        self.assertEqual(response.status_code, 400)
        self.assertIn('already has an appointment that day',
            response.get_data(as_text=True))

        # the citizen cancels: the slot is free again, no SMS
        cancelled = len(self.sms('appointment_cancelled'))
        client.post(f'{location}/annuler', data={'csrf': csrf})
        appointment = self.read(token=token)
        self.assertEqual(appointment['state'], 'cancelled')
        self.assertEqual(appointment['cancel_reason'], 'citizen')
        self.assertIsNone(appointment['phone'])
        self.assertIn(self.at(9), self.free())
        self.assertEqual(len(self.sms('appointment_cancelled')), cancelled)

    def test_wrong_codes_cancel(self):
        "Five wrong codes cancel the booking and free its slot"
        client, response = self.book(phone='77 600 00 03', time='14:00')
        location = response.headers['Location']
        token = location.rsplit('/', 1)[1]
        csrf = csrf_of(client.get(location).get_data(as_text=True))
        for _ in range(CODE_ATTEMPTS):
            response = client.post(f'{location}/code',
                data={'csrf': csrf, 'code': '000000x'})
        self.assertEqual(response.status_code, 400)
        self.assertIn('no longer valid', response.get_data(as_text=True))
        appointment = self.read(token=token)
        self.assertEqual(appointment['state'], 'cancelled')
        self.assertEqual(appointment['cancel_reason'], 'unconfirmed')
        self.assertIn(self.at(14), self.free())

    def test_reminder_and_missed(self):
        "The reminder the day before, once; a past appointment is missed"
        with Transaction().start(DB_NAME, 0) as transaction:
            Date = Pool().get('ir.date')
            tomorrow = Date.today() + dt.timedelta(days=1)
        appointment = self.create(self.at(11), phone='77 700 00 01')
        past = self.create(self.at(12), phone='77 700 00 02')
        with Transaction().start(DB_NAME, 0) as transaction:
            Appointment = Pool().get('case.appointment')
            table = Appointment.__table__()
            cursor = transaction.connection.cursor()
            start = dt.datetime.combine(tomorrow, dt.time(11))
            cursor.execute(*table.update([table.date, table.start],
                    [tomorrow, start], where=table.id == appointment))
            yesterday = dt.datetime.now() - dt.timedelta(days=1)
            cursor.execute(*table.update([table.date, table.start],
                    [yesterday.date(), yesterday],
                    where=table.id == past))
            transaction.commit()
        reminders = len(self.sms('appointment_reminder'))

        def remind(hour):
            with Transaction().start(DB_NAME, 0,
                    _lock_tables=['case_configuration']) as transaction:
                pool = Pool()
                Configuration = pool.get('case.configuration')
                Configuration.write([Configuration(1)],
                    {'appointment_reminder_hour': hour})
                pool.get('case.appointment').send_reminders()
                transaction.commit()
        # before the hour of the reminders: no SMS yet
        later = dt.datetime.now().hour + 1
        if later <= 23:
            remind(later)
            self.assertEqual(
                len(self.sms('appointment_reminder')), reminders)
            self.assertFalse(self.read(appointment)['reminded'])
        for _ in range(2):
            remind(0)
        sent = self.sms('appointment_reminder')[reminders:]
        self.assertEqual([r for r, _ in sent], ['+221 77 700 00 01'])
        self.assertIn('11:00', sent[0][1])
        self.assertTrue(self.read(appointment)['reminded'])
        missed = self.read(past)
        self.assertEqual(missed['state'], 'missed')
        self.assertIsNone(missed['phone'])

    def move_to_now(self, appointment_id, minutes=10):
        """Put the appointment today, starting in minutes; False when that
        would be tomorrow (it starts 5 minutes ago then)"""
        with Transaction().start(DB_NAME, 0) as transaction:
            Appointment = Pool().get('case.appointment')
            table = Appointment.__table__()
            now = dt.datetime.now().replace(second=0, microsecond=0)
            start = now + dt.timedelta(minutes=minutes)
            today = start.date() == now.date()
            if not today:
                start = now - dt.timedelta(minutes=5)
            transaction.connection.cursor().execute(*table.update(
                    [table.date, table.start, table.end],
                    [start.date(), start, start + dt.timedelta(minutes=30)],
                    where=table.id == appointment_id))
            transaction.commit()
        return today

    def kiosk_check_in(self, text, csrf=True):
        client = Client(app)
        url = f'/{DB_NAME}/borne/{self.kiosk}'
        page = client.get(url).get_data(as_text=True)
        self.assertIn('I have an appointment', page)
        return client.post(f'{url}/rendez-vous', data={
                'appointment': text,
                'csrf': csrf_of(page) if csrf else 'x' * 43})

    def test_check_in_first(self):
        "Checked in at the kiosk, the appointment is called first"
        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('case.ticket')
            walk_ins = Ticket.create([{'site': self.site,
                        'sector': self.justice}] * 2)
            walk_ins = [t.id for t in walk_ins]
            transaction.commit()
        appointment = self.create(self.at(15), phone='77 800 00 01')
        early = self.create(self.at(16), phone='77 800 00 02')
        self.move_to_now(appointment)
        # more than 30 minutes ahead, the same day (not in the day's last
        # 45 minutes: then it cannot be tried)
        early_today = self.move_to_now(early, minutes=45)
        tickets = self.count('case.ticket')

        # refusals: forged form, unknown number, too early
        self.assertEqual(self.kiosk_check_in(
                '77 800 00 01', csrf=False).status_code, 403)
        response = self.kiosk_check_in('77 800 00 09')
        self.assertEqual(response.status_code, 400)
        self.assertIn('No appointment today', response.get_data(
                as_text=True))
        if early_today:
            response = self.kiosk_check_in('77 800 00 02')
            self.assertEqual(response.status_code, 400)
            self.assertIn('come back from', response.get_data(as_text=True))
        self.assertEqual(self.count('case.ticket'), tickets)
        self.assertEqual(self.read(early)['state'], 'booked')

        reference = self.read(appointment)['reference']
        response = self.kiosk_check_in(reference.lower())
        self.assertEqual(response.status_code, 303, response.get_data())
        self.assertIn('/ticket/', response.headers['Location'])
        checked = self.read(appointment)
        self.assertEqual(checked['state'], 'checked_in')
        self.assertIsNone(checked['phone'])
        page = Client(app).get(response.headers['Location']).get_data(
            as_text=True)
        self.assertIn('called first', page)
        self.assertIn('Nobody ahead of you', page)

        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Ticket = pool.get('case.ticket')
            Counter = pool.get('network.counter')
            self.assertEqual(Ticket(walk_ins[0]).position(), 1)
            called = Ticket.call_next(Counter(self.counter))
            self.assertEqual(called.id, checked['ticket'].id)
            self.assertEqual(called.appointment.id, appointment)
            transaction.commit()

    def test_closure_cancels(self):
        "A site closed for works cancels its appointments, with an SMS"
        booked = self.create(self.at(9), phone='77 900 00 01')
        client, response = self.book(phone='77 900 00 02', time='10:00')
        pending = self.read(token=response.headers['Location'].rsplit(
                '/', 1)[1])['id']
        before = len(self.sms('appointment_cancelled'))
        with Transaction().start(DB_NAME, 0) as transaction:
            Site = Pool().get('network.site')
            site = Site(self.site)
            site.closure_reason = "Travaux de plomberie"
            site.save()
            Site.close_for_works([site])
            transaction.commit()
        try:
            self.assertEqual(self.read(booked)['state'], 'cancelled')
            self.assertEqual(self.read(booked)['cancel_reason'], 'closure')
            self.assertEqual(self.read(pending)['state'], 'cancelled')
            sent = self.sms('appointment_cancelled')[before:]
            self.assertEqual([r for r, _ in sent], ['+221 77 900 00 01'])
            self.assertIn('the site is closed', sent[0][1])
            self.assertEqual(self.free(), [])
            page = Client(app).get(f'/{DB_NAME}/rdv/{self.code}').get_data(
                as_text=True)
            self.assertIn('does not take appointments', page)
        finally:
            with Transaction().start(DB_NAME, 0) as transaction:
                Site = Pool().get('network.site')
                Site.reopen([Site(self.site)])
                transaction.commit()

    def test_holiday_cancels(self):
        "A day made a public holiday cancels its appointments, with an SMS"
        booked = self.create(self.at(15), phone='77 910 00 01')
        others = self.free()
        with Transaction().start(DB_NAME, 0):
            Appointment = Pool().get('case.appointment')
            # the form's free times count the appointment's own slot free
            free = Appointment(booked).free_times.split(', ')
        self.assertIn('15:00', free)
        self.assertEqual(len(free), len(others) + 3)
        before = len(self.sms('appointment_cancelled'))
        with Transaction().start(DB_NAME, 0) as transaction:
            Holiday = Pool().get('network.holiday')
            holiday, = Holiday.create([{'date': self.day,
                        'name': "Journée décrétée fériée"}])
            transaction.commit()
        try:
            appointment = self.read(booked)
            self.assertEqual(appointment['state'], 'cancelled')
            self.assertEqual(appointment['cancel_reason'], 'holiday')
            (recipient, text), = self.sms('appointment_cancelled')[before:]
            self.assertEqual(recipient, '+221 77 910 00 01')
            self.assertIn('public holiday', text)
        finally:
            with Transaction().start(DB_NAME, 0) as transaction:
                Holiday = Pool().get('network.holiday')
                Holiday.delete([Holiday(holiday.id)])
                transaction.commit()

    def test_closure_moves(self):
        """A site closed with another site chosen moves its appointments
        there at the same time where a slot is free, cancels the others"""
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Site = pool.get('network.site')
            Counter = pool.get('network.counter')
            other = Site(ref('site_dkr'))
            other.appointments = True
            other.save()
            if not Counter.search([('site', '=', other.id),
                        ('sector', '=', self.justice)]):
                Counter.create([{'site': other.id, 'name': "Box 9",
                            'sector': self.justice}])
            other_id, other_name = other.id, other.name
            transaction.commit()
        moved = self.create(self.at(9), phone='77 920 00 01')
        cancelled = self.create(self.at(11), phone='77 920 00 02')
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['case_appointment']) as transaction:
            Appointment = Pool().get('case.appointment')
            # Dakar's 11:00 is taken
            Appointment.create([{'site': other_id,
                        'procedure': self.procedure,
                        'start': self.at(11), 'name': "Modou Fall",
                        'phone': '77 920 00 03'}])
            transaction.commit()
        before = {event: len(self.sms(event)) for event in [
                'appointment_moved', 'appointment_cancelled']}
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['case_appointment']) as transaction:
            Site = Pool().get('network.site')
            site = Site(self.site)
            site.closure_reason = "Coupure d'électricité"
            site.closure_appointments_to = Site(other_id)
            site.save()
            Site.close([site])
            transaction.commit()
        try:
            with Transaction().start(DB_NAME, 0):
                Appointment = Pool().get('case.appointment')
                self.assertEqual(Appointment(moved).site.id, other_id)
                self.assertEqual(Appointment(moved).state, 'booked')
            self.assertEqual(self.read(cancelled)['state'], 'cancelled')
            (recipient, text), = self.sms('appointment_moved')[
                before['appointment_moved']:]
            self.assertEqual(recipient, '+221 77 920 00 01')
            self.assertIn(other_name, text)
            self.assertIn('09:00', text)
            (recipient, _), = self.sms('appointment_cancelled')[
                before['appointment_cancelled']:]
            self.assertEqual(recipient, '+221 77 920 00 02')
        finally:
            with Transaction().start(DB_NAME, 0) as transaction:
                Site = Pool().get('network.site')
                Site.reopen([Site(self.site)])
                self.assertIsNone(Site(self.site).closure_appointments_to)
                transaction.commit()
