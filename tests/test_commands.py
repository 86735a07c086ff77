"""The demo and scale data commands: ``seed_demo`` and ``generate_data``."""

import datetime
import io
import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from contacts.models import Contact, ContactSearchString, Salesperson
from contacts.services import contact_create
from opportunities import services
from opportunities.management import scale
from opportunities.management.commands.seed_demo import DEMO_PASSWORD, SALESPERSON_CODES
from opportunities.management.history import plan_history, run_with_services
from opportunities.management.setup_data import SALES_CYCLES, ensure_setup, value_range
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, StageHistoryVersion, Task
from opportunities.permissions import MANAGERS_GROUP
from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage
from tests.invariants import assert_opportunity_invariants, opportunity_problems

User = get_user_model()
D = Decimal
MODELS = (
    User,
    Group,
    Salesperson,
    Contact,
    ContactSearchString,
    SalesCycle,
    SalesCycleStage,
    Activity,
    ActivityStep,
    CloseOpportunityCode,
    Opportunity,
    OpportunityEntry,
    Quote,
    QuoteLine,
    Task,
)


# Fast hashing for the class-wide seed; the checks accept it whatever the test's own setting is.
HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def run(command: str, **options) -> str:
    out = io.StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


# --- seed_demo ---------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the class, on top of one pre-existing user; rolled back afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=HASHERS), transaction.atomic():
        User.objects.create_user("ben", password="bens-own-password-1", first_name="Benjamin")
        output = run("seed_demo")
        yield output
        transaction.set_rollback(True)


