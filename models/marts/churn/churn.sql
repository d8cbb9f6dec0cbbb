{#
    Monthly churn of the non-contractual kind (METRICS.md "Churn"): who was
    active the day before the month (S), on its last counted day (E), who is
    new, retained, churned or reactivated. Reads active spells, never a
    customer x day grid; the counts are macros/marts/churn_counts.sql.
#}
with

spells as (
    select * from {{ ref('retention', 'int_active_spells') }}
),

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

{{ churn_counts_ctes() }},

final as (
    select
        {{ churn_measures() | indent(8) }}
    from counted
)

select * from final
