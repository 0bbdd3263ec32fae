"""Registry conditions -> SQL boolean expressions over the member table.

A segment's members are rows of marts.sessions (alias `sessions`), marts.users (`users`) or
marts.accounts (`account_rows`). Each condition becomes a predicate on that row; behaviour
becomes membership of the row's key in a subquery over marts.events (an account's: its users'
events, ACCOUNT_EVENTS). Windows end at as_of (docs/registry.md).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from segmart.compiler import filters
from segmart.compiler.sqltext import STRING_TYPE, combine, indent, jinja, subquery_membership
from segmart.registry.catalog import Catalog
from segmart.registry.loader import Registry
from segmart.registry.models import (
    Aggregate,
    AllOf,
    AnyOf,
    AttributeFilter,
    Between,
    Changed,
    ConditionVisitor,
    Duration,
    EventStep,
    FirstTime,
    HadSessions,
    InList,
    InSegment,
    LastDays,
    LastHours,
    Members,
    Not,
    NotPerformed,
    NotStep,
    OfAccount,
    Performed,
    PropertyFilter,
    Regularly,
    RelativeTo,
    Restarted,
    Sequence,
    Stopped,
    Times,
    TraitFilter,
    anchored,
)
from segmart.settings import project_time_zone
from segmart.sql import identifier, literal

AS_OF = filters.AS_OF
EVENTS = "{{ ref('events') }}"
SESSIONS = "{{ ref('sessions') }}"
USERS = "{{ ref('users') }}"
ACCOUNTS = "{{ ref('accounts') }}"


# How an in_list matches: (users-side key, list-side key) by list column. Emails ignore case;
# ids are text in the marts while a CSV of numbers loads as integers.
LIST_KEYS = {
    "email": ("lower(users.email)", "lower(listed.email)"),
    "user_id": ("users.user_id", f"cast(listed.user_id as {STRING_TYPE})"),
}


class CompileError(ValueError):
    """A valid registry entry the compiler cannot express (names the segment)."""


ACCOUNT_USERS = "{{ ref('account_users') }}"
# At account grain behaviour is the account's: its members' events and sessions, each row's
# visitor_id replaced by the account (a user in two accounts counts in both), so every
# condition reads them as it reads a visitor's. CTEs of the account segment's model
# (segmart.compiler.models.account_sources).
ACCOUNT_EVENTS = "account_events"
ACCOUNT_SESSIONS = "account_sessions"


@dataclass(frozen=True)
class Grain:
    """The member table of a segment, its keys and where its behaviour is read."""

    name: str  # "session", "user" or "account"
    alias: str  # "sessions", "users" or "account_rows" (sqlfluff reads "accounts" as a keyword)
    key: str  # the member key column
    owner: str = "visitor_id"  # the column behaviour is grouped by (events' visitor_id)
    events: str = EVENTS
    sessions: str = SESSIONS

    @property
    def member_key(self) -> str:
        return f"{self.alias}.{self.key}"

    @property
    def visitor_key(self) -> str:
        """The member row's column its behaviour belongs to: the visitor, or the account."""
        return f"{self.alias}.{self.owner}"


SESSION = Grain("session", "sessions", "session_id")
USER = Grain("user", "users", "visitor_id")
ACCOUNT = Grain(
    "account", "account_rows", "account_id", "account_id", ACCOUNT_EVENTS, ACCOUNT_SESSIONS
)
GRAINS = {grain.name: grain for grain in (SESSION, USER, ACCOUNT)}


def model_ref(segment_name: str) -> str:
    return jinja(f"ref('seg_{identifier(segment_name)}')")


def as_of_minus(duration: Duration) -> str:
    """as_of minus a registry duration, in SQL."""
    return jinja(f"segmart.time_add('{duration.unit}', -{int(duration.amount)}, segmart.as_of())")


def ago(days: int = 0, hours: int = 0) -> str:
    """as_of minus a duration, in SQL."""
    if hours:
        return jinja(f"segmart.time_add('hour', -{int(hours)}, segmart.as_of())")
    return jinja(f"segmart.time_add('day', -{int(days)}, segmart.as_of())")


class ConditionCompiler(ConditionVisitor[str]):
    """A condition as a SQL boolean expression over the segment's member row."""

    def __init__(self, grain: Grain, catalog: Catalog, segment_name: str, registry: Registry):
        self.grain = grain
        self.catalog = catalog
        self.segment_name = segment_name
        self.registry = registry  # other segments' grains (in_segment across grains)
        # Where the segment's dates are days: its own time zone, else the project's.
        self.zone = ZoneInfo(registry[segment_name].time_zone or project_time_zone())

    # --- boolean groups ---------------------------------------------------------------------

    def visit_all(self, condition: AllOf) -> str:
        return combine("and", [self.visit(child) for child in condition.conditions])

    def visit_any(self, condition: AnyOf) -> str:
        return combine("or", [self.visit(child) for child in condition.conditions])

    def visit_not(self, condition: Not) -> str:
        # A condition SQL cannot decide for a row (a filter on a null column) does not hold, so
        # its negation holds: plain `not` would keep the null and drop the row.
        inner = self.visit(condition.condition)
        if "\n" in inner:
            return f"not coalesce(\n{indent(inner)},\n{indent('false')}\n)"
        return f"not coalesce({inner}, false)"

    # --- attributes -------------------------------------------------------------------------

    def visit_attribute(self, condition: AttributeFilter) -> str:
        if condition.is_user_column:
            column = self.catalog.users[condition.column]
            test = filters.predicate(
                f"users.{identifier(column.name)}", column.kind, condition, self.zone
            )
            query = f"select users.visitor_id from {USERS} as users\nwhere {test}"
            return subquery_membership(self.grain.visitor_key, query)
        column = self.catalog.columns(self.grain.name)[condition.column]
        return filters.predicate(
            f"{self.grain.alias}.{identifier(column.name)}", column.kind, condition, self.zone
        )

    def visit_trait(self, condition: TraitFilter) -> str:
        # Every visitor with events by as_of (every account with group calls), the trait null
        # when never set: not_equals and is_not_set keep those without it, as they do for a
        # users column. An account's traits are its group calls'.
        owner, call = ("group_id", "group") if self.grain is ACCOUNT else ("visitor_id", "identify")
        tests = [f"events.event_at <= {AS_OF}"]
        if self.grain is ACCOUNT:
            tests.append("events.message_type = 'group'")
        latest = (
            "select\n"
            + indent(
                f"events.{owner} as owner_id,\n"
                + jinja(f"segmart.latest_trait('{condition.trait}', call='{call}')")
                + " as trait_value"
            )
            + f"\nfrom {EVENTS} as events\n{where_clause(tests)}"
            + f"\ngroup by events.{owner}"
        )
        query = (
            f"select latest_traits.owner_id\nfrom (\n{indent(latest)}\n) as latest_traits\n"
            + where_clause(
                [json_value_predicate("latest_traits.trait_value", condition, self.zone)]
            )
        )
        return subquery_membership(self.grain.visitor_key, query)

    # --- behaviour --------------------------------------------------------------------------

    def _behaviour_key(self, same_session: bool | None) -> tuple[str, str]:
        """(member-side key, events-side key) for behaviour of the member."""
        if self.grain is SESSION and same_session is not False:
            return self.grain.member_key, "events.session_id"
        return self.grain.visitor_key, "events.visitor_id"

    def _window(self, alias: str, window, at: str | None = None) -> list[str]:
        """window_predicates() with anchors among the segment's own behaviour."""
        return window_predicates(alias, window, at, self.zone, self.grain.events)

    def _event_predicates(self, event: str, where, alias: str = "events") -> list[str]:
        """The event's name and its `where` filters, on events read from event_source()."""
        return event_predicates(alias, event, where, trait_columns(where), self.zone)

    def _events_query(self, event_key: str, event: str, where, window, extra=()) -> str:
        """select <event_key> from events [anchors] where <event, filters, window>."""
        tests = [*self._event_predicates(event, where), *extra]
        tests += self._window("events", window)
        if event_key.endswith("session_id"):
            tests.append(f"{event_key} is not null")
        source = event_source("events", where, self.grain.events)
        select = f"select {event_key}" + ("\nfrom " if "\n" in source else " from ")
        return f"{select}{source}\n{where_clause(tests)}"

    def visit_performed(self, condition: Performed) -> str:
        member_key, event_key = self._behaviour_key(condition.same_session)
        query = self._events_query(event_key, condition.event, condition.where, condition.window)
        return self._counted(member_key, query, event_key, condition.times)

    def _counted(self, member_key: str, query: str, key: str, times: Times) -> str:
        """Members whose rows of `query` (selecting `key`) number as `times` says."""
        if times.at_least == 1:
            return subquery_membership(member_key, query)
        if times.at_most is not None:
            counted = f"{query}\ngroup by {key}\nhaving count(*) > {int(times.at_most)}"
            return subquery_membership(member_key, counted, negate=True)
        if times.exactly == 0:
            return subquery_membership(member_key, query, negate=True)
        bound = (
            f">= {int(times.at_least)}" if times.at_least is not None else f"= {int(times.exactly)}"
        )
        counted = f"{query}\ngroup by {key}\nhaving count(*) {bound}"
        return subquery_membership(member_key, counted)

    def visit_not_performed(self, condition: NotPerformed) -> str:
        member_key, event_key = self._behaviour_key(condition.same_session)
        query = self._events_query(event_key, condition.event, condition.where, condition.window)
        return subquery_membership(member_key, query, negate=True)

    def visit_sequence(self, condition: Sequence) -> str:
        # At session grain a sequence is within the member session, `within` given or not.
        same_session = condition.within == "same_session" or (
            self.grain is SESSION and condition.within is None
        )
        link = "session_id" if same_session else "visitor_id"
        positive = [step for step in condition.steps if isinstance(step, EventStep)]
        negative = [step for step in condition.steps if isinstance(step, NotStep)]
        if (negative and not isinstance(condition.steps[-1], NotStep)) or len(negative) > 1:
            raise CompileError(
                f"segment {self.segment_name!r}: a sequence's `not` step must be its last step"
            )
        limit = condition.within if isinstance(condition.within, Duration) else None

        lines = [
            f"select step_1.{self._sequence_key(same_session)}",
            f"from {event_source('step_1', positive[0].where, self.grain.events)}",
        ]
        tests = self._event_predicates(positive[0].event, positive[0].where, "step_1")
        tests += self._window("step_1", condition.window)
        for number, step in enumerate(positive[1:], start=2):
            current, previous = f"step_{number}", f"step_{number - 1}"
            on = [
                f"{previous}.{link} = {current}.{link}",
                f"{previous}.event_at < {current}.event_at",
            ]
            step_limit = step.within or limit
            if step_limit:
                on.append(f"{current}.event_at <= {time_after(previous + '.event_at', step_limit)}")
            lines.append(f"inner join {event_source(current, step.where, self.grain.events)}")
            lines.append(indent("on " + "\n    and ".join(on)))  # one-line terms only
            tests += self._event_predicates(step.event, step.where, current)
            tests.append(f"{current}.event_at <= {AS_OF}")
        last = f"step_{len(positive)}"
        if condition.session_where:
            lines.append(f"inner join {SESSIONS} as step_session")
            lines.append(indent("on step_1.session_id = step_session.session_id"))
            for item in condition.session_where:
                column = self.catalog.sessions[item.column]
                tests.append(
                    filters.predicate(
                        f"step_session.{identifier(column.name)}", column.kind, item, self.zone
                    )
                )
        if same_session:
            tests.append("step_1.session_id is not null")
        if negative:
            later = [
                f"later.{link} = {last}.{link}",
                f"later.event_at > {last}.event_at",
                f"later.event_at <= {AS_OF}",
                f"later.event_name = {literal(negative[0].event)}",
            ]
            not_limit = negative[0].within or limit
            if not_limit:
                later.append(f"later.event_at <= {time_after(last + '.event_at', not_limit)}")
                # "No B within 30 minutes" is known only once the 30 minutes have passed.
                tests.append(f"{last}.event_at <= {as_of_minus(not_limit)}")
            tests.append(
                "not exists (\n"
                + indent(f"select 1 from {self.grain.events} as later\n{where_clause(later)}")
                + "\n)"
            )
        lines.append(where_clause(tests))
        member_key = self.grain.member_key if self.grain is SESSION else self.grain.visitor_key
        return subquery_membership(member_key, "\n".join(lines))

    def _sequence_key(self, same_session: bool) -> str:
        return "session_id" if self.grain is SESSION and same_session else "visitor_id"

    # --- lifecycle --------------------------------------------------------------------------

    def _visitor_events(self, event: str, *tests: str) -> str:
        tests = [f"events.event_name = {literal(event)}", *tests]
        return f"select events.visitor_id from {self.grain.events} as events\n{where_clause(tests)}"

    def visit_first_time(self, condition: FirstTime) -> str:
        # An anchored window is refused by the registry checks (it has no single time here).
        first = self._window("events", condition.window, "min(events.event_at)")
        query = (
            self._visitor_events(condition.event, f"events.event_at <= {AS_OF}")
            + "\ngroup by events.visitor_id\n"
            + where_clause(first, "having")
        )
        return subquery_membership(self.grain.visitor_key, query)

    def visit_regularly(self, condition: Regularly) -> str:
        period_seconds = 86400 if condition.per == "day" else 7 * 86400
        days = condition.of_last * (1 if condition.per == "day" else 7)
        seconds_ago = "{{ segmart.seconds_between('events.event_at', segmart.as_of()) }}"
        tests = [
            f"events.event_name = {literal(condition.event)}",
            *self._window("events", LastDays(last_days=days)),
        ]
        periods = (
            f"select\n    events.visitor_id,\n    floor({seconds_ago} / {period_seconds})"
            f" as periods_ago\nfrom {self.grain.events} as events\n{where_clause(tests)}\n"
            f"group by events.visitor_id, periods_ago\nhaving count(*) >= {int(condition.at_least)}"
        )
        query = (
            f"select active_periods.visitor_id\nfrom (\n{indent(periods)}\n) as active_periods\n"
            f"group by active_periods.visitor_id\nhaving count(*) >= {int(condition.in_at_least)}"
        )
        return subquery_membership(self.grain.visitor_key, query)

    def visit_stopped(self, condition: Stopped) -> str:
        cutoff = ago(days=condition.recent_days)
        before = self._visitor_events(condition.event, f"events.event_at <= {cutoff}")
        recent = self._visitor_events(
            condition.event, f"events.event_at > {cutoff}", f"events.event_at <= {AS_OF}"
        )
        key = self.grain.visitor_key
        return combine(
            "and", [subquery_membership(key, before), subquery_membership(key, recent, True)]
        )

    def visit_restarted(self, condition: Restarted) -> str:
        recent_start = ago(days=condition.recent_days)
        gap_start = ago(days=condition.recent_days + condition.gap_days)
        key = self.grain.visitor_key
        before = self._visitor_events(condition.event, f"events.event_at <= {gap_start}")
        gap = self._visitor_events(
            condition.event, f"events.event_at > {gap_start}", f"events.event_at <= {recent_start}"
        )
        recent = self._visitor_events(
            condition.event, f"events.event_at > {recent_start}", f"events.event_at <= {AS_OF}"
        )
        return combine(
            "and",
            [
                subquery_membership(key, before),
                subquery_membership(key, gap, negate=True),
                subquery_membership(key, recent),
            ],
        )

    def visit_changed(self, condition: Changed) -> str:
        recent_start = ago(days=condition.recent_days)
        prior_start = ago(days=2 * condition.recent_days)
        if condition.measure == "sessions":
            source, at, tests = f"{self.grain.sessions} as measured", "measured.session_start", []
        else:
            source, at = f"{self.grain.events} as measured", "measured.event_at"
            tests = [f"measured.event_name = {literal(condition.measure.event)}"]
        factor = (
            1 - condition.percent / 100
            if condition.direction == "dropped"
            else 1 + condition.percent / 100
        )
        compare = "<=" if condition.direction == "dropped" else ">="
        counts = (
            "select\n"
            + indent(
                "measured.visitor_id,\n"
                f"{count_when(f'{at} > {recent_start}')} as recent_count,\n"
                f"{count_when(f'{at} <= {recent_start}')} as prior_count"
            )
            + f"\nfrom {source}\n"
            + where_clause([*tests, f"{at} > {prior_start}", f"{at} <= {AS_OF}"])
            + "\ngroup by measured.visitor_id"
        )
        query = (
            f"select period_counts.visitor_id\nfrom (\n{indent(counts)}\n) as period_counts\n"
            + where_clause(
                [
                    f"period_counts.prior_count >= {int(condition.prior_at_least)}",
                    f"period_counts.recent_count {compare} period_counts.prior_count"
                    f" * {literal(float(factor))}",
                ]
            )
        )
        return subquery_membership(self.grain.visitor_key, query)

    # --- aggregates, references, lists ------------------------------------------------------

    def visit_aggregate(self, condition: Aggregate) -> str:
        measure = condition.measure
        if measure.column is not None:
            return self._sessions_aggregate(condition)
        member_key, event_key = self._behaviour_key(measure.same_session)
        query = self._events_query(event_key, measure.event, (), measure.window)
        if measure.function == "count":
            aggregated = "count(*)"
        else:
            value = json_number("events", measure.property, "double")
            aggregated = f"{measure.function}({value})"
        test = aggregate_test(aggregated, condition.operator, condition.value)
        return subquery_membership(member_key, f"{query}\ngroup by {event_key}\nhaving {test}")

    def _sessions_aggregate(self, condition: Aggregate) -> str:
        """A function of a sessions column over the user's sessions in the window (user grain)."""
        measure = condition.measure
        column = f"sessions.{identifier(self.catalog.sessions[measure.column].name)}"
        test = aggregate_test(f"{measure.function}({column})", condition.operator, condition.value)
        query = (
            f"select sessions.visitor_id from {self.grain.sessions} as sessions\n"
            + where_clause(self._window("sessions", measure.window, "sessions.session_start"))
            + f"\ngroup by sessions.visitor_id\nhaving {test}"
        )
        return subquery_membership(self.grain.visitor_key, query)

    def segment_members(self, name: str, key: str) -> str:
        """A query of the `key` column (session_id or visitor_id) of segment `name`'s members."""
        return f"select referenced.{key} from {model_ref(name)} as referenced"

    def visit_in_segment(self, condition: InSegment) -> str:
        # Across grains members meet through their visitor: the session's visitor is in the user
        # segment, or the user has a session in the session segment; an account has a member
        # there; a user or session's visitor is in an account that is in the account segment.
        name, other = condition.segment, self.registry[condition.segment].grain
        if other == self.grain.name:
            return subquery_membership(
                self.grain.member_key, self.segment_members(name, self.grain.key)
            )
        if ACCOUNT.name not in (other, self.grain.name):
            return subquery_membership(
                self.grain.visitor_key, self.segment_members(name, "visitor_id")
            )
        if other == ACCOUNT.name:
            accounts = self.segment_members(name, ACCOUNT.key)
            query = account_users_where("visitor_id", "account_id", accounts)
            return subquery_membership(f"{self.grain.alias}.visitor_id", query)
        visitors = self.segment_members(name, "visitor_id")
        query = account_users_where("account_id", "visitor_id", visitors)
        return subquery_membership(self.grain.member_key, query)

    def at_grain(self, grain: Grain) -> ConditionCompiler:
        """This compiler for a condition about another member (an account's user, a user's
        account), with the segment's own registry and time zone."""
        other = copy.copy(self)
        other.grain = grain
        return other

    def visit_members(self, condition: Members) -> str:
        query = f"select account_users.account_id\nfrom {ACCOUNT_USERS} as account_users"
        if condition.where is not None:
            test = self.at_grain(USER).visit(condition.where)
            query += (
                f"\ninner join {USERS} as users"
                "\n    on account_users.visitor_id = users.visitor_id\n" + where_clause([test])
            )
        return self._counted(
            self.grain.member_key, query, "account_users.account_id", condition.times
        )

    def visit_account(self, condition: OfAccount) -> str:
        test = self.at_grain(ACCOUNT).visit(condition.condition)
        query = (
            f"select account_users.visitor_id\nfrom {ACCOUNT_USERS} as account_users\n"
            f"inner join {ACCOUNTS} as {ACCOUNT.alias}\n"
            f"    on account_users.account_id = {ACCOUNT.alias}.account_id\n" + where_clause([test])
        )
        return subquery_membership(f"{self.grain.alias}.visitor_id", query)

    def visit_sessions(self, condition: HadSessions) -> str:
        tests = [
            filters.predicate(
                f"sessions.{identifier(self.catalog.sessions[item.column].name)}",
                self.catalog.sessions[item.column].kind,
                item,
                self.zone,
            )
            for item in condition.where
        ]
        if condition.in_segment is not None:
            query = self.segment_members(condition.in_segment, "session_id")
            tests.append(subquery_membership("sessions.session_id", query))
        tests += self._window("sessions", condition.window, "sessions.session_start")
        source = self.grain.sessions
        query = f"select sessions.visitor_id from {source} as sessions\n{where_clause(tests)}"
        return self._counted(self.grain.visitor_key, query, "sessions.visitor_id", condition.times)

    def visit_in_list(self, condition: InList) -> str:
        user_key, listed_key = LIST_KEYS[condition.by]
        query = f"select {listed_key} from {list_seed(condition.list)} as listed"
        return subquery_membership(user_key, query)


def account_users_where(selected: str, tested: str, query: str) -> str:
    """marts.account_users' `selected` column of the pairs whose `tested` column is in `query`."""
    return (
        f"select account_users.{selected}\nfrom {ACCOUNT_USERS} as account_users\nwhere "
        + subquery_membership(f"account_users.{tested}", query)
    )


def list_seed(list_name: str) -> str:
    # The seed is seeds/segment_lists/<list>.csv: dbt names a seed after its file.
    return jinja(f"ref('{identifier(list_name)}')")


def where_clause(tests: list[str], keyword: str = "where") -> str:
    """`where` and the tests, one per line, multi-line tests indented with them."""
    return f"{keyword}\n" + indent(combine("and", tests))


def json_text(alias: str, path: str, document: str = "properties") -> str:
    """A value of an event's JSON `document` (properties or traits) as text."""
    return jinja(f"segmart.json_text('{alias}.{document}', '$.{path}')")


def identify_calls(alias: str) -> str:
    """The events of `alias` that set traits (what a trait's actual values are read from)."""
    return f"{alias}.message_type = 'identify'"


def json_number(alias: str, path: str, data_type: str) -> str:
    """A property converted to `data_type`, null when it does not convert (engine-specific:
    the try_cast dispatch macro)."""
    return jinja(f"segmart.json_as('{alias}.properties', '$.{path}', '{data_type}')")


