from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('case.case|flag_late', "Flag Late Cases"),
                ('case.notification|send_pending', "Send Notifications"),
                ('case.published_result|compute',
                    "Compute Published Results"),
                ('case.appointment|send_reminders',
                    "Remind Appointments"),
                ])