@pytest.mark.usefixtures("seeded")
class TestSeedDemo:
    def test_second_run_creates_and_changes_nothing(self, db):
        before = counts()
        entries_before = list(OpportunityEntry.objects.order_by("id").values_list("id", "active", "days_open"))
        output = run("seed_demo")
        assert counts() == before
        assert list(OpportunityEntry.objects.order_by("id").values_list("id", "active", "days_open")) == entries_before
        assert "nothing was created or changed" in output

    def test_output_lists_the_logins_and_the_password(self, db, seeded):
        for text in (DEMO_PASSWORD, "admin", "manager", "anna", "frida", "/admin/"):
            assert text in seeded
        assert "ben" in seeded and "already existed" in seeded

    def test_every_status_in_the_expected_numbers(self, db):
        statuses = dict(Opportunity.objects.values_list("status").annotate(n=Count("id")))
        assert set(statuses) == set(Opportunity.Status.values)
        assert 140 <= sum(statuses.values()) <= 160
        assert statuses["in_progress"] >= 50 and statuses["won"] >= 20 and statuses["lost"] >= 15
        # In progress at many different stages of every open cycle.
        stages = Opportunity.objects.in_progress().values("current_stage").distinct().count()
        assert stages >= 10

    def test_leads_wait_in_the_inbox_from_every_source(self, db):
        from leads.models import Lead

        assert set(Lead.objects.values_list("source", flat=True)) == {"web_form", "api", "import", "manual"}
        assert Lead.objects.filter(status="new", salesperson=None).count() == 8
        assert Lead.objects.filter(status="disqualified").exclude(disqualification_reason="").count() == 1
        # The one written by a known contact is flagged.
        assert Lead.objects.filter(is_possible_duplicate=True).count() >= 1

    def test_every_probability_method_is_used(self, db):
        used = set(Opportunity.objects.values_list("sales_cycle__probability_calculation", flat=True))
        assert used == {"multiply", "add", "chances_of_success", "completed"}
        # The cycle of the fourth method is retired: blocked, with closed opportunities only.
        old = SalesCycle.objects.get(probability_calculation="completed")
        assert old.blocked
        assert not old.opportunities.filter(closed=False).exists()

    def test_setup_exercises_every_rule(self, db):
        stages = SalesCycleStage.objects.all()
        assert stages.filter(quote_required=True).exists()
        assert stages.filter(allow_skip=True).exists()
        assert stages.filter(activity__isnull=False).exists()
        assert stages.filter(chances_of_success_pct=0).exists()
        formulas = set(stages.values_list("date_formula", flat=True))
        assert {"7D", "2W", "1M+10D", "CM", "CM+1M"} <= formulas
        numbers = list(SalesCycleStage.objects.filter(sales_cycle__code="EXISTING").values_list("stage", flat=True))
        assert numbers != list(range(1, len(numbers) + 1))  # gaps
        steps = ActivityStep.objects.all()
        assert {"task", "phone_call", "meeting"} == set(steps.values_list("type", flat=True))
        assert {"low", "normal", "high"} == set(steps.values_list("priority", flat=True))

    def test_close_codes_of_both_types_are_used(self, db):
        assert set(CloseOpportunityCode.objects.values_list("type", flat=True)) == {"won", "lost"}
        won_codes = set(Opportunity.objects.filter(status="won").values_list("close_code__type", flat=True))
        lost_codes = set(Opportunity.objects.filter(status="lost").values_list("close_code__type", flat=True))
        assert won_codes == {"won"} and lost_codes == {"lost"}

    def test_every_action_appears_in_the_history(self, db):
        actions = set(OpportunityEntry.objects.values_list("action_taken", flat=True))
        assert actions == set(OpportunityEntry.Action.values)

    def test_salespeople_manager_and_admin(self, db):
        reps = Salesperson.objects.filter(code__in=SALESPERSON_CODES, user__isnull=False)
        assert reps.count() == 6
        for salesperson in reps:
            assert salesperson.opportunities.exists()
            assert salesperson.email and salesperson.phone and salesperson.job_title
        manager = User.objects.get(username="manager")
        assert manager.groups.filter(name=MANAGERS_GROUP).exists()
        assert manager.is_staff and not manager.is_superuser
        assert not Salesperson.objects.filter(user=manager).exists()
        assert User.objects.get(username="admin").is_superuser
        with override_settings(PASSWORD_HASHERS=HASHERS):
            assert User.objects.get(username="anna").check_password(DEMO_PASSWORD)

    def test_an_existing_user_is_left_alone(self, db):
        ben = User.objects.get(username="ben")
        assert ben.first_name == "Benjamin"
        with override_settings(PASSWORD_HASHERS=HASHERS):
            assert ben.check_password("bens-own-password-1")
        assert Salesperson.objects.get(code="BC").user == ben

    def test_contacts_with_search_strings(self, db):
        assert Contact.objects.companies().count() == 40
        assert Contact.objects.persons().count() == 80
        assert set(Contact.objects.values_list("country", flat=True)) == {"DE", "NL", "FI", "NO", "ES", "GB"}
        without_strings = Contact.objects.annotate(n=Count("search_strings")).filter(n=0)
        assert not without_strings.exists()
        assert not Contact.objects.filter(email="").exists()

    def test_history_is_consistent_and_within_the_last_year(self, db):
        assert_opportunity_invariants()
        today = timezone.localdate()
        year_ago = today - datetime.timedelta(days=366)
        assert not OpportunityEntry.objects.filter(date_of_change__gt=today).exists()
        assert not OpportunityEntry.objects.filter(date_of_change__lt=year_ago).exists()
        assert not Opportunity.objects.filter(creation_date__gt=today).exists()
        assert not Opportunity.objects.filter(creation_date__lt=year_ago).exists()
        # The services refused nothing: every move into a quote-required stage had its quote.
        quoted = OpportunityEntry.objects.filter(stage__quote_required=True, action_taken__in=["next", "skipped"])
        assert quoted.exists()
        assert not quoted.filter(opportunity__quote__isnull=True).exists()
        assert Task.objects.filter(closed=False).exists() and Task.objects.filter(closed=True).exists()

    def test_generate_data_adds_to_the_demo_data(self, db):
        demo = Opportunity.objects.count()
        run("generate_data", opportunities=60, seed=3, batch_size=25)
        assert Opportunity.objects.count() == demo + 60
        assert_opportunity_invariants()
        # Later creates take fresh numbers.
        contact = contact_create(type="company", name="After the bulk load Ltd")
        opportunity = services.opportunity_create(
            user=None,
            description="After the bulk load",
            contact=contact,
            salesperson=Salesperson.objects.get(code="AS"),
            sales_cycle=SalesCycle.objects.get(code="NEW"),
        )
        assert Contact.objects.filter(no=contact.no).count() == 1
        assert Opportunity.objects.filter(no=opportunity.no).count() == 1


# --- the planned histories ---------------------------------------------------------------------


def _unsaved_cycles():
    return [
        scale.CycleInput(
            definition.code,
            definition.method,
            [
                SalesCycleStage(
                    stage=stage.stage,
                    completed_pct=D(stage.completed),
                    chances_of_success_pct=D(stage.chances),
                    date_formula=stage.date_formula,
                    quote_required=stage.quote_required,
                    allow_skip=stage.allow_skip,
                )
                for stage in definition.stages
            ],
        )
        for definition in SALES_CYCLES
        if not definition.blocked
    ]


