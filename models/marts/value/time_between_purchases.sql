{#
    Time between purchases per cohort and transition: the k-th gap is the
    days between purchase days k and k + 1 of one customer. Customers with a
    single purchase day have no gaps and are not counted (they are not zeros).
#}
with

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

cohort_assignments as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

gaps as (
    select
        purchase_days.customer_id,
        cohort_assignments.cohort_period,
        purchase_days.days_since_previous_purchase as gap_days,
        purchase_days.purchase_day_number - 1 as gap_number
    from purchase_days
    inner join cohort_assignments
        on purchase_days.customer_id = cohort_assignments.customer_id
    where purchase_days.previous_purchase_date is not null
),

labelled_gaps as (
    select
        customer_id,
        cohort_period,
        gap_days,
        case
            when gap_number = 1 then '1-2'
            when gap_number = 2 then '2-3'
            else '3+'
        end as transition,
        {# a customer's gaps are numbered 1, 2, 3, ... so its first gap of
            a transition is gap 1 (1-2), 2 (2-3) or 3 (3+): counting those
            counts its customers without a distinct count #}
        case when gap_number <= 3 then 1 else 0 end as is_first_gap
    from gaps
    union all
    select
        customer_id,
        cohort_period,
        gap_days,
        'all' as transition,
        case when gap_number = 1 then 1 else 0 end as is_first_gap
    from gaps
),

transitions as (
    select '1-2' as transition
    union all
    select '2-3' as transition
    union all
    select '3+' as transition
    union all
    select 'all' as transition
),

grid as (
    select distinct
        cohort_assignments.cohort_period,
        transitions.transition
    from cohort_assignments
    cross join transitions
),

gap_stats as (
    select
        cohort_period,
        transition,
        sum(is_first_gap) as customers,
        count(*) as gaps,
        avg(cast(gap_days as {{ type_ratio() }})) as mean_days,
        {{ percentile_cont('gap_days', 0.5) }} as median_days,
        {{ percentile_cont('gap_days', 0.75) }} as p75_days,
        {{ percentile_cont('gap_days', 0.9) }} as p90_days
    from labelled_gaps
    group by cohort_period, transition
),

final as (
    select
        grid.cohort_period,
        cast(grid.transition as {{ dbt.type_string() }}) as transition,
        cast(coalesce(gap_stats.customers, 0) as {{ dbt.type_bigint() }})
            as customers,
        cast(coalesce(gap_stats.gaps, 0) as {{ dbt.type_bigint() }}) as gaps,
        cast(gap_stats.mean_days as {{ type_ratio() }}) as mean_days,
        cast(gap_stats.median_days as {{ type_ratio() }}) as median_days,
        cast(gap_stats.p75_days as {{ type_ratio() }}) as p75_days,
        cast(gap_stats.p90_days as {{ type_ratio() }}) as p90_days
    from grid
    left join gap_stats
        on
            grid.cohort_period = gap_stats.cohort_period
            and grid.transition = gap_stats.transition
)

select * from final
