"""``python manage.py generate_data --opportunities N --seed S``: a large, deterministic data set.

For load tests and for trying the reports at scale (SPEC §9). It adds to what is in the database:
N opportunities with about five history entries each (60 % in progress, 10 % not started, 20 % won,
10 % lost), N/2 persons and N/10 companies with their duplicate search strings, N/500 salespeople
(at least five, each with a login) and, when missing, the demo sales cycles and close codes.

Rows are written with ``bulk_create``, one transaction per batch; the figures follow the rules of
the lifecycle services (see ``opportunities.management.scale``).
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from opportunities.management.commands.seed_demo import DEMO_PASSWORD
from opportunities.management.scale import generate, sizes
from opportunities.management.setup_data import ensure_setup


class Command(BaseCommand):
    help = (
        "Add a deterministic scale data set: N opportunities with their history, N/2 persons, N/10 companies "
        "and N/500 salespeople (at least 5), written in bulk. The same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--opportunities", type=int, required=True, help="Number of opportunities to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Rows per batch and transaction (default 5000)."
        )

    def handle(self, *args, opportunities, seed, batch_size, **options):
        if opportunities < 1:
            raise CommandError("--opportunities must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = time.monotonic()
        salespeople, companies, persons = sizes(opportunities)
        self.stdout.write(
            f"Generating {opportunities:,} opportunities, {companies:,} companies, {persons:,} persons and "
            f"{salespeople} salespeople (seed {seed}, batches of {batch_size:,})."
        )
        ensure_setup()
        last_report = {}

        def progress(what: str, done: int, total: int) -> None:
            # About ten lines per kind, plus the last one.
            step = max(1, total // 10)
            if done == total or done // step != last_report.get(what, 0) // step:
                self.stdout.write(f"  {what}: {done:,}/{total:,} ({time.monotonic() - started:.1f} s)")
            last_report[what] = done

        try:
            totals = generate(
                opportunities=opportunities,
                seed=seed,
                batch_size=batch_size,
                password=DEMO_PASSWORD,
                today=timezone.localdate(),
                progress=progress,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created {totals['opportunities']:,} opportunities, {totals['entries']:,} entries, "
            f"{totals['quotes']:,} quotes and {totals['contacts']:,} contacts for {totals['salespeople']} "
            f"salespeople (logins gen001…, password {DEMO_PASSWORD}) in {time.monotonic() - started:.1f} s."
        )
