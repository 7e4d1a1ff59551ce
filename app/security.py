"""Roles, their permissions as data, and the security manager.

Every role is a Flask-AppBuilder *builtin* role (FAB_ROLES): its permissions are the
regular expressions below, checked in memory, so the table is the one source of truth
and `flask init` never has to edit role rows. Finer rules (which case, which
transition) are the workflow's, asked through app.access.
"""

from flask import g
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import Role as RoleRow
from flask_appbuilder.security.views import RoleModelView, UserDBModelView, UserGroupModelView
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _

from workflows.vocabulary import ANONYMOUS, Actor, Role

ADMIN = "Admin"
OFFICE = "Office"
TASK_FORCE_LEAD = "TaskForceLead"
CASEWORKER = "Caseworker"
LEADER = "Leader"

ROLE_BY_NAME = {
    ADMIN: Role.ADMIN,
    OFFICE: Role.OFFICE,
    TASK_FORCE_LEAD: Role.TASK_FORCE_LEAD,
    CASEWORKER: Role.CASEWORKER,
    LEADER: Role.LEADER,
}

# Permission names FAB gives views and APIs, grouped.
READ = r"^(can_list|can_show|can_get|can_info|can_read|can_download|menu_access)$"
ANY = r".*"
# Menu entries everyone with a role may open.
COMMON_MENUS = (
    r"^(Dashboard|Cases|MyCases|AllCases|Plan|Actions|Goals|Indicators|GoalTargets|Reports|ReportList"
    r"|Notifications)$"
)

# Every user's own account: their info page (个人信息), editing their name and e-mail, and
# changing their own password.
OWN_ACCOUNT = [
    (r"^UserDBModelView$", r"^(can_userinfo|resetmypassword|userinfoedit)$"),
    (r"^(ResetMyPasswordView|UserInfoEditView)$", r"^can_this_form_(get|post)$"),
]
# View (class_permission_name) → what each role may do there.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    ADMIN: [(ANY, ANY)],
    OFFICE: [
        (r"^(Case|Report|Notification|ExtensionRequest|Evaluation|CaseList|OfficeQueue|CalendarOverride"
         r"|Target|CaseEdit|Inspection)$", ANY),
        (r"^PlanScope$", r"^can_choose$"),
        (r"^Indicator$", r"^can_report$"),
        (r"^(Dashboard|Action|Goal|Indicator|Department|Plan|Webhook|Setting)$", READ),
        (COMMON_MENUS, "menu_access"),
        (r"^(Queues|Departments|Extensions|Evaluations|Lists|PlanDrafts|ToClose|Overdue|Inspections)$",
         "menu_access"),
        (r"^(TaskForceReports|TaskForceOverview)$", "menu_access"),
        (r"^(Reminders|ReminderSettings|TimerStatus|CalendarOverrides|Webhooks)$", "menu_access"),
        *OWN_ACCOUNT,
    ],
    TASK_FORCE_LEAD: [
        (r"^(Case|Report|Notification|CaseList|LeadQueue)$", ANY),
        (r"^CaseEdit$", r"^can_(edit|instruction)$"),
        (r"^PlanScope$", r"^can_choose$"),
        (r"^(Dashboard|Action|Goal|Indicator|Department|Plan|Target|Evaluation)$", READ),
        (COMMON_MENUS, "menu_access"),
        (r"^(Queues|Departments|ToVerify|Evaluations|TaskForceReports)$", "menu_access"),
        *OWN_ACCOUNT,
    ],
    CASEWORKER: [
        (r"^(Case|Report|Notification|CaseList|CaseworkerQueue|Target)$", ANY),
        (r"^CaseEdit$", r"^can_(report_milestone|instruction)$"),
        (r"^PlanScope$", r"^can_choose$"),
        (r"^Indicator$", r"^can_report$"),
        (r"^(Dashboard|Action|Goal|Indicator|Department|Plan|Evaluation)$", READ),
        (COMMON_MENUS, "menu_access"),
        (r"^(Queues|ToAccept|InProgress|Returned|Evaluations)$", "menu_access"),
        *OWN_ACCOUNT,
    ],
    LEADER: [
        (r"^(Dashboard|Case|Report|Notification|Action|Goal|Indicator|Department|Plan|Evaluation|Target"
         r"|Inspection)$", READ),
        (r"^(Report)$", r"^can_(post|generate)$"),
        # 领导批示: a leader's one write on a case (the API's and the page's)
        (r"^Case$", r"^can_instruct$"),
        (r"^CaseEdit$", r"^can_instruction$"),
        (r"^PlanScope$", r"^can_choose$"),
        (COMMON_MENUS, "menu_access"),
        (r"^(Departments|Evaluations|Inspections|TaskForceOverview)$", "menu_access"),
        *OWN_ACCOUNT,
    ],
}


