"""Random sequences of lifecycle actions on one opportunity keep the invariants (issue 8).

A hypothesis state machine drives ``opportunities.services`` (activate, next, previous, skip, jump,
update, close, quote save and delete) with random stages, dates and figures, some of them invalid.
After every step: the whole history passes ``tests/invariants.py``, the entry count is the number of
entry-writing actions that succeeded, a refusal changed nothing, and a success put the opportunity
where SPEC §3.3 says (next → the stage after, skip → the named stage, …). Every example runs in a
savepoint that is rolled back, so examples do not see each other's data.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from common.errors import DomainError
from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry
from tests.factories import OpportunityFactory, PersonFactory
from tests.invariants import assert_opportunity_invariants
from tests.opportunities.helpers import snapshot
from tests.properties.settings import property_settings

D = Decimal
START = datetime.date(2026, 1, 5)
STAGES = [1, 2, 3, 5, 7]  # the cycle fixture's stages; 3 requires a quote, 2 and 3 may be skipped


@st.composite
def _mostly(draw, valid, invalid):
    """Usually a valid value or None (the default), now and then an invalid one."""
    roll = draw(st.integers(min_value=0, max_value=9))
    if roll == 9:
        return draw(invalid)
    return None if roll >= 7 else draw(valid)


values = _mostly(st.decimals(min_value=1, max_value=10**7, places=2), st.sampled_from([D("0"), D("-1")]))
chances = _mostly(st.decimals(min_value=D("0.01"), max_value=100, places=2), st.sampled_from([D("0"), D("100.01")]))
steps = st.integers(min_value=-2, max_value=30)  # days after the last change; negative ones are refused
close_offsets = _mostly(st.integers(min_value=0, max_value=120), st.integers(min_value=-5, max_value=-1))


def test_random_sequences_of_lifecycle_actions_keep_the_invariants(cycle, rep, won_code, lost_code):
    tally = {"examples": 0, "steps": 0, "performed": 0, "refused": 0}
    codes = {}

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()
            self.opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory())
            self.status, self.index, self.last_day, self.entries, self.has_quote = "not_started", None, START, 0, False
            tally["examples"] += 1

        def teardown(self):
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

        # --- the step, checked ------------------------------------------------------------------

        def _attempt(self, call, *, writes_entry: bool, day: datetime.date | None = None, target=None) -> bool:
            """Run ``call``; a refusal must change nothing, a success must land on ``target``."""
            tally["steps"] += 1
            pk = self.opportunity.pk
            before = snapshot(pk)
            try:
                call(Opportunity.objects.get(pk=pk))
            except (DomainError, ValidationError) as exc:
                tally["refused"] += 1
                codes[getattr(exc, "code", None) or "validation_error"] = (
                    codes.get(getattr(exc, "code", None) or "validation_error", 0) + 1
                )
                assert snapshot(pk) == before, "a refusal changed something"
                return False
            tally["performed"] += 1
            if writes_entry:
                self.entries += 1
                self.last_day = day
            if target is not None:
                self.index = target
                current = Opportunity.objects.get(pk=pk).current_stage
                assert current is not None and current.stage == STAGES[target]
            return True

        def _day(self, days: int) -> datetime.date:
            return self.last_day + datetime.timedelta(days=days)

        def _close_date(self, day, offset):
            return None if offset is None else day + datetime.timedelta(days=offset)

        # --- rules ------------------------------------------------------------------------------

        @initialize(
            start=st.integers(min_value=0, max_value=4),
            value=st.decimals(min_value=0, max_value=10**6, places=2),
            chance=st.none() | st.decimals(min_value=0, max_value=100, places=2),
        )
        def begin(self, start, value, chance):
            """Most sequences start from an activated opportunity, some from a not-started one."""
            if start != 4:
                assert self._attempt(
                    lambda o: services.opportunity_activate(
                        opportunity=o,
                        user=rep.user,
                        date_of_change=START,
                        estimated_value=value,
                        chances_of_success_pct=chance,
                    ),
                    writes_entry=True,
                    day=START,
                    target=0,
                )
                self.status = "in_progress"

        # Closing and re-activating end or stall a sequence, so they are tried only now and then
        # (``roll``): the sequences get long enough to walk through the stages.
        @rule(days=steps, value=values, chance=chances, roll=st.integers(min_value=0, max_value=4))
        def activate(self, days, value, chance, roll):
            if self.status != "not_started" and roll != 4:
                return
            day = self._day(days)
            done = self._attempt(
                lambda o: services.opportunity_activate(
                    opportunity=o,
                    user=rep.user,
                    date_of_change=day,
                    estimated_value=value,
                    chances_of_success_pct=chance,
                ),
                writes_entry=True,
                day=day,
                target=0,
            )
            assert done == (self.status == "not_started" and value != D("-1") and chance != D("100.01"))
            if done:
                self.status = "in_progress"

        @rule(
            action=st.sampled_from(["next", "previous", "update", "skip", "jump"]),
            stage=st.sampled_from([*STAGES, 4]),
            days=steps,
            value=values,
            chance=chances,
            close_offset=close_offsets,
        )
        def update_stage(self, action, stage, days, value, chance, close_offset):
            day = self._day(days)
            target = self._target(action, stage)
            done = self._attempt(
                lambda o: services.opportunity_update_stage(
                    opportunity=o,
                    user=rep.user,
                    action=action,
                    stage=stage if action in ("skip", "jump") else None,
                    date_of_change=day,
                    estimated_value=value,
                    chances_of_success_pct=chance,
                    estimated_close_date=self._close_date(day, close_offset),
                ),
                writes_entry=True,
                day=day,
                target=target,
            )
            if self.status != "in_progress" or target is None or days < 0:
                assert not done, f"{action} to {stage} should have been refused in {self.status}"

        def _target(self, action, stage):
            """The stage index SPEC §3.3 leads to, or None when the move is refused whatever the values."""
            if self.status != "in_progress":
                return None
            last = len(STAGES) - 1
            if action == "next":
                target = self.index + 1 if self.index < last else None
            elif action == "previous":
                target = self.index - 1 if self.index > 0 else None
            elif action == "update":
                target = self.index
            elif stage not in STAGES:
                target = None
            else:
                wanted = STAGES.index(stage)
                if action == "jump":
                    target = wanted if wanted < self.index else None
                else:
                    skippable = all(STAGES[i] in (2, 3) for i in range(self.index + 1, wanted))
                    target = wanted if wanted > self.index and skippable else None
            if target is not None and action in ("next", "skip") and STAGES[target] == 3 and not self.has_quote:
                return None
            return target

        @rule(
            outcome=st.sampled_from(["won", "lost"]),
            matching=st.booleans(),
            days=steps,
            amount=values,
            roll=st.integers(min_value=0, max_value=5),
        )
        def close(self, outcome, matching, days, amount, roll):
            if roll != 5:
                return
            day = self._day(days)
            code = (
                (won_code if outcome == "won" else lost_code)
                if matching
                else (lost_code if outcome == "won" else won_code)
            )
            open_before = self.status in ("not_started", "in_progress")
            done = self._attempt(
                lambda o: services.opportunity_close(
                    opportunity=o, user=rep.user, outcome=outcome, close_code=code, date_closed=day, sales_amount=amount
                ),
                writes_entry=True,
                day=day,
            )
            if not open_before or not matching:
                assert not done
            if done:
                self.status, self.index = outcome, None
                assert Opportunity.objects.get(pk=self.opportunity.pk).current_stage_id is None

        @precondition(lambda self: self.status != "not_started")
        @rule(price=st.decimals(min_value=0, max_value=10**6, places=2), blank=st.booleans())
        def quote_save(self, price, blank):
            valid = not blank
            lines = [{"description": " " if blank else "Licences", "quantity": D("2"), "unit_price": price}]
            done = self._attempt(
                lambda o: services.quote_save(opportunity=o, user=rep.user, lines=lines), writes_entry=False
            )
            assert done == (self.status == "in_progress" and valid)
            self.has_quote = self.has_quote or done

        @precondition(lambda self: self.status != "not_started")
        @rule(roll=st.integers(min_value=0, max_value=2))
        def quote_delete(self, roll):
            if roll != 2:
                return
            done = self._attempt(lambda o: services.quote_delete(opportunity=o, user=rep.user), writes_entry=False)
            assert done == (self.status == "in_progress" and self.has_quote)
            if done:
                self.has_quote = False

        @precondition(lambda self: self.status in ("won", "lost"))
        @rule()
        def nothing_moves_a_closed_opportunity(self):
            for action in ("next", "previous", "update"):
                assert not self._attempt(
                    lambda o, a=action: services.opportunity_update_stage(opportunity=o, user=rep.user, action=a),
                    writes_entry=True,
                )

        # --- after every step -------------------------------------------------------------------

        @invariant()
        def history_is_consistent(self):
            opportunity = Opportunity.objects.filter(pk=self.opportunity.pk)
            assert_opportunity_invariants(opportunity)
            assert OpportunityEntry.objects.filter(opportunity__in=opportunity).count() == self.entries
            assert opportunity.get().status == self.status

    run_state_machine_as_test(Lifecycle, settings=property_settings(30, stateful_step_count=25))
    print(f"\nlifecycle machine: {tally}, refusals {codes}")
    assert tally["performed"] > 0 and tally["refused"] > 0