def _plan(seed: int, count: int = 300, today=datetime.date(2026, 3, 2)):
    contacts = scale.plan_contacts(seed, companies=30, persons=150, salespeople=5)
    plans = scale.plan_opportunities(
        seed, count, today=today, cycles=_unsaved_cycles(), contacts=contacts, salespeople=5, won_codes=3, lost_codes=4
    )
    return contacts, list(plans)


def test_the_plan_depends_only_on_the_seed():
    contacts_a, plans_a = _plan(7)
    contacts_b, plans_b = _plan(7)
    assert contacts_a == contacts_b
    assert scale.fingerprint(plans_a) == scale.fingerprint(plans_b)
    assert scale.plan_salespeople(7, 5) == scale.plan_salespeople(7, 5)
    _contacts_c, plans_c = _plan(8)
    assert scale.fingerprint(plans_a) != scale.fingerprint(plans_c)


def test_the_plan_mixes_statuses_and_keeps_dates_in_order():
    today = datetime.date(2026, 3, 2)
    _contacts, plans = _plan(11, count=2000, today=today)
    statuses = {status: sum(plan.history.status == status for plan in plans) for status in Opportunity.Status.values}
    assert 0.55 < statuses["in_progress"] / 2000 < 0.65
    assert 0.07 < statuses["not_started"] / 2000 < 0.13
    assert 0.16 < statuses["won"] / 2000 < 0.24
    assert 0.07 < statuses["lost"] / 2000 < 0.13
    entries = sum(len(plan.history.entries) for plan in plans)
    assert 4.0 < entries / 2000 < 6.0  # about five entries each
    for plan in plans:
        dates = [entry.date_of_change for entry in plan.history.entries]
        assert dates == sorted(dates)
        assert all(today - datetime.timedelta(days=366) <= day <= today for day in dates)
        assert plan.history.creation_date <= (dates[0] if dates else today)
        for entry in plan.history.entries:
            assert entry.estimated_close_date >= entry.date_of_change
        assert len(plan.description) <= 100


def test_planned_entries_are_what_the_services_write(db):
    """The bulk generator's figures equal those of the services, replaying the same steps."""
    ensure_setup()
    rep = Salesperson.objects.create(code="REP", name="Rita Rep")
    contact = contact_create(type="company", name="Replay GmbH", city="Berlin", country="DE")
    won = list(CloseOpportunityCode.objects.filter(type="won").order_by("code"))
    lost = list(CloseOpportunityCode.objects.filter(type="lost").order_by("code"))
    rng = random.Random(5)
    today = timezone.localdate()
    for cycle in SalesCycle.objects.filter(blocked=False):
        stages = list(cycle.stages.order_by("stage"))
        for status in ("in_progress", "won", "lost", "in_progress", "won", "lost"):
            history = plan_history(
                rng,
                stages=stages,
                method=cycle.probability_calculation,
                status=status,
                today=today,
                value_range=value_range(cycle.code),
                won_codes=len(won),
                lost_codes=len(lost),
            )
            opportunity = services.opportunity_create(
                user=None, description="Replay", contact=contact, salesperson=rep, sales_cycle=cycle
            )
            run_with_services(
                history, opportunity=opportunity, user=None, stages=stages, won_codes=won, lost_codes=lost
            )
            written = list(opportunity.entries.order_by("id"))
            assert len(written) == len(history.entries)
            for index, (entry, planned) in enumerate(zip(written, history.entries, strict=True)):
                assert (
                    entry.action_taken,
                    entry.stage_id,
                    entry.previous_stage_id,
                    entry.date_of_change,
                    entry.days_open,
                    entry.estimated_value,
                    entry.chances_of_success_pct,
                    entry.completed_pct,
                    entry.probability_pct,
                    entry.calculated_current_value,
                    entry.estimated_close_date,
                ) == (
                    planned.action_taken,
                    stages[planned.stage_index].pk if planned.stage_index is not None else None,
                    stages[planned.previous_stage_index].pk if planned.previous_stage_index is not None else None,
                    planned.date_of_change,
                    history.days_open(index),
                    planned.estimated_value,
                    planned.chances_of_success_pct,
                    planned.completed_pct,
                    planned.probability_pct,
                    planned.calculated_current_value,
                    planned.estimated_close_date,
                )
            opportunity.refresh_from_db()
            assert opportunity.status == status
    assert_opportunity_invariants()


# --- generate_data -----------------------------------------------------------------------------


