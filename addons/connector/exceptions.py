from trytond.exceptions import UserError


class EndpointError(UserError):
    pass


class MessageError(UserError):
    pass


class CallbackError(Exception):
    "An inbound callback is refused with the HTTP status"

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason
