"""Who sees which cases — the one policy behind every list, page, API, download and export.

`visibility(actor)` is what the SQL layer turns into a WHERE clause; `can_view` answers for one
case and is defined through the same `Visibility`, so the two can never disagree.

- office, leader, admin: every case — an office or leader of an organisation (a city, a
  district, a township) only the cases of that organisation's plans and of those below it
  (a township's cases are the district's and the city's, never another district's);
- caseworker: cases their departments lead or partner;
- task-force lead: the cases of the actions whose task force they lead (plus their
  departments' cases when also a caseworker);
- anyone else (no role, a department but no caseworker role): nothing.

Only visibility lives here; every other "may this actor…" question is workflows.permissions'.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.vocabulary import Actor, CaseFacts, Role

# The roles that see every case (the system actor holds ADMIN).
SEES_ALL = frozenset({Role.OFFICE, Role.LEADER, Role.ADMIN})


@dataclass(frozen=True)
class Visibility:
    """Which cases an actor sees: all, or those whose department or action is listed.

    SQL: `all` -> no filter; otherwise lead_department_id IN department_ids OR any partner
    department IN department_ids OR action_id IN action_ids (both sets empty -> no rows).
    """

    all: bool
    department_ids: frozenset[int] = frozenset()
    action_ids: frozenset[int] = frozenset()
    # With `all`: only the cases of these organisations' plans (None: every case).
    organisation_ids: frozenset[int] | None = None

    @property
    def nothing(self) -> bool:
        """Whether no case at all is visible."""
        return not (self.all or self.department_ids or self.action_ids)

    def admits(self, case: CaseFacts) -> bool:
        """Whether `case` falls inside this visibility."""
        if self.all:
            return self.organisation_ids is None or case.organisation_id in self.organisation_ids
        leads = self.department_ids & {case.lead_department_id}
        partners = self.department_ids & case.partner_department_ids
        return bool(leads or partners) or case.action_id in self.action_ids


def visibility(actor: Actor) -> Visibility:
    """The cases `actor` may see, as data for a query filter."""
    if actor.roles & SEES_ALL:
        if Role.ADMIN in actor.roles or actor.organisation_ids is None:
            return Visibility(all=True)
        return Visibility(all=True, organisation_ids=actor.organisation_ids)
    departments = actor.department_ids if Role.CASEWORKER in actor.roles else frozenset()
    actions = actor.led_action_ids if Role.TASK_FORCE_LEAD in actor.roles else frozenset()
    return Visibility(all=False, department_ids=departments, action_ids=actions)


def can_view(case: CaseFacts, actor: Actor) -> bool:
    """Whether `actor` may see `case` (its page, history, evidence, dossier)."""
    return visibility(actor).admits(case)
