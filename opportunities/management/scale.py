"""The scale data set of ``generate_data``: a pure plan, then bulk writes.

The plan functions (``plan_salespeople``, ``plan_contacts``, ``plan_opportunities``) only draw from
``random.Random`` seeded with the given seed: the same seed and day give the same data, whatever
the batch size or the database. The writer (``write``) turns the plan into rows with
``bulk_create``, one transaction per batch, taking numbers in blocks from ``common.numbering`` so
that later normal creates never collide with them.

The figures of the entries come from ``history.plan_history``, which applies the rules of the
lifecycle services with their pure functions (``compute_probability``, ``compute_current_value``,
``proposed_close_date``), so the bulk data satisfies the same invariants as data written one
opportunity at a time.
"""

import datetime
import io
import itertools
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

from common.numbering import next_nos
from contacts.models import Contact, ContactSearchString, Salesperson
from contacts.services import build_person_name, search_strings
from opportunities.management import names
from opportunities.management.history import History, plan_history, quote_lines
from opportunities.management.setup_data import value_range
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, StageHistoryVersion
from opportunities.services import quote_line_amount
from salescycles.models import CloseOpportunityCode, SalesCycle

Status = Opportunity.Status

STATUS_WEIGHTS = {Status.IN_PROGRESS: 60, Status.NOT_STARTED: 10, Status.WON: 20, Status.LOST: 10}
CYCLE_WEIGHTS = {"NEW": 45, "EXISTING": 35, "PROJECT": 20}
PRODUCTS = (
    "CRM rollout",
    "Field service app",
    "Inventory management",
    "Web shop integration",
    "Fleet telematics",
    "Document management",
    "Support contract renewal",
    "Licence extension",
    "Hardware refresh",
    "ERP migration",
    "Data warehouse and BI",
    "Production line MES",
    "Training programme",
    "Cloud migration",
    "Security audit",
)
SALESPERSON_PREFIX = "GEN"


def sizes(opportunities: int) -> tuple[int, int, int]:
    """(salespeople, companies, persons) for a data set of this many opportunities."""
    return max(5, round(opportunities / 500)), max(1, round(opportunities / 10)), max(1, round(opportunities / 2))


# --- plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SalespersonPlan:
    code: str
    username: str
    first_name: str
    surname: str
    email: str
    phone: str
    job_title: str


@dataclass(frozen=True)
class ContactPlan:
    type: str
    name: str
    country: str
    city: str
    phone: str
    email: str
    language: str
    salesperson_index: int
    company_index: int | None = None  # persons: index of their company in the plan
    first_name: str = ""
    surname: str = ""
    job_title: str = ""
    address: str = ""
    post_code: str = ""
    mobile_phone: str = ""
    website: str = ""
    vat_registration_no: str = ""

    @property
    def label(self) -> str:
        """How an opportunity's description names the customer."""
        words = [word for word in self.name.split() if names.ascii_slug(word) not in names.LEGAL_FORMS]
        return " ".join(words[:3])


@dataclass(frozen=True)
class CycleInput:
    """A sales cycle as the plan sees it: its stages in order (objects or model instances)."""

    code: str
    method: str
    stages: Sequence


@dataclass(frozen=True)
class OpportunityPlan:
    description: str
    priority: str
    cycle_index: int
    contact_index: int
    salesperson_index: int
    history: History


def plan_salespeople(seed: int, count: int) -> list[SalespersonPlan]:
    rng = random.Random(f"{seed}-salespeople")
    titles = ("Account Executive", "Senior Account Executive", "Key Account Manager", "Inside Sales Representative")
    plans = []
    for number in range(1, count + 1):
        country = rng.choice(names.COUNTRY_CODES)
        info = names.COUNTRIES[country]
        first_name, surname = rng.choice(info.first_names), rng.choice(info.surnames)
        code = f"{SALESPERSON_PREFIX}{number:03d}"
        plans.append(
            SalespersonPlan(
                code=code,
                username=code.lower(),
                first_name=first_name,
                surname=surname,
                email=f"{code.lower()}@example.com",
                phone=names.phone(rng, country, rng.choice(info.cities)[2]),
                job_title=rng.choice(titles),
            )
        )
    return plans


