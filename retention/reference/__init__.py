"""The independent pandas reference implementation of the marts (the oracle).

Written from docs/design/CONTRACT.md, docs/design/METRICS.md,
docs/metric_decisions.md and docs/staging_rules.md, never from the SQL
models, and importing nothing else of ``retention``
(tests/unit/test_reference_is_independent.py): that independence is what
makes "the marts equal the reference" a real check.

One module per mart area: :mod:`.vars` (dbt vars), :mod:`.staging` (staged
tables, as_of_date, purchases), :mod:`.cohorts`, :mod:`.churn`,
:mod:`.purchases` (purchase days, time_between_purchases), :mod:`.customers`
(customers, rfm_summary), :mod:`.economics` (channel_economics),
:mod:`.kpis` (retention_kpis, retention_scorecard), :mod:`.activity`
(activity_retention), :mod:`.signup` (signup_conversion,
customers.days_to_first_purchase), :mod:`.lifecycle` (lifecycle_flows),
:mod:`.drivers` (activation_drivers), and :mod:`.marts`, the entry points
:func:`compute_marts` and :func:`compute_value_marts`.
"""

from ._common import (
    MICROS_PER_UNIT,
    local_date,
    money,
    ntile,
    percentile,
    period_index,
    period_start,
    ratio,
)
from .activity import ACTIVITY_COLUMNS, build_activity_retention
from .churn import (
    CHURN_BY_GRAIN_COLUMNS,
    CHURN_COLUMNS,
    active_customers_on,
    build_churn,
    build_churn_by_grain,
)
from .cohorts import build_cohort_retention, build_customer_cohorts
from .customers import (
    CUSTOMER_COLUMNS,
    RFM_COLUMNS,
    build_customers,
    build_rfm_summary,
    lifecycle_stage,
)
from .drivers import DRIVER_COLUMNS, build_activation_drivers
from .economics import CHANNEL_COLUMNS, build_channel_economics
from .kpis import (
    KPI_COLUMNS,
    SCORECARD_COLUMNS,
    build_retention_kpis,
    build_retention_scorecard,
    nps_scorecard_value,
    read_benchmarks,
    scorecard_status,
    scorecard_values,
)
from .lifecycle import FLOW_COLUMNS, build_lifecycle_flows, snapshot_dates, stages_on
from .marts import compute_marts, compute_value_marts
from .purchases import TBP_COLUMNS, build_time_between_purchases, purchase_days
from .signup import SIGNUP_CONVERSION_COLUMNS, build_signup_conversion, customer_signups
from .staging import (
    Staged,
    purchases_until,
    read_raw,
    resolve_as_of_date,
    stage_all,
    staging_counts,
)
from .vars import (
    DriverVars,
    RunVars,
    ValueVars,
    WaveVars,
    parse_driver_vars,
    parse_value_vars,
    parse_vars,
    parse_wave_vars,
)

__all__ = [
    # entry points
    "compute_marts",
    "compute_value_marts",
    "read_raw",
    # vars
    "RunVars",
    "ValueVars",
    "parse_vars",
    "parse_value_vars",
    "WaveVars",
    "parse_wave_vars",
    "DriverVars",
    "parse_driver_vars",
    # staging and purchases
    "Staged",
    "stage_all",
    "staging_counts",
    "resolve_as_of_date",
    "purchases_until",
    "purchase_days",
    # marts, step by step
    "build_customer_cohorts",
    "build_cohort_retention",
    "active_customers_on",
    "build_churn",
    "build_churn_by_grain",
    "build_time_between_purchases",
    "lifecycle_stage",
    "build_customers",
    "build_rfm_summary",
    "build_channel_economics",
    "build_retention_kpis",
    "read_benchmarks",
    "scorecard_values",
    "scorecard_status",
    "nps_scorecard_value",
    "build_retention_scorecard",
    "build_activity_retention",
    "customer_signups",
    "build_signup_conversion",
    "snapshot_dates",
    "stages_on",
    "build_lifecycle_flows",
    "build_activation_drivers",
    # mart columns
    "CHURN_COLUMNS",
    "CHURN_BY_GRAIN_COLUMNS",
    "TBP_COLUMNS",
    "CUSTOMER_COLUMNS",
    "RFM_COLUMNS",
    "CHANNEL_COLUMNS",
    "KPI_COLUMNS",
    "SCORECARD_COLUMNS",
    "ACTIVITY_COLUMNS",
    "SIGNUP_CONVERSION_COLUMNS",
    "FLOW_COLUMNS",
    "DRIVER_COLUMNS",
    # helpers
    "MICROS_PER_UNIT",
    "local_date",
    "money",
    "ratio",
    "ntile",
    "percentile",
    "period_index",
    "period_start",
]
