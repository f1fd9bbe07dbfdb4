"""Cases whose partner is reached through X-Road go to its REST service when
they are transmitted, and follow the status it sends back."""
import re

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from .client import XRoadClient

# INSTANCE/CLASS/MEMBER/SUBSYSTEM, then /SERVICE for a service
CLIENT_ID = re.compile(r'^[^/\s]+(/[^/\s]+){3}$')
SERVICE_ID = re.compile(r'^[^/\s]+(/[^/\s]+){4}$')


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = ('xroad', "X-Road (REST)")
        if selection not in cls.transmission.selection:
            cls.transmission.selection.append(selection)


class Endpoint(metaclass=PoolMeta):
    __name__ = 'connector.endpoint'
    _xroad = {
        'invisible': Eval('protocol') != 'xroad',
        'required': Eval('protocol') == 'xroad',
        }
    xroad_client = fields.Char(
        "X-Road Client", states=_xroad,
        help="Our subsystem, sent in the X-Road-Client header: "
        "SN/GOV/SENUM/ESS.")
    xroad_service = fields.Char(
        "X-Road Service", states=_xroad,
        help="The partner's service: SN/GOV/MJUSTICE/CASIER/criminal-record.")
    del _xroad

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = ('xroad', "X-Road (REST)")
        if selection not in cls.protocol.selection:
            cls.protocol.selection.append(selection)

    @classmethod
    def operation_labels(cls):
        labels = super().operation_labels()
        labels.update({
                'submit': gettext('connector_xroad.msg_operation_submit'),
                'status': gettext('connector_xroad.msg_operation_status'),
                })
        return labels

    @fields.depends('protocol', 'kind')
    def on_change_protocol(self):
        super().on_change_protocol()
        if self.protocol == 'xroad':
            self.kind = 'rest'

    @classmethod
    def validate_fields(cls, endpoints, field_names):
        super().validate_fields(endpoints, field_names)
        for endpoint in endpoints:
            if endpoint.protocol != 'xroad':
                continue
            for name, pattern in [
                    ('xroad_client', CLIENT_ID),
                    ('xroad_service', SERVICE_ID)]:
                value = getattr(endpoint, name) or ''
                if not pattern.match(value):
                    raise ValidationError(gettext(
                            'connector_xroad.msg_xroad_identifier',
                            endpoint=endpoint.rec_name, value=value,
                            field=cls.__names__(name)['field']))

    def get_client_xroad(self):
        return XRoadClient(
            self.url, self.xroad_client, self.xroad_service, self.secret,
            self.timeout)


class Case(metaclass=PoolMeta):
    __name__ = 'case.case'

    @classmethod
    def transmit(cls, cases):
        super().transmit(cases)
        cls.write_partner_messages(cases, 'xroad')

    def get_xroad_request(self):
        "The operation and JSON body of the request to the ministry"
        citizen = self.citizen
        return 'submit', {
            'case': self.number,
            'procedure': self.procedure.code,
            'site': self.site.code,
            'citizen': {
                'name': citizen.name,
                'national_id': getattr(citizen, 'national_id', None),
                'phone': self.phone,
                },
            }