def property_predicate(alias: str, event: str, item: PropertyFilter, zone: ZoneInfo) -> str:
    """A filter on an event property; page fields of page/screen views are real columns."""
    column = item.page_field(event)
    if column is not None:
        return filters.predicate(f"{alias}.{column}", "text", item, zone)
    return json_value_predicate(json_text(alias, item.property), item, zone)


def json_value_predicate(text: str, item: PropertyFilter | TraitFilter, zone: ZoneInfo) -> str:
    """A filter on a JSON value read as text (`text`, SQL), converted to the filter's kind
    first: a value that does not convert is null, so only not_equals and is_not_set keep it."""
    kind = item.kind
    column = (
        text
        if kind == "text"
        else jinja(f"segmart.try_cast({filters.jinja_argument(text)}, '{_CASTS[kind]}')")
    )
    return filters.predicate(column, kind, item, zone)


_CASTS = {"number": "double", "boolean": "boolean", "timestamp": "timestamp"}


def trait_columns(where) -> dict[str, str]:
    """The column of event_source() holding each trait an event's filters read, by trait."""
    traits = dict.fromkeys(item.trait for item in where if isinstance(item, TraitFilter))
    return {trait: f"trait_value_{number}" for number, trait in enumerate(traits, start=1)}


def event_source(alias: str, where, events: str = EVENTS) -> str:
    """marts.events as `alias`, with the value each trait `where` filters on had at each event
    (macros/marts/traits.sql) when there are such filters."""
    traits = trait_columns(where)
    if not traits:
        return f"{events} as {alias}"
    columns = [
        jinja(f"segmart.trait_at_event('all_events', '{trait}')") + f" as {column}"
        for trait, column in traits.items()
    ]
    select = (
        "select\n"
        + indent(",\n".join(["all_events.*", *columns]))
        + f"\nfrom {EVENTS} as all_events"
    )
    return f"(\n{indent(select)}\n) as {alias}"


