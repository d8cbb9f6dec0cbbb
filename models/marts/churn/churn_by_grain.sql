{#
    Churn and CRR at every grain of churn_grains (METRICS.md "Churn and CRR
    at every grain"): the definitions of churn with the period a day, ISO
    week, month, quarter, half year or year. The counting is the macro
    churn_count_ctes, the one churn uses, so the month rows equal churn.
#}
with

spells as (
    select * from {{ ref('retention', 'int_active_spells') }}
),

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

period_spine as (
    select * from {{ ref('retention', 'int_period_spine') }}
),

{{ churn_count_ctes('period_spine', 'spells', 'customers', keys=['grain'],
    grains=get_churn_grains(), grain_key='grain') }}

final as (
    select
        grain,
        period_start,
        period_end,
        {{ churn_measures() | indent(8) }}
    from churn_period_counts
)

select * from final
