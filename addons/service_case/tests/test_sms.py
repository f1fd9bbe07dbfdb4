"""The citizens' SMS: the GSM 03.38 alphabet and its count, the
transliteration of the characters out of it, every message fitting one SMS
with the longest site and procedure names, and the link to the rating page
built from the public address (or a clear error without one)."""
import unittest

from trytond.exceptions import UserWarning
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME,
    activate_module,
    drop_db,
    with_transaction,
)

from service_case.notification import EVENTS, RATING_TOKEN_LENGTH, fit_sms
from service_case.sms import (
    BASIC,
    EXTENSION,
    SMS_LENGTH,
    fits,
    gsm_length,
    is_gsm,
    to_gsm,
)
from service_case.tests.test_module import create_case, deliver, ref

DEMO_PUBLIC_URL = 'http://127.0.0.1:8000'
DEMO_DATABASE = 'ess_demo'


class GsmTestCase(unittest.TestCase):
    "The GSM 7-bit alphabet"

    def test_table(self):
        "The basic table of 3GPP TS 23.038, not the letters French guesses"
        self.assertEqual(len(BASIC), 127)  # 128 codes less ESC
        for char in 'éèùìòàÇÉÄÖÑÜäöñüÅåÆæßØø@£$¥§¿¡ΔΦΓΛΩΠΨΣΘΞ_':
            self.assertIn(char, BASIC, char)
        for char in 'çâêîôûëïÀÂÈÊÎÔÛÙœ’«»–…€^{}[]~|\\`°':
            self.assertNotIn(char, BASIC, char)
        self.assertEqual(EXTENSION, set('\f^{}\\[~]|€'))

    def test_length(self):
        "Basic characters count one unit, the extension table two"
        self.assertEqual(gsm_length(''), 0)
        self.assertEqual(gsm_length("Dossier prêt"), None)
        self.assertEqual(gsm_length("Dossier remis à Thiès"), 21)
        self.assertEqual(gsm_length("400 € [CFA]"), 11 + 3)
        self.assertEqual(gsm_length('{}\\^~|'), 12)
        self.assertTrue(fits('a' * 160))
        self.assertFalse(fits('a' * 161))
        self.assertFalse(fits('€' * 81))
        self.assertTrue(fits('€' * 80))
        self.assertFalse(fits("ç"))

    def test_transliteration(self):
        "Out of the alphabet, the closest GSM characters; never UCS-2"
        cases = {
            "Prêt à être retiré": "Pret à etre retiré",
            "reçu, façon": "recu, facon",
            "l’acte « intégral » — n° 3…":
                "l'acte \" intégral \" - no 3...",
            "Cœur ŒIL île août Noël naïf": "Coeur OEIL ile aout Noel naif",
            "À Ème Ô Ù Ç": "A Eme O U Ç",
            "Ñdeye Ŋoor Sëriñ": "Ñdeye Noor Seriñ",
            "ﬁn\u00a0:\u202f12": "fin : 12",
            "Dakar €": "Dakar €",
            "日本": "??",
            }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(to_gsm(text), expected)
                self.assertTrue(is_gsm(to_gsm(text)))

    def test_fit_shortens_procedure(self):
        "A procedure name too long for one SMS is shortened, never the rest"
        template = "%(site)s : dossier %(number)s (%(procedure)s) déposé."
        variables = {
            'site': "Espace Sénégal Services de Médina Yoro Foulah",
            'number': 'MYF-2026-000001',
            'procedure': "Demande " + "très longue " * 12 + "d'acte",
            }
        text = fit_sms(template, variables)
        self.assertLessEqual(gsm_length(text), SMS_LENGTH)
        self.assertGreaterEqual(gsm_length(text), SMS_LENGTH - 3)
        self.assertIn("...) déposé.", text)
        self.assertTrue(text.startswith(
                "Espace Sénégal Services de Médina Yoro Foulah : dossier "
                "MYF-2026-000001 (Demande très longue"))
        # a short one is whole
        variables['procedure'] = "Casier judiciaire"
        self.assertIn("(Casier judiciaire)", fit_sms(template, variables))
        # a template too long whatever the procedure: two SMS, name whole
        long_template = 'x' * 160 + '%(procedure)s'
        self.assertEqual(
            fit_sms(long_template, variables),
            'x' * 160 + 'Casier judiciaire')


