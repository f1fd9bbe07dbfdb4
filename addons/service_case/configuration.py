"""Settings of the case management: attachment size limit, the answer delay
of complaints and how citizens are notified."""
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pyson import Eval

DEFAULT_ATTACHMENT_MAX_SIZE = 5  # MB
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
        help="The messages are POSTed there as JSON.")
    sms_gateway_timeout = fields.Integer(
        "SMS Gateway Timeout (s)", required=True,
        domain=[('sms_gateway_timeout', '>', 0)],
        states={
            'invisible': Eval('notification_sender') != 'http',
            })
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
        help="The address of the ERP as citizens reach it, e.g. "
        "https://ess.sn, to build the satisfaction link.")
    template_submitted = fields.Text(
        "Message on Submission",
        help="Leave empty for the standard text. Placeholders: "
        "%(number)s, %(procedure)s, %(site)s, %(due_date)s, %(link)s.")
    template_ready = fields.Text(
        "Message when Ready", help="Leave empty for the standard text.")
    template_delivered = fields.Text(
        "Message on Delivery", help="Leave empty for the standard text.")

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
    def default_notification_max_attempts(cls):
        return 5

    @classmethod
    def default_notification_retry_delay(cls):
        return 5