def plan_contacts(seed: int, *, companies: int, persons: int, salespeople: int) -> list[ContactPlan]:
    """``companies`` companies first, then ``persons`` persons (nine in ten work for one of them)."""
    rng = random.Random(f"{seed}-contacts")
    plans: list[ContactPlan] = []
    for _ in range(companies):
        country = rng.choice(names.COUNTRY_CODES)
        info = names.COUNTRIES[country]
        name = names.company_name(rng, country)
        city, post_code, area = rng.choice(info.cities)
        domain = names.company_domain(name, country)
        plans.append(
            ContactPlan(
                type=Contact.Type.COMPANY,
                name=name,
                address=names.street_address(rng, country),
                post_code=post_code,
                city=city,
                country=country,
                phone=names.phone(rng, country, area),
                email=f"info@{domain}",
                website=f"https://www.{domain}",
                language=info.language,
                vat_registration_no=names.vat_number(rng, country, name),
                salesperson_index=rng.randrange(salespeople),
            )
        )
    for _ in range(persons):
        company_index = rng.randrange(companies) if rng.random() < 0.9 else None
        company = plans[company_index] if company_index is not None else None
        country = company.country if company else rng.choice(names.COUNTRY_CODES)
        info = names.COUNTRIES[country]
        first_name, surname = rng.choice(info.first_names), rng.choice(info.surnames)
        if company:
            city, area = company.city, company.phone.split()[1]
            domain = company.email.split("@", 1)[1]
            salesperson_index = company.salesperson_index
            job_title = rng.choice(names.JOB_TITLES)
        else:
            city, _post_code, area = rng.choice(info.cities)
            domain = f"{names.ascii_slug(surname, country)}-consulting.{info.tld}"
            salesperson_index = rng.randrange(salespeople)
            job_title = "Independent consultant"
        plans.append(
            ContactPlan(
                type=Contact.Type.PERSON,
                name=build_person_name(first_name, surname),
                first_name=first_name,
                surname=surname,
                job_title=job_title,
                company_index=company_index,
                city=city,
                country=country,
                phone=names.phone(rng, country, area),
                mobile_phone=names.mobile(rng, country),
                email=names.person_email(first_name, surname, domain, country),
                language=info.language,
                salesperson_index=salesperson_index,
            )
        )
    return plans


def plan_opportunities(
    seed: int,
    count: int,
    *,
    today: datetime.date,
    cycles: Sequence[CycleInput],
    contacts: Sequence[ContactPlan],
    salespeople: int,
    won_codes: int,
    lost_codes: int,
) -> Iterator[OpportunityPlan]:
    """``count`` opportunities, one at a time (the caller takes them in batches)."""
    rng = random.Random(f"{seed}-opportunities")
    statuses, status_weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    cycle_weights = [CYCLE_WEIGHTS.get(cycle.code, 20) for cycle in cycles]
    companies = sum(1 for contact in contacts if contact.type == Contact.Type.COMPANY)
    persons = len(contacts) - companies
    for _ in range(count):
        status = rng.choices(statuses, weights=status_weights)[0]
        cycle_index = rng.choices(range(len(cycles)), weights=cycle_weights)[0]
        cycle = cycles[cycle_index]
        if persons and (not companies or rng.random() < 0.8):
            contact_index = companies + rng.randrange(persons)
        else:
            contact_index = rng.randrange(companies)
        contact = contacts[contact_index]
        customer = contacts[contact.company_index] if contact.company_index is not None else contact
        salesperson_index = contact.salesperson_index if rng.random() < 0.9 else rng.randrange(salespeople)
        description = f"{rng.choice(PRODUCTS)} – {customer.label}"[:100]
        priority = rng.choices(("low", "normal", "high"), weights=(25, 55, 20))[0]
        moves = rng.randint(2, 6) if status == Status.IN_PROGRESS else None
        history = plan_history(
            rng,
            stages=cycle.stages,
            method=cycle.method,
            status=status,
            today=today,
            value_range=value_range(cycle.code),
            won_codes=won_codes,
            lost_codes=lost_codes,
            moves=moves,
        )
        yield OpportunityPlan(description, priority, cycle_index, contact_index, salesperson_index, history)