class BulkCreateWriter(scale.RowWriter):
    """The writer of databases other than PostgreSQL, to test that path on PostgreSQL too."""

    def __init__(self, batch_size):
        super().__init__(batch_size)
        self.copy = False


@pytest.mark.parametrize("writer", ["native", "bulk_create"])
def test_generate_data(db, monkeypatch, writer):
    if writer == "bulk_create":
        monkeypatch.setattr(scale, "RowWriter", BulkCreateWriter)
    output = run("generate_data", opportunities=300, seed=7, batch_size=120)
    assert "300/300" in output and "Created 300 opportunities" in output

    assert Opportunity.objects.count() == 300
    assert Contact.objects.companies().count() == 30
    assert Contact.objects.persons().count() == 150
    salespeople = Salesperson.objects.filter(code__startswith="GEN")
    assert salespeople.count() == 5
    assert not salespeople.filter(user__isnull=True).exists()
    assert not Contact.objects.annotate(n=Count("search_strings")).filter(n=0).exists()
    assert set(Opportunity.objects.values_list("status", flat=True)) == set(Opportunity.Status.values)
    assert 3.5 < OpportunityEntry.objects.count() / 300 < 6.5
    assert_opportunity_invariants()
    # The entries were written past the services: cached stage histories of before are not read again.
    written = set(OpportunityEntry.objects.values_list("sales_cycle", flat=True))
    assert all(StageHistoryVersion.objects.of(cycle) >= 1 for cycle in written)
    for quote in Quote.objects.prefetch_related("lines"):
        assert quote.total == sum(line.amount for line in quote.lines.all())

    # The data is the plan of the seed: same descriptions, statuses, dates and values.
    setup = scale.load_setup()
    contacts = scale.plan_contacts(7, companies=30, persons=150, salespeople=5)
    plans = scale.plan_opportunities(
        7,
        300,
        today=timezone.localdate(),
        cycles=setup.inputs,
        contacts=contacts,
        salespeople=5,
        won_codes=len(setup.won_codes),
        lost_codes=len(setup.lost_codes),
    )
    expected = [
        (
            plan.description,
            plan.priority,
            plan.history.status,
            plan.history.creation_date,
            plan.history.entries[-1].estimated_value if plan.history.entries else D("0"),
            plan.history.entries[-1].calculated_current_value if plan.history.entries else D("0"),
            len(plan.history.entries),
        )
        for plan in plans
    ]
    actual = list(
        Opportunity.objects.order_by("no")
        .annotate(n=Count("entries"))
        .values_list(
            "description", "priority", "status", "creation_date", "estimated_value", "calculated_current_value", "n"
        )
    )
    assert actual == expected


def test_generate_data_rejects_bad_arguments(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run("generate_data", opportunities=0)


def test_copy_format_survives_special_characters(db):
    text = "Tab\there, back\\slash, new\nline, \\N and ünïcödé"
    writer = scale.RowWriter(batch_size=10)
    (pk,) = writer.insert(
        Contact, ("no", "type", "name", "notes"), [("CTX00001", "company", "Odd Ltd", text)], returning_ids=True
    )
    contact = Contact.objects.get(pk=pk)
    assert contact.notes == text
    assert contact.created_at is not None and contact.country == ""


def test_the_invariant_check_finds_broken_data(db):
    """The checker itself: a corrupted row is reported, a sound one is not."""
    ensure_setup()
    rep = Salesperson.objects.create(code="REP", name="Rita Rep")
    contact = contact_create(type="company", name="Check AB", city="Oslo", country="NO")
    opportunity = services.opportunity_create(
        user=None,
        description="Checked",
        contact=contact,
        salesperson=rep,
        sales_cycle=SalesCycle.objects.get(code="NEW"),
        activate_first_stage=True,
        estimated_value=D("1000"),
        date_of_change=timezone.localdate() - datetime.timedelta(days=9),
    )
    services.opportunity_update_stage(opportunity=opportunity, user=None, action="next")
    assert opportunity_problems() == []

    first = opportunity.entries.order_by("id").first()
    OpportunityEntry.objects.filter(pk=first.pk).update(days_open=3)
    Opportunity.objects.filter(pk=opportunity.pk).update(calculated_current_value=D("1.00"))
    problems = opportunity_problems()
    assert any("days_open 3, expected 9" in problem for problem in problems)
    assert any("calculated_current_value" in problem for problem in problems)
    with pytest.raises(AssertionError):
        assert_opportunity_invariants()