class SmsTemplatesTestCase(unittest.TestCase):
    "The SMS of every event with the network's sites and procedures"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'], lang='fr')

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def configure(self, **values):
        Configuration = Pool().get('case.configuration')
        Configuration.write([Configuration(1)], values)
        return Configuration(1)

    @with_transaction()
    def test_every_template_fits_one_sms(self):
        """Every standard message, in every language, fits one GSM SMS for
        the longest site and procedure names, with the demo's address, the
        site named once and the procedure whole"""
        pool = Pool()
        Notification = pool.get('case.notification')
        Site = pool.get('network.site')
        Procedure = pool.get('network.procedure')
        Lang = pool.get('ir.lang')
        Lang.write([Lang.get('en')], {'translatable': True})
        config = self.configure(public_url=DEMO_PUBLIC_URL)
        longest_site = max((s.name for s in Site.search([])), key=len)
        longest_procedure = max(
            (p.name for p in Procedure.search([])), key=len)
        self.assertEqual(
            longest_site, "Espace Sénégal Services de Médina Yoro Foulah")
        self.assertGreaterEqual(len(longest_procedure), 56)
        messages = list(Notification.longest_sms(
                config, database=DEMO_DATABASE))
        # three events, in French and English
        self.assertEqual(len(messages), 2 * len(EVENTS))
        link = f'{DEMO_PUBLIC_URL}/{DEMO_DATABASE}/avis/'
        for event, _, text, length in messages:
            with self.subTest(event=event, text=text):
                self.assertTrue(is_gsm(text))
                self.assertEqual(length, gsm_length(text))
                self.assertLessEqual(length, SMS_LENGTH)
                self.assertTrue(text.startswith(longest_site))
                self.assertEqual(text.count("Espace Sénégal Services"), 1)
                self.assertNotIn('...', text)
                self.assertIn('MYF-', text)
                if '(' in text:
                    self.assertIn(to_gsm(longest_procedure), text)
                if link in text:
                    self.assertRegex(
                        text, link + '[x]{%s}$' % RATING_TOKEN_LENGTH)
        self.assertEqual(
            sum(link in text for _, _, text, _ in messages), 2)

    @with_transaction()
    def test_case_sms_and_email(self):
        """A delivered case's SMS are in the GSM alphabet, its emails keep
        the accents; the link is the public address's"""
        pool = Pool()
        Party = pool.get('party.party')
        self.configure(public_url='https://ess.sn/')
        case = create_case(site=ref('site_kdg'))
        Party.write([case.citizen], {
                'lang': pool.get('ir.lang').get('fr').id,
                'contact_mechanisms': [('create', [{
                                'type': 'email', 'value': 'awa@example.sn',
                                }])],
                })
        deliver(case)
        self.assertEqual(len(case.rating_token), RATING_TOKEN_LENGTH)
        texts = {(n.event, n.channel): n.text for n in case.notifications}
        self.assertEqual(len(texts), 6)
        for (event, channel), text in texts.items():
            with self.subTest(event=event, channel=channel):
                self.assertTrue(text.startswith(case.site.name))
                self.assertIn(case.number, text)
                if channel == 'sms':
                    self.assertTrue(fits(text))
        self.assertIn("est pret.", texts['ready', 'sms'])
        self.assertIn("est prêt.", texts['ready', 'email'])
        link = f'https://ess.sn/{DB_NAME}/avis/{case.rating_token}'
        self.assertTrue(texts['delivered', 'sms'].endswith(link))
        self.assertTrue(texts['delivered', 'email'].endswith(link))
        self.assertEqual(
            {n.state for n in case.notifications}, {'pending'})

    @with_transaction(context={'language': 'fr'})
    def test_no_public_url(self):
        """Without a public address the delivery message is not sent with
        a relative link: it fails with a French error, and Retry sends it
        once the address is set"""
        pool = Pool()
        Notification = pool.get('case.notification')
        config = pool.get('case.configuration')(1)
        self.assertIsNone(config.public_url)
        case = create_case()
        deliver(case)
        delivered, = [n for n in case.notifications
            if n.event == 'delivered']
        self.assertEqual(delivered.state, 'failed')
        self.assertIn("adresse publique", delivered.last_error)
        self.assertIn("Configuration des dossiers", delivered.last_error)
        self.assertNotIn('/avis/', delivered.text)
        # the other messages need no link: they leave
        self.assertEqual(
            {n.state for n in case.notifications if n != delivered},
            {'pending'})
        self.assertNotIn(delivered, Notification.send_pending())
        # still no address: Retry leaves it failed
        Notification.retry([delivered])
        self.assertEqual(delivered.state, 'failed')
        self.configure(public_url='https://ess.sn')
        Notification.retry([delivered])
        self.assertEqual(delivered.state, 'pending')
        self.assertTrue(delivered.text.endswith(
                f'https://ess.sn/{DB_NAME}/avis/{case.rating_token}'))
        self.assertIn(delivered, Notification.send_pending())
        self.assertEqual(delivered.state, 'sent')

    @with_transaction(context={'language': 'fr'})
    def test_web_addresses(self):
        "The public and gateway addresses are http(s) addresses of a server"
        self.configure()  # the record of the settings
        for url in ['ess.sn', 'ftp://ess.sn', 'https://', 'http:/ess.sn',
                'https://ess.sn/?lang=fr', 'https://ess.sn/#a',
                'https://ess sn', 'https://ess.sn:huit', 'javascript:x']:
            with self.subTest(url=url):
                with self.assertRaises(ValidationError) as refusal:
                    self.configure(public_url=url)
                self.assertIn("Adresse publique", refusal.exception.message)
                self.assertIn("n'est pas une adresse web",
                    refusal.exception.message)
        self.configure(public_url=None)
        with self.assertRaises(ValidationError) as refusal:
            self.configure(
                notification_sender='http', sms_gateway_url='127.0.0.1/sms')
        self.assertIn(
            "Adresse de la passerelle SMS", refusal.exception.message)
        # a gateway may take its key in the query
        self.configure(sms_gateway_url='https://sms.example.sn/send?key=a')
        for url in ['https://ess.sn', 'http://127.0.0.1:8000',
                'https://ess.sn/erp/']:
            self.configure(public_url=url)

    @with_transaction(context={'language': 'fr'})
    def test_template_placeholders(self):
        "A template that cannot be filled in is refused in French"
        self.configure()  # the record of the settings
        for template in ["Remise de 50% : %(number)s", "%(number)d",
                "Dossier %(number)s %"]:
            with self.subTest(template=template):
                with self.assertRaises(ValidationError) as refusal:
                    self.configure(template_ready=template)
                self.assertIn(
                    "Message quand le document est prêt",
                    refusal.exception.message)
                self.assertIn("%(number)s", refusal.exception.message)
        self.configure(template_ready="100%% prêt : %(number)s %(inconnu)s")

    @with_transaction(context={'language': 'fr'})
    def test_warning_message_too_long(self):
        "A template or an address making an SMS too long is warned about"
        with self.assertRaises(UserWarning) as warning:
            self.configure(public_url='https://ess.sn',
                template_delivered="%(site)s " * 3 + "%(link)s")
        self.assertIn("Le SMS « Remis » compte", warning.exception.message)
        self.assertIn("Médina Yoro Foulah", warning.exception.message)
        with self.assertRaises(UserWarning):
            self.configure(
                public_url='https://' + 'services.' * 8 + 'ess.sn')
        self.configure(public_url='https://ess.sn',
            template_delivered="Merci ! Votre avis : %(link)s")

    @with_transaction()
    def test_citizen_language_without_translation(self):
        "A citizen whose language has no translation gets the French text"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Party = pool.get('party.party')
        Case = pool.get('case.case')
        wolof, = Lang.create([{
                    'name': "Wolof", 'code': 'wo', 'translatable': False,
                    'date': '%d/%m/%Y'}])
        case = create_case()
        Party.write([case.citizen], {'lang': wolof.id})
        Case.submit([case])
        notification, = case.notifications
        self.assertIn(": dossier ", notification.text)
        self.assertIn("(Extrait du bulletin", notification.text)