# --- write -----------------------------------------------------------------------------------


@dataclass
class Setup:
    cycles: list[SalesCycle]
    inputs: list[CycleInput]
    won_codes: list[CloseOpportunityCode]
    lost_codes: list[CloseOpportunityCode]


def load_setup() -> Setup:
    """The usable cycles with stages (the demo cycles when present) and the close codes."""
    usable = [cycle for cycle in SalesCycle.objects.usable().order_by("code") if cycle.stages.exists()]
    preferred = [cycle for cycle in usable if cycle.code in CYCLE_WEIGHTS]
    cycles = preferred or usable
    inputs = [
        CycleInput(cycle.code, cycle.probability_calculation, list(cycle.stages.order_by("stage"))) for cycle in cycles
    ]
    return Setup(
        cycles=cycles,
        inputs=inputs,
        won_codes=list(CloseOpportunityCode.objects.filter(type="won").order_by("code")),
        lost_codes=list(CloseOpportunityCode.objects.filter(type="lost").order_by("code")),
    )


def _batches(iterable, size: int):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def write_salespeople(plans: Sequence[SalespersonPlan], password: str) -> list[Salesperson]:
    """The planned salespeople with their users; those that exist already are reused as they are."""
    User = get_user_model()
    existing = {sp.code: sp for sp in Salesperson.objects.filter(code__in=[plan.code for plan in plans])}
    missing = [plan for plan in plans if plan.code not in existing]
    if missing:
        with transaction.atomic():
            users = {user.username: user for user in User.objects.filter(username__in=[p.username for p in missing])}
            hashed = make_password(password)  # once: hashing is slow on purpose
            new_users = [
                User(
                    username=plan.username,
                    first_name=plan.first_name,
                    last_name=plan.surname,
                    email=plan.email,
                    password=hashed,
                )
                for plan in missing
                if plan.username not in users
            ]
            for user in User.objects.bulk_create(new_users):
                users[user.username] = user
            taken = set(Salesperson.objects.filter(user__in=list(users.values())).values_list("user_id", flat=True))
            Salesperson.objects.bulk_create(
                Salesperson(
                    code=plan.code,
                    name=f"{plan.first_name} {plan.surname}",
                    user=users[plan.username] if users[plan.username].pk not in taken else None,
                    email=plan.email,
                    phone=plan.phone,
                    job_title=plan.job_title,
                )
                for plan in missing
            )
    by_code = {sp.code: sp for sp in Salesperson.objects.filter(code__in=[plan.code for plan in plans])}
    return [by_code[plan.code] for plan in plans]