def fab_roles() -> dict[str, list[list[str]]]:
    """FAB_ROLES in the shape FAB expects: role → [[view regex, permission regex]]."""
    return {role: [list(pair) for pair in pairs] for role, pairs in ROLE_PERMISSIONS.items()}


# How users read the roles (the role rows keep FAB's names, which permissions refer to).
ROLE_LABELS = {
    ADMIN: _("System administrator"),
    OFFICE: _("Supervision office"),
    TASK_FORCE_LEAD: _("Task-force lead"),
    CASEWORKER: _("Caseworker"),
    LEADER: _("District leader"),
    "Public": _("Anonymous visitor"),
}


def role_label(role) -> str:
    """A role's name as users read it (FAB's pages, selects and lists show str(role))."""
    return str(ROLE_LABELS.get(role.name, role.name))


RoleRow.__str__ = role_label


def _local_time(value) -> str:
    from app.formatting import local_datetime  # local: app.clock reads the app's config

    return local_datetime(value) if value else "—"


def _dash(value) -> str:
    return "—" if value is None or value == "" else str(value)


def _departments_query(task_forces: bool):
    """The choices of the user form's 所属单位 (not task forces) or 所属专班 field."""

    def query():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Department

        kind = Department.kind == "task_force"
        return db.session.scalars(
            select(Department).where(kind if task_forces else ~kind).order_by(Department.name)
        ).all()

    return query


def _department_fields() -> dict:
    """所属单位 and 所属专班: what decides which cases the user sees and acts on."""
    return {
        "units": QuerySelectMultipleField(
            _("Departments"), query_func=_departments_query(False), get_pk_func=lambda d: d.id,
            widget=Select2ManyWidget(),
            description=_("Caseworkers see and handle the cases their departments lead or "
                          "partner in."),
        ),
        "task_forces": QuerySelectMultipleField(
            _("Task forces"), query_func=_departments_query(True), get_pk_func=lambda d: d.id,
            widget=Select2ManyWidget(),
            description=_("Task-force leads verify and urge the cases of their task forces' "
                          "actions."),
        ),
    }


def _names(departments) -> str:
    return "、".join(str(d) for d in departments) or "—"


class DubanUserDBModelView(UserDBModelView):
    """FAB's user pages with Chinese values (是/否, local times, "—" for nothing), and the
    user's departments and task forces (user_department) in the add and edit forms."""

    class_permission_name = "UserDBModelView"  # FAB's permission name, unchanged

    add_form_extra_fields = {**UserDBModelView.add_form_extra_fields, **_department_fields()}
    edit_form_extra_fields = _department_fields()
    add_columns = [*UserDBModelView.add_columns[:7], "units", "task_forces",
                   *UserDBModelView.add_columns[7:]]
    edit_columns = [*UserDBModelView.edit_columns, "units", "task_forces"]
    list_columns = [*UserDBModelView.list_columns, "departments"]
    show_fieldsets = [
        (title, {**spec, "fields": [*spec["fields"], "units", "task_forces"]})
        if i == 0 else (title, spec)
        for i, (title, spec) in enumerate(UserDBModelView.show_fieldsets)
    ]
    label_columns = {**UserDBModelView.label_columns, "units": _("Departments"),
                     "task_forces": _("Task forces"), "departments": _("Departments")}

    formatters_columns = {
        "units": _names,
        "task_forces": _names,
        "departments": _names,
        "active": lambda v: gettext("Yes") if v else gettext("No"),
        "roles": lambda roles: "、".join(role_label(r) for r in roles) or "—",
        "groups": lambda groups: "、".join(str(g) for g in groups) or "—",
        "last_login": _local_time,
        "created_on": _local_time,
        "changed_on": _local_time,
        "created_by": _dash,
        "changed_by": _dash,
        "login_count": _dash,
        "fail_login_count": _dash,
        "email": _dash,
    }


class DubanRoleModelView(RoleModelView):
    """The roles by name (角色). Their permissions are data in ROLE_PERMISSIONS, not edited here."""

    class_permission_name = "RoleModelView"
    base_permissions = ["can_list", "can_show"]
    list_widget = ListWidget  # FAB's role widget lists permissions and ignores formatters
    list_columns = ["name"]
    show_columns = ["name"]
    show_widget = ShowWidget  # FAB's role widget lists permissions and ignores formatters
    search_columns = ["name"]
    label_columns = {"name": _("Role")}
    formatters_columns = {"name": lambda name: str(ROLE_LABELS.get(name, name))}


class DubanGroupModelView(UserGroupModelView):
    """FAB's groups with Chinese column names and role names."""

    class_permission_name = "UserGroupModelView"
    label_columns = {
        "name": _("Name"), "label": _("Label"), "description": _("Description"),
        "users": _("Users"), "roles": _("Roles"),
    }
    formatters_columns = {
        "roles": lambda roles: "、".join(role_label(r) for r in roles) or "—",
        "users": lambda users: "、".join(str(u) for u in users) or "—",
        "description": _dash, "label": _dash,
    }