def event_predicates(
    alias: str, event: str, where, traits: dict[str, str], zone: ZoneInfo
) -> list[str]:
    """The event's name and its `where` filters on the row `alias` of an event_source() whose
    trait columns are `traits` (trait_columns() of all the filters it was built for)."""
    tests = [f"{alias}.event_name = {literal(event)}"]
    for item in where:
        if isinstance(item, TraitFilter):
            tests.append(json_value_predicate(f"{alias}.{traits[item.trait]}", item, zone))
        else:
            tests.append(property_predicate(alias, event, item, zone))
    return tests


def count_when(test: str) -> str:
    return f"count(\n    case\n        when {test}\n            then 1\n    end\n)"


def time_after(timestamp: str, duration: Duration, sign: int = 1) -> str:
    """`timestamp` (SQL) plus the duration, or minus it with sign=-1."""
    amount = sign * int(duration.amount)
    return jinja(f"segmart.time_add('{duration.unit}', {amount}, '{timestamp}')")


def window_predicates(
    alias: str, window, at: str | None, zone: ZoneInfo, events: str = EVENTS
) -> list[str]:
    """Predicates putting the time of the event `alias` (its event_at, or the expression `at`)
    in the window (dates are days in `zone`); every window ends at as_of."""
    at = at or f"{alias}.event_at"
    if window is None:
        return [f"{at} <= {AS_OF}"]
    if isinstance(window, LastDays):
        return [f"{at} > {ago(days=window.last_days)}", f"{at} <= {AS_OF}"]
    if isinstance(window, LastHours):
        return [f"{at} > {ago(hours=window.last_hours)}", f"{at} <= {AS_OF}"]
    if isinstance(window, Between):
        start, end = window.between
        # A date as the end means the whole day: up to the next day's start.
        upper = (
            f"{at} <= {literal(end)}"
            if isinstance(end, datetime)
            else f"{at} < {literal(filters.next_day_start(end, zone))}"
        )
        return [f"{at} >= {literal(filters.at_midnight(start, zone))}", upper, f"{at} <= {AS_OF}"]
    relative = anchored(window)
    if relative is not None:
        return [anchored_test(alias, relative, at, events), f"{at} <= {AS_OF}"]
    raise TypeError(f"unknown window {window!r}")