class RowWriter:
    """Inserts rows given as tuples of attribute values, the fastest way the database offers.

    On PostgreSQL: ``COPY … FROM STDIN`` with ids taken in one query from the table's identity
    sequence (so later normal inserts never collide). Elsewhere: ``bulk_create``. Fields that are
    not given get their model default (``auto_now``/``auto_now_add`` fields: now), as with ``save()``.
    """

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.copy = connection.vendor == "postgresql"

    def begin_batch(self) -> None:
        """Call inside each batch's transaction: a crash may lose the last batches, never corrupt data."""
        if self.copy:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")

    def insert(self, model, fields: Sequence[str], rows: list[tuple], *, returning_ids: bool = False) -> list[int]:
        if not rows:
            return []
        if not self.copy:
            objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
            model._default_manager.bulk_create(objects, batch_size=self.batch_size)
            return [obj.pk for obj in objects] if returning_ids else []

        now = timezone.now()
        given = set(fields)
        extra = [
            field
            for field in model._meta.concrete_fields
            if field.attname not in given
            and not field.primary_key
            and not getattr(field, "generated", False)
            and getattr(field, "db_default", NOT_PROVIDED) is NOT_PROVIDED  # the database fills those
        ]
        tail = tuple(
            now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default()
            for field in extra
        )
        columns = [model._meta.get_field(name).column for name in fields] + [field.column for field in extra]
        ids: list[int] = []
        with connection.cursor() as cursor:
            if returning_ids:
                pk = model._meta.pk.column
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, pk, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
                columns.insert(0, pk)
                rows = [(pk_value, *row) for pk_value, row in zip(ids, rows, strict=True)]
            buffer = io.StringIO()
            buffer.writelines("\t".join(map(_copy_text, (*row, *tail))) + "\n" for row in rows)
            buffer.seek(0)
            quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
            sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, buffer)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())
        return ids


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)  # int, bool (True/False), Decimal, date, datetime: all read back exactly


CONTACT_FIELDS = (
    "no",
    "type",
    "name",
    "company_id",
    "first_name",
    "surname",
    "job_title",
    "salesperson_id",
    "address",
    "address_2",
    "post_code",
    "city",
    "country",
    "phone",
    "mobile_phone",
    "email",
    "website",
    "language",
    "vat_registration_no",
    "notes",
)
OPPORTUNITY_FIELDS = (
    "no",
    "description",
    "contact_id",
    "contact_company_id",
    "salesperson_id",
    "sales_cycle_id",
    "priority",
    "status",
    "closed",
    "creation_date",
    "date_closed",
    "close_code_id",
    "current_stage_id",
    "estimated_value",
    "chances_of_success_pct",
    "completed_pct",
    "probability_pct",
    "calculated_current_value",
    "estimated_closing_date",
    "created_by_id",
)
ENTRY_FIELDS = (
    "opportunity_id",
    "sales_cycle_id",
    "stage_id",
    "previous_stage_id",
    "action_taken",
    "date_of_change",
    "active",
    "days_open",
    "date_closed",
    "estimated_value",
    "chances_of_success_pct",
    "completed_pct",
    "probability_pct",
    "calculated_current_value",
    "estimated_close_date",
    "close_code_id",
    "contact_id",
    "salesperson_id",
    "note",
    "created_by_id",
)
ZERO_FIGURES = (Decimal("0"),) * 5


def write_contacts(
    plans: Sequence[ContactPlan],
    salespeople: Sequence[Salesperson],
    *,
    writer: RowWriter,
    batch_size: int,
    progress: Callable,
) -> tuple[list[int], list[int]]:
    """Insert the contacts and their duplicate search strings; returns (pk, company pk) per plan."""
    pks: list[int] = []
    company_pks: list[int] = []
    done = 0
    companies = sum(1 for plan in plans if plan.type == Contact.Type.COMPANY)
    # Companies come first in the plan; a batch of persons refers to companies already written.
    groups = (plans[:companies], plans[companies:])
    for batch in itertools.chain.from_iterable(_batches(group, batch_size) for group in groups):
        with transaction.atomic():
            writer.begin_batch()
            contacts = [
                # Unsaved instances: the search strings come from the same function as for a normal save.
                Contact(
                    no=number,
                    type=plan.type,
                    name=plan.name,
                    company_id=pks[plan.company_index] if plan.company_index is not None else None,
                    first_name=plan.first_name,
                    surname=plan.surname,
                    job_title=plan.job_title,
                    salesperson_id=salespeople[plan.salesperson_index].pk,
                    address=plan.address,
                    post_code=plan.post_code,
                    city=plan.city,
                    country=plan.country,
                    phone=plan.phone,
                    mobile_phone=plan.mobile_phone,
                    email=plan.email,
                    website=plan.website,
                    language=plan.language,
                    vat_registration_no=plan.vat_registration_no,
                )
                for plan, number in zip(batch, next_nos("CT", len(batch)), strict=True)
            ]
            ids = writer.insert(
                Contact,
                CONTACT_FIELDS,
                [tuple(getattr(contact, name) for name in CONTACT_FIELDS) for contact in contacts],
                returning_ids=True,
            )
            writer.insert(
                ContactSearchString,
                ("contact_id", "field", "part", "value"),
                [
                    (pk, field, part, value)
                    for pk, contact in zip(ids, contacts, strict=True)
                    for field, part, value in search_strings(contact)
                ],
            )
        for pk, contact in zip(ids, contacts, strict=True):
            pks.append(pk)
            company_pks.append(contact.company_id or pk)
        done += len(batch)
        progress("contacts", done, len(plans))
    return pks, company_pks


