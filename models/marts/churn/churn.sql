{#
    Monthly churn of the non-contractual kind (METRICS.md "Churn"): who was
    active the day before the month (S), on its last counted day (E), who is
    new, retained, churned or reactivated. Reads active spells, never a
    customer x day grid; the counting is the macro churn_count_ctes, shared
    with churn_by_grain.
#}
with

spells as (
    select * from {{ ref('retention', 'int_active_spells') }}
),

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

month_spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

{{ churn_count_ctes('month_spine', 'spells', 'customers') }}

final as (
    select
        period_start,
        period_end,
        {{ churn_measures() | indent(8) }}
    from churn_period_counts
)

select * from final