class DubanSecurityManager(SecurityManager):
    """FAB's security manager with lock-out, the security stamp and the audit log (app.accounts)."""

    def auth_user_db(self, username, password):
        from app import accounts

        return accounts.authenticate(self, super().auth_user_db, username, password)

    def is_item_public(self, permission_name, view_name) -> bool:
        """FAB asks this twice per API request (before and after reading the token), each time
        loading the Public role and its permissions: once per request is enough."""
        from app.request_memo import memoized

        return (permission_name, view_name) in memoized(("public_permissions",), self._public_pairs)

    def _has_access_builtin_roles(self, role, permission_name: str, view_name: str) -> bool:
        """FAB matches the role's regular expressions (ROLE_PERMISSIONS) for every check, ~40
        a page (the menu, the buttons): the answer depends only on the three names and the
        roles' configuration, fixed at start, so it is kept per process."""
        key = (role.name, permission_name, view_name)
        known = self.__dict__.setdefault("_duban_builtin_access", {})
        answer = known.get(key)
        if answer is None:
            if len(known) > 20_000:  # names come from the views; never unbounded anyway
                known.clear()
            answer = known[key] = super()._has_access_builtin_roles(role, permission_name, view_name)
        return answer

    def _public_pairs(self) -> frozenset:
        # One joined SELECT of the names, not the role and then its permission views.
        from flask_appbuilder.security.sqla.models import (
            Permission,
            PermissionView,
            ViewMenu,
            assoc_permissionview_role,
        )
        from sqlalchemy import select

        rows = self.session.execute(
            select(Permission.name, ViewMenu.name)
            .join(PermissionView, PermissionView.permission_id == Permission.id)
            .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
            .join(assoc_permissionview_role,
                  assoc_permissionview_role.c.permission_view_id == PermissionView.id)
            .join(self.role_model, self.role_model.id == assoc_permissionview_role.c.role_id)
            .where(self.role_model.name == self.auth_role_public)
        ).all()
        return frozenset((permission, view) for permission, view in rows)

    def on_user_logout(self, user) -> None:
        from app import accounts

        accounts.on_logout(user)

    userdbmodelview = DubanUserDBModelView
    rolemodelview = DubanRoleModelView
    groupmodelview = DubanGroupModelView
    # FAB's user statistics chart loads Google Charts from the internet: not offered.
    userstatschartview = None


def actor_for(user) -> Actor:
    """The workflow's view of a user: roles, departments and led actions."""
    from app.models import Department  # local: models import FAB's User at mapping time

    if user is None or not getattr(user, "is_authenticated", True):
        return ANONYMOUS
    roles = frozenset(ROLE_BY_NAME[r.name] for r in user.roles if r.name in ROLE_BY_NAME)
    departments: list[Department] = user_departments(user.id)
    led_actions = frozenset()
    if Role.TASK_FORCE_LEAD in roles:
        led_actions = frozenset(
            d.action_id for d in departments if d.kind == "task_force" and d.action_id
        )
    return Actor(
        user_id=user.id,
        roles=roles,
        department_ids=frozenset(d.id for d in departments),
        led_action_ids=led_actions,
        organisation_ids=organisation_scope(d.organisation_id for d in departments),
    )


def organisation_scope(organisation_ids) -> frozenset[int] | None:
    """The organisations given and every one below them; None when none is given (the user's
    departments belong to no organisation: a single-district installation, not scoped)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Organisation

    wanted = {i for i in organisation_ids if i is not None}
    if not wanted:
        return None
    children: dict[int, list[int]] = {}
    for org_id, parent_id in db.session.execute(select(Organisation.id, Organisation.parent_id)):
        children.setdefault(parent_id, []).append(org_id)
    scope, todo = set(), list(wanted)
    while todo:
        org_id = todo.pop()
        if org_id not in scope:
            scope.add(org_id)
            todo.extend(children.get(org_id, ()))
    return frozenset(scope)


def user_departments(user_id: int):
    """The departments a user belongs to."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Department, user_department

    return list(
        db.session.scalars(
            select(Department)
            .join(user_department, user_department.c.department_id == Department.id)
            .where(user_department.c.user_id == user_id)
        )
    )


def current_actor() -> Actor:
    """The Actor of the request's user (browser session or API token), cached on `g`."""
    if "duban_actor" not in g:
        g.duban_actor = actor_for(request_user())
    return g.duban_actor


def request_user():
    """The user behind this request: the session's, else the verified JWT's, else None."""
    from flask_jwt_extended import get_current_user
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user
    try:
        return get_current_user()
    except RuntimeError:  # no JWT verified in this request
        return None
