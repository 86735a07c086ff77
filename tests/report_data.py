"""The small fixed data set of the report tests (API and pages), built through the services.

All opportunities were created on 2026-01-05 and activated on 2026-01-10.

The rep, cycle NEW:
- A: open at stage 1 (10 % × 20 %), 1000, expected to close 2026-03-15 → weighted 20.
- B: open at stage 2 (30 % × 40 %), 2000, expected to close 2026-04-20 → weighted 240.
- W: won at stage 1 on 2026-02-14 for 2500 (code WON-PRICE), 40 days after creation.
- L: lost at stage 2 on 2026-03-06 (code LOST-COMP), estimate 800, expected 2026-03-20, 60 days.
- N: not started (open, no estimate, no expected date).
The other rep:
- O: cycle EXIST (one stage, 50 % × 50 %), open, 5000, expected 2026-03-31 → weighted 1250.
- OW: cycle NEW, won at stage 1 on 2026-03-02 for 4000 (code WON-PRICE), 56 days.
"""

import datetime
from decimal import Decimal

from opportunities import services
from tests.factories import OpportunityFactory, PersonFactory, SalesCycleFactory, StageFactory

D = Decimal
ACTIVATED_ON = datetime.date(2026, 1, 10)


def build_report_data(*, cycle, rep, other_rep, won_code, lost_code) -> dict:
    exist = SalesCycleFactory(code="EXIST", description="Existing customers")
    StageFactory(sales_cycle=exist, stage=1, completed_pct=D("50"), chances_of_success_pct=D("50"))

    def new(salesperson, sales_cycle=cycle, **activation):
        opportunity = OpportunityFactory(sales_cycle=sales_cycle, salesperson=salesperson, contact=PersonFactory())
        if activation:
            services.opportunity_activate(opportunity=opportunity, user=None, date_of_change=ACTIVATED_ON, **activation)
        return opportunity

    a = new(rep, estimated_value=D("1000"), estimated_close_date=datetime.date(2026, 3, 15))
    b = new(rep, estimated_value=D("2000"), estimated_close_date=datetime.date(2026, 4, 20))
    services.opportunity_update_stage(
        opportunity=b,
        user=None,
        action="next",
        date_of_change=datetime.date(2026, 1, 20),
        estimated_close_date=datetime.date(2026, 4, 20),
    )
    w = new(rep, estimated_value=D("3000"), estimated_close_date=datetime.date(2026, 3, 10))
    services.opportunity_close(
        opportunity=w,
        user=None,
        outcome="won",
        close_code=won_code,
        date_closed=datetime.date(2026, 2, 14),
        sales_amount=D("2500"),
    )
    lost = new(rep, estimated_value=D("800"), estimated_close_date=datetime.date(2026, 3, 20))
    services.opportunity_update_stage(
        opportunity=lost,
        user=None,
        action="next",
        date_of_change=datetime.date(2026, 1, 15),
        estimated_close_date=datetime.date(2026, 3, 20),
    )
    services.opportunity_close(
        opportunity=lost, user=None, outcome="lost", close_code=lost_code, date_closed=datetime.date(2026, 3, 6)
    )
    n = new(rep)
    o = new(other_rep, sales_cycle=exist, estimated_value=D("5000"), estimated_close_date=datetime.date(2026, 3, 31))
    ow = new(other_rep, estimated_value=D("4500"), estimated_close_date=datetime.date(2026, 3, 31))
    services.opportunity_close(
        opportunity=ow,
        user=None,
        outcome="won",
        close_code=won_code,
        date_closed=datetime.date(2026, 3, 2),
        sales_amount=D("4000"),
    )
    return {"A": a, "B": b, "W": w, "L": lost, "N": n, "O": o, "OW": ow, "EXIST": exist}


def grow(*, cycle, salesperson, won_code, lost_code, count: int) -> None:
    """``count`` more opportunities of ``salesperson``: open at stages 1 and 2, some won, some lost."""
    for index in range(count):
        opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=salesperson, contact=PersonFactory())
        services.opportunity_activate(
            opportunity=opportunity,
            user=None,
            date_of_change=ACTIVATED_ON,
            estimated_value=D("100"),
            estimated_close_date=datetime.date(2026, 2 + index % 10, 1),
        )
        if index % 2:
            services.opportunity_update_stage(
                opportunity=opportunity, user=None, action="next", date_of_change=ACTIVATED_ON
            )
        if index % 5 == 4:
            services.opportunity_close(
                opportunity=opportunity,
                user=None,
                outcome="won" if index % 2 else "lost",
                close_code=won_code if index % 2 else lost_code,
                date_closed=datetime.date(2026, 2, 1 + index % 20),
                sales_amount=D("100") if index % 2 else None,
            )