def write_opportunities(
    plans: Iterator[OpportunityPlan],
    count: int,
    *,
    setup: Setup,
    salespeople: Sequence[Salesperson],
    contact_pks: Sequence[int],
    company_pks: Sequence[int],
    writer: RowWriter,
    batch_size: int,
    progress: Callable,
) -> dict[str, int]:
    stage_pks = [[stage.pk for stage in cycle.stages] for cycle in setup.inputs]
    cycle_pks = [cycle.pk for cycle in setup.cycles]
    cycle_codes = [cycle.code for cycle in setup.inputs]
    code_pks = {"won": [code.pk for code in setup.won_codes], "lost": [code.pk for code in setup.lost_codes]}
    totals = {"opportunities": 0, "entries": 0, "quotes": 0}
    for batch in _batches(plans, batch_size):
        with transaction.atomic():
            writer.begin_batch()
            rows = []
            for plan, number in zip(batch, next_nos("OP", len(batch)), strict=True):
                history = plan.history
                salesperson = salespeople[plan.salesperson_index]
                stages = stage_pks[plan.cycle_index]
                date_closed = close_code = stage = closing_date = None
                figures = ZERO_FIGURES
                if history.entries:
                    last = history.entries[-1]
                    stage = stages[last.stage_index] if last.stage_index is not None else None
                    figures = (
                        last.estimated_value,
                        last.chances_of_success_pct,
                        last.completed_pct,
                        last.probability_pct,
                        last.calculated_current_value,
                    )
                    closing_date = last.estimated_close_date
                    if last.close_code_index is not None:
                        date_closed = last.date_of_change
                        close_code = code_pks[last.action_taken][last.close_code_index]
                closed = date_closed is not None
                rows.append(
                    (
                        number,
                        plan.description,
                        contact_pks[plan.contact_index],
                        company_pks[plan.contact_index],
                        salesperson.pk,
                        cycle_pks[plan.cycle_index],
                        plan.priority,
                        history.status,
                        closed,
                        history.creation_date,
                        date_closed,
                        close_code,
                        stage,
                        *figures,
                        closing_date,
                        salesperson.user_id,
                    )
                )
            ids = writer.insert(Opportunity, OPPORTUNITY_FIELDS, rows, returning_ids=True)

            entries, quotes = [], []
            for plan, pk, row in zip(batch, ids, rows, strict=True):
                history = plan.history
                stages = stage_pks[plan.cycle_index]
                contact, salesperson, cycle, user = row[2], row[4], row[5], row[-1]
                for index, entry in enumerate(history.entries):
                    closing = entry.close_code_index is not None
                    entries.append(
                        (
                            pk,
                            cycle,
                            stages[entry.stage_index] if entry.stage_index is not None else None,
                            stages[entry.previous_stage_index] if entry.previous_stage_index is not None else None,
                            entry.action_taken,
                            entry.date_of_change,
                            index == len(history.entries) - 1,
                            history.days_open(index),
                            entry.date_of_change if closing else None,
                            entry.estimated_value,
                            entry.chances_of_success_pct,
                            entry.completed_pct,
                            entry.probability_pct,
                            entry.calculated_current_value,
                            entry.estimated_close_date,
                            code_pks[entry.action_taken][entry.close_code_index] if closing else None,
                            contact,
                            salesperson,
                            entry.note,
                            user,
                        )
                    )
                if (quote := history.quote) is not None:
                    quotes.append((pk, cycle_codes[plan.cycle_index], *quote))
            writer.insert(OpportunityEntry, ENTRY_FIELDS, entries)

            quote_ids = writer.insert(
                Quote,
                ("no", "opportunity_id", "quote_date", "valid_until", "total"),
                [
                    (number, pk, quote_date, quote_date + datetime.timedelta(days=30), total)
                    for (pk, _code, quote_date, total), number in zip(quotes, next_nos("SQ", len(quotes)), strict=True)
                ],
                returning_ids=True,
            )
            writer.insert(
                QuoteLine,
                ("quote_id", "line_no", "description", "quantity", "unit_price", "discount_pct", "amount"),
                [
                    (
                        quote_id,
                        line_no * 10000,
                        text,
                        quantity,
                        price,
                        discount,
                        quote_line_amount(quantity=quantity, unit_price=price, discount_pct=discount),
                    )
                    for quote_id, (_pk, code, _date, total) in zip(quote_ids, quotes, strict=True)
                    for line_no, (text, quantity, price, discount) in enumerate(quote_lines(total, code), start=1)
                ],
            )

        totals["opportunities"] += len(batch)
        totals["entries"] += len(entries)
        totals["quotes"] += len(quotes)
        progress("opportunities", totals["opportunities"], count)
    for cycle_pk in cycle_pks:  # the entries were written past the services
        StageHistoryVersion.objects.bump(cycle_pk)
    return totals


