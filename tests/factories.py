"""factory_boy factories for the personas and setup data used across the tests."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from contacts.models import Contact, Salesperson
from opportunities.models import Opportunity
from opportunities.permissions import MANAGERS_GROUP
from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage

User = get_user_model()


def managers_group() -> Group:
    """The group of migration opportunities/0002; rebuilt after a transactional test emptied the tables."""
    group, created = Group.objects.get_or_create(name=MANAGERS_GROUP)
    if created:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=["salescycles", "contacts", "opportunities", "leads"]
            )
        )
    return group


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")


class ManagerFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"manager{n}")

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(managers_group())


class SalespersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Salesperson

    code = factory.Sequence(lambda n: f"SP{n:03d}")
    name = factory.Sequence(lambda n: f"Salesperson {n}")
    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda o: f"{o.code.lower()}@example.com")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    no = factory.Sequence(lambda n: f"CTF{n:05d}")
    type = Contact.Type.COMPANY
    name = factory.Sequence(lambda n: f"Company {n} Ltd")
    city = "Berlin"
    country = "DE"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    no = factory.Sequence(lambda n: f"CTP{n:05d}")
    type = Contact.Type.PERSON
    company = factory.SubFactory(CompanyFactory)
    first_name = factory.Sequence(lambda n: f"First{n}")
    surname = "Example"
    name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.surname}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    code = factory.Sequence(lambda n: f"ACT{n}")
    description = "Initial contact"


class ActivityStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityStep

    activity = factory.SubFactory(ActivityFactory)
    step_no = factory.Sequence(lambda n: n + 1)
    type = "phone_call"
    priority = "normal"
    description = "Call the customer"
    date_formula = "2D"


class SalesCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesCycle

    code = factory.Sequence(lambda n: f"CYCLE{n}")
    description = "Standard sales cycle"
    probability_calculation = "multiply"


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesCycleStage

    sales_cycle = factory.SubFactory(SalesCycleFactory)
    stage = factory.Sequence(lambda n: n + 1)
    description = factory.LazyAttribute(lambda o: f"Stage {o.stage}")
    completed_pct = Decimal("10")
    chances_of_success_pct = Decimal("20")


class CloseCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CloseOpportunityCode
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CLOSE{n}")
    description = "Closed"
    type = "won"


class OpportunityFactory(factory.django.DjangoModelFactory):
    """A not-started opportunity; start it through the services."""

    class Meta:
        model = Opportunity

    no = factory.Sequence(lambda n: f"OPF{n:05d}")
    description = factory.Sequence(lambda n: f"Deal {n}")
    contact = factory.SubFactory(PersonFactory)
    contact_company = factory.LazyAttribute(lambda o: o.contact.company or o.contact)
    salesperson = factory.SubFactory(SalespersonFactory)
    sales_cycle = factory.SubFactory(SalesCycleFactory)
    creation_date = datetime.date(2026, 1, 5)


class LeadFactory(factory.django.DjangoModelFactory):
    """A new, unassigned lead; change it through ``leads.services``."""

    class Meta:
        model = "leads.Lead"

    no = factory.Sequence(lambda n: f"LDF{n:05d}")
    source = "manual"
    company_name = factory.Sequence(lambda n: f"Prospect {n} GmbH")
    first_name = factory.Sequence(lambda n: f"Lena{n}")
    surname = "Lead"
    email = factory.Sequence(lambda n: f"lead{n}@prospect.example")
    country = "DE"
    name_key = factory.LazyAttribute(lambda o: _lead_name_key(o.company_name, o.first_name, o.surname))


def _lead_name_key(company_name: str, first_name: str, surname: str) -> str:
    from leads.services import name_key

    return name_key(company_name, first_name, surname)
