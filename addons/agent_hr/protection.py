"""Who may run the HR wizards: they run without access rights, so they
check the user's groups themselves, whatever context the client sends."""
from service_network.protection import check_user_groups, wizard_label

# The groups of service_network allowed to import and assign agents
HR_GROUPS = ['group_hr', 'group_network_admin']


def check_hr_user(wizard):
    "Refuse unless the user is HR or a network administrator"
    check_user_groups(HR_GROUPS, wizard_label(wizard.__name__))
