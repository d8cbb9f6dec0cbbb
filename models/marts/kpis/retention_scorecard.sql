{#
    One row per benchmarked KPI: the latest complete period's value next to
    the benchmark range of the kpi_benchmarks seed, and where it falls; then
    one row per KPI shown for information only, without a benchmark (nps:
    the project's sources give none), status no_benchmark.
#}
with

benchmarks as (
    select * from {{ ref('retention', 'kpi_benchmarks') }}
),

kpis as (
    select * from {{ ref('retention', 'retention_kpis') }}
),

churn as (
    select * from {{ ref('retention', 'churn') }}
),

channel_economics as (
    select * from {{ ref('retention', 'channel_economics') }}
),

purchases as (
    select * from {{ ref('retention', 'int_purchases') }}
),
{%- if using_raw_table('events') %}

    nps as (
        select * from {{ ref('retention', 'nps') }}
    ),
{%- endif %}

latest_complete_month as (
    select max(month_start) as month_start
    from kpis
    where is_complete_period
),

repeat_rate as (
    select
        'repeat_rate_180d' as kpi,
        max(month_start) as measured_for
    from kpis
    where repeat_rate_180d is not null
),

nrr as (
    select
        'nrr_12m' as kpi,
        max(month_start) as measured_for
    from kpis
    where is_complete_period and nrr_12m is not null
),

frequency_12m as (
    select
        'purchase_frequency_12m' as kpi,
        latest_complete_month.month_start as measured_for,
        {{ purchase_frequency('count(purchases.order_id)',
            'count(distinct purchases.customer_id)') }} as value
    from latest_complete_month
    left join purchases
        on
            purchases.order_date
            >= {{ add_periods('latest_complete_month.month_start', -11,
                'month') }}
            and purchases.order_date
            <= {{ period_end('latest_complete_month.month_start', 'month') }}
    group by latest_complete_month.month_start
),

ltv_cohort as (
    select max(cohort_month) as cohort_month
    from channel_economics
    where ltv_12m is not null and cac is not null
),

ltv_to_cac as (
    select
        'ltv_to_cac_12m' as kpi,
        ltv_cohort.cohort_month as measured_for,
        {{ safe_ratio('sum(channel_economics.ltv_12m '
            ~ '* channel_economics.new_customers)',
            'sum(channel_economics.spend)') }} as value
    from ltv_cohort
    left join channel_economics
        on
            ltv_cohort.cohort_month = channel_economics.cohort_month
            and channel_economics.ltv_12m is not null
            and channel_economics.cac is not null
    group by ltv_cohort.cohort_month
),

measured as (
    select
        repeat_rate.kpi,
        repeat_rate.measured_for,
        kpis.repeat_rate_180d as value
    from repeat_rate
    left join kpis on repeat_rate.measured_for = kpis.month_start
    union all
    select
        frequency_12m.kpi,
        frequency_12m.measured_for,
        frequency_12m.value
    from frequency_12m
    union all
    select
        'monthly_churn_rate' as kpi,
        latest_complete_month.month_start as measured_for,
        churn.churn_rate as value
    from latest_complete_month
    left join churn
        on latest_complete_month.month_start = churn.period_start
    union all
    select
        ltv_to_cac.kpi,
        ltv_to_cac.measured_for,
        ltv_to_cac.value
    from ltv_to_cac
    union all
    select
        nrr.kpi,
        nrr.measured_for,
        kpis.nrr_12m as value
    from nrr
    left join kpis on nrr.measured_for = kpis.month_start
),

{#- NPS of the latest complete month with respondents (NULL without events). #}
{%- if using_raw_table('events') %}

    latest_nps_month as (
        select max(month_start) as month_start
        from nps
        where is_complete_period and respondents > 0
    ),

    information_only as (
        select
            'nps' as kpi,
            latest_nps_month.month_start as measured_for,
            nps.nps as value
        from latest_nps_month
        left join nps on latest_nps_month.month_start = nps.month_start
    ),
{%- else %}

    information_only as (
        select
            'nps' as kpi,
            cast(null as date) as measured_for,
            cast(null as {{ type_ratio() }}) as value
    ),
{%- endif %}

benchmarked as (
    select
        cast(benchmarks.kpi as {{ dbt.type_string() }}) as kpi,
        cast(measured.value as {{ type_ratio() }}) as value,
        measured.measured_for,
        cast(benchmarks.benchmark_low as {{ type_ratio() }}) as benchmark_low,
        cast(benchmarks.benchmark_high as {{ type_ratio() }})
            as benchmark_high,
        cast(
            case
                when measured.value is null then 'no_data'
                when measured.value < benchmarks.benchmark_low then 'below'
                when measured.value > benchmarks.benchmark_high then 'above'
                else 'within'
            end as {{ dbt.type_string() }}
        ) as status,
        cast(benchmarks.source as {{ dbt.type_string() }}) as source
    from benchmarks
    left join measured
        on benchmarks.kpi = measured.kpi
),

unbenchmarked as (
    select
        cast(kpi as {{ dbt.type_string() }}) as kpi,
        cast(value as {{ type_ratio() }}) as value,
        measured_for,
        cast(null as {{ type_ratio() }}) as benchmark_low,
        cast(null as {{ type_ratio() }}) as benchmark_high,
        cast(
            case
                when value is null then 'no_data'
                else 'no_benchmark'
            end as {{ dbt.type_string() }}
        ) as status,
        cast(
            'Information only: the retention literature this project follows'
            || ' gives no NPS benchmark (docs/metric_decisions.md "Scorecard")'
            as {{ dbt.type_string() }}
        ) as source
    from information_only
),

final as (
    select * from benchmarked
    union all
    select * from unbenchmarked
)

select * from final
