from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class CaseError(UserError):
    pass


class CaseValidationError(ValidationError):
    pass


class TicketError(UserError):
    pass


class CaseAccessError(AccessError):
    pass


class NotificationError(UserError):
    pass


class ComplaintError(UserError):
    pass


class ComplaintValidationError(ValidationError):
    pass


class AttachmentValidationError(ValidationError):
    pass


class WaitingRoomError(UserError):
    pass


class AppointmentError(UserError):
    pass
