"""``python manage.py seed_demo``: a small, realistic demo data set built through the services.

It creates the setup (activities, four sales cycles, close codes), the logins (six salespeople,
a sales manager, an administrator), 40 companies and 80 persons, and about 150 opportunities with a
year of history in every status. Every contact, opportunity, entry, quote and task is written by
``contacts.services`` and ``opportunities.services``, with each salesperson's own user, so the data
obeys every domain rule.

Running it again changes nothing: setup and users are created only when missing, and the contacts
and opportunities only when no demo data is present yet. The data is the same on every run
relative to today (``random.Random(2026)``).
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from contacts.models import Contact, ContactSearchString, Salesperson
from contacts.services import contact_create
from leads import services as lead_services
from leads.models import Lead
from opportunities import services
from opportunities.management import names
from opportunities.management.history import plan_history, run_with_services
from opportunities.management.setup_data import ensure_setup, value_range
from opportunities.models import Opportunity, OpportunityEntry, Quote, Task
from opportunities.permissions import MANAGERS_GROUP, can_change_all
from salescycles.models import Activity, CloseOpportunityCode, SalesCycle, SalesCycleStage

DEMO_PASSWORD = "demo1234!"
SEED = 2026

# username, code, first name, surname, job title, phone, the country whose customers they look after
SALESPEOPLE = [
    ("anna", "AS", "Anna", "Schmidt", "Senior Account Executive", "+49 40 5550 1101", "DE"),
    ("ben", "BC", "Ben", "Carter", "Account Executive", "+44 20 7946 0102", "GB"),
    ("carmen", "CL", "Carmen", "López", "Key Account Manager", "+34 91 555 0103", "ES"),
    ("daan", "DV", "Daan", "de Vries", "Account Manager", "+31 20 555 0104", "NL"),
    ("eero", "EV", "Eero", "Virtanen", "Sales Engineer", "+358 9 555 0105", "FI"),
    ("frida", "FH", "Frida", "Hansen", "Account Executive", "+47 22 55 01 06", "NO"),
]
SALESPERSON_CODES = [row[1] for row in SALESPEOPLE]
MANAGER = ("manager", "Margaret", "Olsen")
ADMIN = ("admin", "Ada", "Admin")

# Opportunities per cycle and status: 150 in all.
PLAN = {
    "NEW": {"not_started": 6, "in_progress": 27, "won": 13, "lost": 9},
    "EXISTING": {"not_started": 4, "in_progress": 21, "won": 12, "lost": 8},
    "PROJECT": {"not_started": 4, "in_progress": 18, "won": 9, "lost": 7},
    # The retired cycle: its deals were all closed before it was blocked.
    "OLD": {"won": 6, "lost": 6},
}
PRODUCTS = {
    "NEW": [
        "CRM rollout (25 users)",
        "Field service app",
        "Inventory management system",
        "Web shop integration",
        "Fleet telematics",
        "Document management",
        "Time tracking and payroll",
        "Customer portal",
        "Warehouse scanners and software",
        "Digital signage",
    ],
    "EXISTING": [
        "Licence extension",
        "Support contract renewal",
        "Additional workstations",
        "Upgrade to the premium edition",
        "Training days",
        "Hardware refresh",
        "Cloud storage upgrade",
        "Reporting module",
        "Annual maintenance",
    ],
    "PROJECT": [
        "ERP migration",
        "Plant automation",
        "Nationwide Wi-Fi rollout",
        "Data warehouse and BI",
        "Logistics centre IT",
        "E-commerce platform relaunch",
        "Production line MES",
        "Energy monitoring project",
    ],
    "OLD": ["Printer fleet", "Phone system", "Office software licences", "Server maintenance"],
}
# The retired cycle's history ends this many days ago.
OLD_CYCLE_RETIRED_DAYS_AGO = 150

User = get_user_model()


def _short_name(company_name: str) -> str:
    words = [word for word in company_name.split() if names.ascii_slug(word) not in names.LEGAL_FORMS]
    return " ".join(words[:3]).rstrip("&").strip()


class Command(BaseCommand):
    help = (
        "Create demo data (sales cycles, close codes, activities, logins, contacts and about 150 opportunities "
        "with a year of history) through the domain services. Running it again changes nothing."
    )

    def handle(self, *args, **options):
        started = timezone.now()
        before = _counts()
        with transaction.atomic():
            ensure_setup()
            logins = self._ensure_users()
            seeded = _already_seeded()
            if not seeded:
                self._create_contacts_and_opportunities()
            if not Lead.objects.exists():
                _create_leads()
        after = _counts()
        created = {key: after[key] - before[key] for key in after}

        if not any(created.values()):
            self.stdout.write("Demo data already present: nothing was created or changed.")
        else:
            if seeded:
                self.stdout.write("Demo contacts and opportunities already present; only missing setup was added.")
            self.stdout.write(f"Demo data created in {(timezone.now() - started).total_seconds():.1f} s:")
            for key, value in created.items():
                if value:
                    self.stdout.write(f"  {key:<28} +{value}")
        self._print_summary()
        self._print_logins(logins)

    # --- users and salespeople -----------------------------------------------------------------

    def _ensure_users(self) -> list[tuple[str, str, bool]]:
        """Create the demo logins that do not exist yet; existing users are left alone."""
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        logins = []

        def user(username, first_name, last_name, **flags):
            existing = User.objects.filter(username=username).first()
            if existing is not None:
                return existing, False
            created = User.objects.create(
                username=username,
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@example.com",
                password=password,
                **flags,
            )
            return created, True

        admin, created = user(*ADMIN, is_staff=True, is_superuser=True)
        logins.append((admin.username, "administrator (superuser, Django admin)", created))

        manager, created = user(*MANAGER, is_staff=True)
        if created:
            manager.groups.add(Group.objects.get(name=MANAGERS_GROUP))
        logins.append((manager.username, f'sales manager (group "{MANAGERS_GROUP}", Django admin)', created))

        for username, code, first_name, surname, job_title, phone, country in SALESPEOPLE:
            rep, created = user(username, first_name, surname)
            salesperson = Salesperson.objects.filter(code=code).first()
            if salesperson is None:
                linked = not Salesperson.objects.filter(user=rep).exists()
                salesperson = Salesperson(
                    code=code,
                    name=f"{first_name} {surname}",
                    user=rep if linked else None,
                    email=f"{username}@example.com",
                    phone=phone,
                    job_title=job_title,
                    commission_pct=Decimal("2.50") + Decimal(SALESPERSON_CODES.index(code)) / 4,
                )
                salesperson.full_clean()
                salesperson.save()
            logins.append((username, f"salesperson {code} – {salesperson.name} (customers in {country})", created))
        return logins

    # --- contacts and opportunities ------------------------------------------------------------

    def _create_contacts_and_opportunities(self) -> None:
        rng = random.Random(SEED)
        today = timezone.localdate()
        salespeople = {sp.code: sp for sp in Salesperson.objects.filter(code__in=SALESPERSON_CODES)}
        by_country = {row[6]: salespeople[row[1]] for row in SALESPEOPLE}
        manager = User.objects.filter(username=MANAGER[0]).first()
        if manager is not None and not can_change_all(manager):
            manager = None  # an existing "manager" login that is no sales manager creates nothing for others

        companies, persons = self._create_contacts(rng, by_country)

        cycles = {
            cycle.code: cycle
            for cycle in SalesCycle.objects.filter(code__in=PLAN).prefetch_related("stages")
            if cycle.stages.exists() and (not cycle.blocked or cycle.code == "OLD")
        }
        stages = {code: list(cycle.stages.order_by("stage")) for code, cycle in cycles.items()}
        won_codes = list(CloseOpportunityCode.objects.filter(type="won").order_by("code"))
        lost_codes = list(CloseOpportunityCode.objects.filter(type="lost").order_by("code"))

        # Plan every story first, then create the opportunities in the order they were created.
        plans = []
        for code, statuses in PLAN.items():
            if code not in cycles:
                continue
            for status, count in statuses.items():
                for _ in range(count):
                    plans.append((code, status))
        rng.shuffle(plans)
        stories = []
        for code, status in plans:
            retired = code == "OLD"
            history = plan_history(
                rng,
                stages=stages[code],
                method=cycles[code].probability_calculation,
                status=status,
                today=today - datetime.timedelta(days=OLD_CYCLE_RETIRED_DAYS_AGO) if retired else today,
                max_age_days=365 - OLD_CYCLE_RETIRED_DAYS_AGO if retired else 365,
                value_range=value_range(code),
                won_codes=len(won_codes),
                lost_codes=len(lost_codes),
            )
            contact = rng.choice(persons) if rng.random() < 0.85 else rng.choice(companies)
            salesperson = contact.salesperson if rng.random() < 0.9 else rng.choice(list(salespeople.values()))
            company = contact.company_contact or contact
            description = f"{rng.choice(PRODUCTS[code])} – {_short_name(company.name)}"
            weights = (10, 50, 40) if code == "PROJECT" else (25, 55, 20)
            priority = rng.choices(("low", "normal", "high"), weights=weights)[0]
            by_manager = manager is not None and rng.random() < 0.15
            stories.append((history, code, contact, salesperson, description, priority, by_manager))
        stories.sort(key=lambda story: story[0].creation_date)

        old = cycles.get("OLD")
        was_blocked = old is not None and old.blocked
        if was_blocked:
            # The retired cycle was in use until it was blocked: unblock it while its history is written.
            SalesCycle.objects.filter(pk=old.pk).update(blocked=False)
            old.blocked = False
        for history, code, contact, salesperson, description, priority, by_manager in stories:
            rep_user = salesperson.user
            opportunity = services.opportunity_create(
                user=manager if by_manager else rep_user,
                description=description,
                contact=contact,
                salesperson=salesperson,
                sales_cycle=cycles[code],
                priority=priority,
                creation_date=history.creation_date,
            )
            run_with_services(
                history,
                opportunity=opportunity,
                user=rep_user,
                stages=stages[code],
                won_codes=won_codes,
                lost_codes=lost_codes,
                cycle_code=code,
            )
        if was_blocked:
            SalesCycle.objects.filter(pk=old.pk).update(blocked=True)

        self._work_on_tasks(random.Random(SEED + 1), today)

    def _create_contacts(self, rng: random.Random, by_country: dict[str, Salesperson]):
        companies, persons = [], []
        for name, country, city, post_code, address, area in names.DEMO_COMPANIES:
            domain = names.company_domain(name, country)
            companies.append(
                contact_create(
                    type=Contact.Type.COMPANY,
                    name=name,
                    address=address,
                    post_code=post_code,
                    city=city,
                    country=country,
                    phone=names.phone(rng, country, area),
                    email=f"info@{domain}",
                    website=f"https://www.{domain}",
                    language=names.COUNTRIES[country].language,
                    vat_registration_no=names.vat_number(rng, country, name),
                    salesperson=by_country[country],
                )
            )
        # The same company entered again by the web shop: the duplicate search finds it.
        duplicate_name, original_index = names.DEMO_DUPLICATE
        original = companies[original_index]
        duplicate = contact_create(
            type=Contact.Type.COMPANY,
            name=duplicate_name,
            address=original.address,
            post_code=original.post_code,
            city=original.city,
            country=original.country,
            phone=original.phone,
            email=original.email.replace("info@", "kontakt@"),
            language=original.language,
            salesperson=original.salesperson,
            notes=f"Entered by the web shop; probably the same company as {original.no}.",
        )

        for company in companies:
            country = company.country
            info = names.COUNTRIES[country]
            domain = company.email.split("@", 1)[1]
            area = company.phone.split()[1]
            used = set()  # colleagues with the same surname would look like duplicates
            for _ in range(2):
                first_name, surname = rng.choice(info.first_names), rng.choice(info.surnames)
                while surname in used:
                    first_name, surname = rng.choice(info.first_names), rng.choice(info.surnames)
                used.add(surname)
                persons.append(
                    contact_create(
                        type=Contact.Type.PERSON,
                        company=company,
                        first_name=first_name,
                        surname=surname,
                        job_title=rng.choice(names.JOB_TITLES),
                        city=company.city,
                        country=country,
                        phone=names.phone(rng, country, area),
                        mobile_phone=names.mobile(rng, country),
                        email=names.person_email(first_name, surname, domain, country),
                        language=info.language,
                        salesperson=company.salesperson,
                    )
                )
        # Two freelancers without a company: each is their own "company" in the pipeline.
        for country in ("GB", "NL"):
            info = names.COUNTRIES[country]
            first_name, surname = rng.choice(info.first_names), rng.choice(info.surnames)
            city, post_code, area = rng.choice(info.cities)
            persons.append(
                contact_create(
                    type=Contact.Type.PERSON,
                    first_name=first_name,
                    surname=surname,
                    job_title="Independent consultant",
                    address=names.street_address(rng, country),
                    post_code=post_code,
                    city=city,
                    country=country,
                    phone=names.phone(rng, country, area),
                    email=f"{names.ascii_slug(first_name)}@{names.ascii_slug(surname)}-consulting.{info.tld}",
                    language=info.language,
                    salesperson=by_country[country],
                )
            )
        return [*companies, duplicate], persons

    def _work_on_tasks(self, rng: random.Random, today: datetime.date) -> None:
        """Salespeople have completed most of their older open tasks; some are still overdue."""
        open_tasks = (
            Task.objects.filter(closed=False, date__lt=today - datetime.timedelta(days=10))
            .filter(salesperson__code__in=SALESPERSON_CODES)
            .select_related("salesperson__user")
            .order_by("no")
        )
        for task in open_tasks:
            if rng.random() < 0.8:
                services.task_update(task=task, user=task.salesperson.user, status=Task.Status.COMPLETED)

    # --- output --------------------------------------------------------------------------------

    def _print_summary(self) -> None:
        write = self.stdout.write
        write("")
        write("Data now in the database:")
        methods = ", ".join(
            f"{cycle.code} ({cycle.probability_calculation}{', blocked' if cycle.blocked else ''})"
            for cycle in SalesCycle.objects.order_by("code")
        )
        write(f"  sales cycles: {methods}")
        close_codes = {
            row["type"]: row["n"] for row in CloseOpportunityCode.objects.values("type").annotate(n=Count("id"))
        }
        write(f"  close codes: {close_codes.get('won', 0)} won, {close_codes.get('lost', 0)} lost")
        write(
            f"  contacts: {Contact.objects.companies().count()} companies, {Contact.objects.persons().count()} persons"
        )
        statuses = {row["status"]: row["n"] for row in Opportunity.objects.values("status").annotate(n=Count("id"))}
        write(
            "  opportunities: "
            + ", ".join(f"{statuses.get(status, 0)} {label.lower()}" for status, label in Opportunity.Status.choices)
        )
        write(
            f"  entries: {OpportunityEntry.objects.count()}, quotes: {Quote.objects.count()}, "
            f"tasks: {Task.objects.open().count()} open / {Task.objects.filter(closed=True).count()} closed"
        )
        leads = {row["status"]: row["n"] for row in Lead.objects.values("status").annotate(n=Count("id"))}
        write(
            "  leads: " + ", ".join(f"{leads.get(status, 0)} {label.lower()}" for status, label in Lead.Status.choices)
        )

    def _print_logins(self, logins) -> None:
        write = self.stdout.write
        write("")
        write(f"Logins (password {DEMO_PASSWORD} for every user created by this command):")
        for username, role, created in logins:
            note = "" if created else "  [already existed, left unchanged]"
            write(f"  {username:<10} {role}{note}")
        write("The Django admin (/admin/) is for admin and manager.")


def _already_seeded() -> bool:
    """The demo contacts or opportunities exist (the marker of a previous run)."""
    first_company = names.DEMO_COMPANIES[0]
    return (
        Opportunity.objects.filter(salesperson__code__in=SALESPERSON_CODES).exists()
        or Contact.objects.filter(name=first_company[0], city=first_company[2]).exists()
    )


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "salespeople": Salesperson.objects.count(),
        "activities": Activity.objects.count(),
        "sales cycles": SalesCycle.objects.count(),
        "sales cycle stages": SalesCycleStage.objects.count(),
        "close codes": CloseOpportunityCode.objects.count(),
        "contacts": Contact.objects.count(),
        "duplicate search strings": ContactSearchString.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "opportunity entries": OpportunityEntry.objects.count(),
        "quotes": Quote.objects.count(),
        "tasks": Task.objects.count(),
        "closed tasks": Task.objects.filter(closed=True).count(),
        "leads": Lead.objects.count(),
    }


# Leads waiting in the inbox: from the website, an integration, a trade fair list and the phone;
# one that looks like a known contact, and one already turned down. None is assigned, so every rep
# sees them (and no notification e-mail goes out while seeding).
DEMO_LEADS = [
    (
        "web_form",
        "",
        {
            "company_name": "Hafenlogistik Kiel GmbH",
            "first_name": "Jonas",
            "surname": "Petersen",
            "email": "j.petersen@hafenlogistik-kiel.example",
            "country": "DE",
            "message": "We are looking for a CRM for our 25 sales staff. Could you call me next week?",
        },
    ),
    (
        "web_form",
        "",
        {
            "company_name": "Zonnepark Drenthe BV",
            "first_name": "Sanne",
            "surname": "de Vries",
            "email": "sanne@zonnepark-drenthe.example",
            "phone": "+31 592 123 456",
            "country": "NL",
            "message": "Graag een offerte voor 10 gebruikers.",
        },
    ),
    (
        "api",
        "Website chat",
        {
            "company_name": "Aurora Design Oy",
            "first_name": "Mikko",
            "surname": "Laine",
            "email": "mikko.laine@aurora-design.example",
            "country": "FI",
        },
    ),
    (
        "import",
        "Hannover Messe 2026",
        {
            "company_name": "Bergmann Antriebstechnik AG",
            "first_name": "Petra",
            "surname": "Bergmann",
            "email": "p.bergmann@bergmann-at.example",
            "country": "DE",
        },
    ),
    (
        "import",
        "Hannover Messe 2026",
        {
            "company_name": "Talleres Ibarra SL",
            "first_name": "Iker",
            "surname": "Ibarra",
            "phone": "+34 943 555 210",
            "country": "ES",
        },
    ),
    (
        "import",
        "Hannover Messe 2026",
        {
            "company_name": "Nordic Pumps AB",
            "first_name": "Elin",
            "surname": "Lindqvist",
            "email": "elin@nordicpumps.example",
            "country": "SE",
        },
    ),
    (
        "manual",
        "",
        {
            "company_name": "Fjordkraft Elektro AS",
            "first_name": "Kari",
            "surname": "Nilsen",
            "phone": "+47 55 12 34 56",
            "country": "NO",
            "message": "Called about the service contract.",
        },
    ),
]
DISQUALIFIED_LEAD = (
    "web_form",
    "",
    {
        "first_name": "Tim",
        "surname": "Student",
        "email": "tim@university.example",
        "message": "For my thesis: may I have a free licence?",
    },
)


def _create_leads() -> None:
    for source, campaign, fields in DEMO_LEADS:
        lead_services.lead_create(source=source, campaign=campaign, payload=dict(fields), **fields)
    # A contact writing in again through the website is flagged as a possible duplicate.
    known = Contact.objects.persons().exclude(email="").select_related("company").order_by("no").first()
    if known is not None:
        fields = {
            "company_name": known.company.name if known.company else "",
            "first_name": known.first_name,
            "surname": known.surname,
            "email": known.email,
            "message": "Please send me your new price list.",
        }
        lead_services.lead_create(source="web_form", payload=dict(fields), **fields)
    source, campaign, fields = DISQUALIFIED_LEAD
    lead = lead_services.lead_create(source=source, campaign=campaign, payload=dict(fields), **fields)
    lead_services.lead_disqualify(lead=lead, user=None, reason="A student, not a business customer.")