def generate(
    *, opportunities: int, seed: int, batch_size: int, password: str, today: datetime.date, progress: Callable
) -> dict[str, int]:
    """Plan and write the whole data set (the setup must exist); returns what was created."""
    started = time.monotonic()
    setup = load_setup()
    if not setup.inputs or not setup.won_codes or not setup.lost_codes:
        raise ValueError("No usable sales cycle with stages, or no won and lost close codes.")
    salesperson_count, company_count, person_count = sizes(opportunities)
    salespeople = write_salespeople(plan_salespeople(seed, salesperson_count), password)
    contact_plans = plan_contacts(seed, companies=company_count, persons=person_count, salespeople=len(salespeople))
    writer = RowWriter(batch_size)
    contact_pks, company_pks = write_contacts(
        contact_plans, salespeople, writer=writer, batch_size=batch_size, progress=progress
    )
    plans = plan_opportunities(
        seed,
        opportunities,
        today=today,
        cycles=setup.inputs,
        contacts=contact_plans,
        salespeople=len(salespeople),
        won_codes=len(setup.won_codes),
        lost_codes=len(setup.lost_codes),
    )
    totals = write_opportunities(
        plans,
        opportunities,
        setup=setup,
        salespeople=salespeople,
        contact_pks=contact_pks,
        company_pks=company_pks,
        writer=writer,
        batch_size=batch_size,
        progress=progress,
    )
    return {
        "salespeople": len(salespeople),
        "contacts": len(contact_pks),
        **totals,
        "seconds": round(time.monotonic() - started, 1),
    }


def fingerprint(plans: Sequence[OpportunityPlan]) -> list[tuple]:
    """What the data of a plan looks like, for comparing two plans."""
    return [
        (
            plan.description,
            plan.priority,
            plan.cycle_index,
            plan.contact_index,
            plan.salesperson_index,
            plan.history.status,
            plan.history.creation_date,
            tuple(
                (
                    entry.action_taken,
                    entry.stage_index,
                    entry.date_of_change,
                    entry.estimated_value,
                    entry.calculated_current_value,
                )
                for entry in plan.history.entries
            ),
        )
        for plan in plans
    ]
