"""Number series (SPEC §2.4): CT000001…, unique under concurrent inserts, never reused."""

import re
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from common.numbering import format_no, next_free_nos, next_no, next_nos, reserve
from contacts.models import Contact
from contacts.services import contact_create, contact_delete
from opportunities.models import Opportunity, Task

pytestmark = pytest.mark.django_db


def number(no: str) -> int:
    return int(no[2:])


def test_a_number_is_the_series_code_and_six_digits():
    assert format_no("CT", 1) == "CT000001"
    assert format_no("OP", 42) == "OP000042"
    assert format_no("SQ", 999999) == "SQ999999"


@pytest.mark.parametrize("code", ["CT", "OP", "SQ", "TD", "LD"])
def test_every_series_hands_out_numbers_of_its_own_format(code):
    assert re.fullmatch(rf"{code}\d{{6}}", next_no(code, Contact))


def test_an_unknown_series_is_refused():
    with pytest.raises(ValueError, match="XX"):
        next_no("XX", Contact)


def test_numbers_increase():
    numbers = [next_no("CT", Contact) for _ in range(5)]
    assert [number(no) for no in numbers] == sorted({number(no) for no in numbers})


def test_series_count_independently():
    contact_no = next_no("CT", Contact)
    next_no("OP", Opportunity)
    next_no("OP", Opportunity)
    assert number(next_no("CT", Contact)) == number(contact_no) + 1


def test_reserving_nothing_takes_no_number():
    before = reserve("CT")[0]
    assert reserve("CT", 0) == []
    assert reserve("CT")[0] == before + 1


def test_contacts_are_numbered_from_the_contact_series():
    first = contact_create(name="Alpha GmbH")
    second = contact_create(name="Beta GmbH")
    assert re.fullmatch(r"CT\d{6}", first.no)
    assert number(second.no) > number(first.no)


@pytest.mark.postgresql
def test_a_number_taken_in_a_rolled_back_transaction_is_never_handed_out_again():
    # SQLite keeps the counter in a row of the caller's transaction, so there a rollback gives
    # the number back; on PostgreSQL the sequence leaves a gap instead.
    with pytest.raises(RuntimeError), transaction.atomic():
        taken = next_no("OP", Opportunity)
        raise RuntimeError("the insert failed")
    assert number(next_no("OP", Opportunity)) > number(taken)


def test_the_number_of_a_deleted_contact_is_never_handed_out_again():
    contact = contact_create(name="Short-lived Ltd")
    contact_delete(contact=contact)
    assert number(contact_create(name="Next Ltd").no) > number(contact.no)


def test_a_number_that_already_exists_is_skipped():
    last = reserve("CT")[0]
    Contact.objects.create(no=format_no("CT", last + 1), name="Imported Ltd")
    assert next_no("CT", Contact) == format_no("CT", last + 2)


def _lookups(queries, table: str) -> int:
    return sum(1 for query in queries if f'FROM "{table}"' in query["sql"])


def test_a_block_of_free_numbers_is_reserved_and_checked_at_once():
    last = reserve("TD")[0]

    with CaptureQueriesContext(connection) as queries:
        block = next_free_nos("TD", Task, 3)

    assert block == [format_no("TD", last + step) for step in (1, 2, 3)]
    assert _lookups(queries, "opportunities_task") == 1
    if connection.vendor == "postgresql":
        assert len(queries) == 2  # one nextval for the block, one look-up


def test_a_block_of_free_numbers_skips_the_existing_ones_in_one_more_round():
    last = reserve("CT")[0]
    Contact.objects.create(no=format_no("CT", last + 2), name="Imported Ltd")

    with CaptureQueriesContext(connection) as queries:
        block = next_free_nos("CT", Contact, 2)

    assert block == [format_no("CT", last + 1), format_no("CT", last + 3)]
    assert _lookups(queries, "contacts_contact") == 2


def test_contact_create_skips_an_imported_number():
    last = reserve("CT")[0]
    imported = Contact.objects.create(no=format_no("CT", last + 1), name="Imported Ltd")
    created = contact_create(name="New Ltd")
    assert created.no == format_no("CT", last + 2)
    assert Contact.objects.get(pk=imported.pk).name == "Imported Ltd"


def test_a_block_of_numbers_is_distinct_and_followed_by_higher_numbers():
    block = next_nos("OP", 5)
    assert len(block) == 5
    assert all(re.fullmatch(r"OP\d{6}", no) for no in block)
    assert [number(no) for no in block] == sorted({number(no) for no in block})
    assert number(next_no("OP", Opportunity)) > max(number(no) for no in block)


def test_an_empty_block_takes_no_number():
    assert next_nos("OP", 0) == []


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_get_distinct_numbers():
    threads_count, calls = 8, 25
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads_count)

    def work():
        try:
            start.wait(timeout=30)
            for _ in range(calls):
                with transaction.atomic():
                    no = next_no("OP", Opportunity)
                with lock:
                    numbers.append(no)
        except BaseException as exc:  # reported below: an exception in a thread would pass unnoticed
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(numbers) == threads_count * calls
    assert len(set(numbers)) == threads_count * calls
