"""Settings of the case management: attachment size limit, the answer delay
of complaints and how citizens are notified."""
from urllib.parse import urlsplit

from trytond.exceptions import UserWarning
from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval

from .sms import SMS_LENGTH

# Values of the placeholders of the templates, to try them
SAMPLE = {
    'number': 'ZIG-2026-000001', 'procedure': "Casier judiciaire",
    'site': "Espace Sénégal Services de Ziguinchor",
    'due_date': '31/12/2026', 'link': 'https://ess.sn/ess/avis/x',
    }


class ConfigurationValidationError(ValidationError):
    pass


class SmsLengthWarning(UserWarning):
    pass

DEFAULT_ATTACHMENT_MAX_SIZE = 5  # MB
# The reminders of tomorrow's appointments leave from this hour
DEFAULT_REMINDER_HOUR = 17
DEFAULT_COMPLAINT_DELAY = 10  # working days


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Case Configuration"
    __name__ = 'case.configuration'
    attachment_max_size = fields.Integer(
        "Attachment Size Limit (MB)", required=True,
        domain=[('attachment_max_size', '>', 0)],
        help="Scans attached to cases and complaints may not be larger.")
    complaint_delay = fields.Integer(
        "Complaint Answer Delay", required=True,
        domain=[('complaint_delay', '>', 0)],
        help="In working days from the opening of the complaint.")
    notification_sender = fields.Selection([
            ('log', "Log Only"),
            ('http', "HTTP SMS Gateway"),
            ], "Notification Sender", required=True,
        help="Log Only writes the messages to the server log and marks "
        "them sent (tests, demonstrations).")
    sms_gateway_url = fields.Char(
        "SMS Gateway URL",
        states={
            'required': Eval('notification_sender') == 'http',
            'invisible': Eval('notification_sender') != 'http',
            },
        help="The web address of the SMS gateway (http:// or https://): "
        "each message is POSTed there as JSON.")
    sms_gateway_timeout = fields.Integer(
        "SMS Gateway Timeout (s)", required=True,
        domain=[('sms_gateway_timeout', '>', 0)],
        states={
            'invisible': Eval('notification_sender') != 'http',
            })
    sms_inbound_key = fields.Char(
        "SMS Inbound Key", strip=True,
        help="The key the SMS gateway gives with each SMS it receives "
        "(the « key » parameter of /<database>/sms/entrant): citizens "
        "track a case by texting « SUIVI <number> <code> ». Leave empty "
        "to answer no SMS. Only network administrators see it.")
    appointment_reminder_hour = fields.Integer(
        "Appointment Reminders From",
        domain=['OR', ('appointment_reminder_hour', '=', None),
            [('appointment_reminder_hour', '>=', 0),
                ('appointment_reminder_hour', '<=', 23)]],
        help="The hour (0 to 23) from which the reminders of the next "
        "day's appointments are sent, the day before: no SMS at night.")
    notification_max_attempts = fields.Integer(
        "Notification Attempts", required=True,
        domain=[('notification_max_attempts', '>', 0)],
        help="After this number of failed sends the notification stays "
        "failed until someone retries it.")
    notification_retry_delay = fields.Integer(
        "First Retry Delay (min)", required=True,
        domain=[('notification_retry_delay', '>', 0)],
        help="The delay before the first retry; it doubles at each attempt.")
    public_url = fields.Char(
        "Public URL",
        help="The address of the ERP as citizens reach it from their "
        "phones, e.g. https://ess.sn: the link of the delivery SMS to the "
        "satisfaction page starts with it. Without it, the messages that "
        "hold the link are not sent and wait in the failed notifications.")
    template_submitted = fields.Text(
        "Message on Submission",
        help="Leave empty for the standard text. Placeholders: "
        "%(number)s, %(procedure)s, %(site)s, %(due_date)s, %(link)s. "
        "An SMS holds 160 characters; accents other than é è à ù are "
        "written without.")
    template_ready = fields.Text(
        "Message when Ready",
        help="Leave empty for the standard text (same placeholders).")
    template_delivered = fields.Text(
        "Message on Delivery",
        help="Leave empty for the standard text (same placeholders; "
        "%(link)s is the satisfaction link).")

    @classmethod
    def default_attachment_max_size(cls):
        return DEFAULT_ATTACHMENT_MAX_SIZE

    @classmethod
    def default_complaint_delay(cls):
        return DEFAULT_COMPLAINT_DELAY

    @classmethod
    def default_notification_sender(cls):
        return 'log'

    @classmethod
    def default_sms_gateway_timeout(cls):
        return 10

    @classmethod
    def default_appointment_reminder_hour(cls):
        return DEFAULT_REMINDER_HOUR

    @classmethod
    def default_notification_max_attempts(cls):
        return 5

    @classmethod
    def default_notification_retry_delay(cls):
        return 5

    @classmethod
    def validate(cls, configurations):
        super().validate(configurations)
        for configuration in configurations:
            configuration.check_urls()
            configuration.check_templates()
        cls.check_sms_length(configurations)

    def check_urls(self):
        "The public and gateway addresses are http(s) web addresses"
        for name, query in [('public_url', False), ('sms_gateway_url', True)]:
            value = getattr(self, name)
            if value and not is_web_address(value, query=query):
                raise ConfigurationValidationError(gettext(
                        'service_case.msg_configuration_url_invalid',
                        field=self.__names__(name)['field'], url=value))

    def check_templates(self):
        "The templates are Python %-format strings of the placeholders"
        from .notification import render
        for name in ['template_submitted', 'template_ready',
                'template_delivered']:
            template = getattr(self, name)
            if not template:
                continue
            try:
                render(template, SAMPLE)
            except (ValueError, TypeError):
                raise ConfigurationValidationError(gettext(
                        'service_case.msg_configuration_template_invalid',
                        field=self.__names__(name)['field'])) from None

    @classmethod
    def check_sms_length(cls, configurations):
        """Warn when a message would not fit one SMS for the longest site
        and procedure names"""
        pool = Pool()
        Notification = pool.get('case.notification')
        Warning = pool.get('res.user.warning')
        for configuration in configurations:
            for event, site, _, length in Notification.longest_sms(
                    configuration):
                if length <= SMS_LENGTH:
                    continue
                key = Warning.format('sms_length', [configuration])
                if Warning.check(key):
                    raise SmsLengthWarning(key, gettext(
                            'service_case.msg_configuration_sms_too_long',
                            event=event, site=site, length=length,
                            limit=SMS_LENGTH))
                break


def is_web_address(value, query=True):
    """Whether value is an http or https address of a server (with no
    query nor fragment unless query)"""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a port out of range raises ValueError)
    except ValueError:
        return False
    return (parts.scheme in {'http', 'https'} and bool(parts.hostname)
        and not any(c.isspace() for c in value)
        and (query or not (parts.query or parts.fragment or '?' in value
                or '#' in value)))