def anchored_test(alias: str, window: RelativeTo, at: str, events: str = EVENTS) -> str:
    """The time `at` of the row `alias` (an event or a session, with its visitor_id) is within
    the window of an occurrence (first, last or any) of the anchor event by the same visitor,
    up to as_of."""
    anchor_tests = [
        f"anchor_events.event_name = {literal(window.relative_to)}",
        f"anchor_events.event_at <= {AS_OF}",
    ]
    if window.occurrence == "every":
        anchors = (
            "select\n    anchor_events.visitor_id,\n    anchor_events.event_at as anchor_at\n"
            f"from {events} as anchor_events\n{where_clause(anchor_tests)}"
        )
    else:
        extreme = "min" if window.occurrence == "first" else "max"
        anchors = (
            "select\n    anchor_events.visitor_id,\n"
            f"    {extreme}(anchor_events.event_at) as anchor_at\n"
            f"from {events} as anchor_events\n{where_clause(anchor_tests)}\n"
            "group by anchor_events.visitor_id"
        )
    before = window.direction in ("before", "around")
    after = window.direction in ("after", "around")
    lower = time_after("anchors.anchor_at", window.duration, -1) if before else "anchors.anchor_at"
    upper = time_after("anchors.anchor_at", window.duration) if after else "anchors.anchor_at"
    tests = [f"anchors.visitor_id = {alias}.visitor_id", f"{at} >= {lower}", f"{at} <= {upper}"]
    return (
        "exists (\n"
        + indent(f"select 1\nfrom (\n{indent(anchors)}\n) as anchors\n{where_clause(tests)}")
        + "\n)"
    )


def aggregate_test(aggregated: str, operator: str, value) -> str:
    if operator == "between":
        low, high = value
        return f"{aggregated} between {literal(low)} and {literal(high)}"
    symbols = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "equals": "="}
    return f"{aggregated} {symbols[operator]} {literal(value)}"
