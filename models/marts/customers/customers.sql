{%- set passthrough = get_passthrough_columns() %}
{%- set all_passthrough = passthrough.customer + passthrough.first_order %}
{#- The contract lists the columns of CONTRACT.md; passthrough columns are
    the user's own, of the user's types, so with any of them the contract is
    not enforced (docs/package.md). #}
{{ config(contract={
    'enforced': all_passthrough | length == 0,
}) }}

{#
    One row per customer with at least one purchase: value, time between
    purchases, recency and tenure, RFM quintile scores and lifecycle stage,
    all as of as_of_date, then the passthrough columns. No PII. The RFM
    scores and the stage are the as_of_date row of
    int_customer_stage_snapshots, the one home of the stage (lifecycle_flows
    reads its other rows).
#}
with

cohort_assignments as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

purchase_stats as (
    select * from {{ ref('retention', 'int_customer_purchase_stats') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

signups as (
    select * from {{ ref('retention', 'int_customer_signups') }}
),

stage_snapshots as (
    select * from {{ ref('retention', 'int_customer_stage_snapshots') }}
),
{%- if using_raw_table('events') %}

    latest_nps as (
        select * from {{ ref('retention', 'int_nps_responses') }}
        where is_latest
    ),
{%- endif %}
{%- if passthrough.first_order %}

    first_orders as (
        select * from {{ ref('retention', 'int_customer_first_orders') }}
    ),
{%- endif %}

measured as (
    select
        cohort_assignments.customer_id,
        cohort_assignments.acquisition_channel,
        cohort_assignments.country_code,
        cohort_assignments.cohort_period,
        purchase_stats.first_purchase_date,
        purchase_stats.last_purchase_date,
        purchase_stats.purchases,
        purchase_stats.purchase_days,
        purchase_stats.net_revenue,
        purchase_stats.gross_margin,
        purchase_stats.has_cost,
        purchase_stats.days_to_second_purchase,
        purchase_stats.avg_days_between_purchases,
        purchase_stats.median_days_between_purchases,
        {{ days_between('purchase_stats.last_purchase_date',
            'as_of.as_of_date') }} as recency_days,
        {{ days_between('purchase_stats.first_purchase_date',
            'as_of.as_of_date') }} as tenure_days,
        signups.days_to_first_purchase,
        stage_snapshots.lifecycle_stage,
        stage_snapshots.rfm_recency_score,
        stage_snapshots.rfm_frequency_score,
        stage_snapshots.rfm_monetary_score,
        {%- if using_raw_table('events') %}
            latest_nps.nps_score as latest_nps_score,
            latest_nps.nps_class as latest_nps_class
        {%- else %}
            cast(null as integer) as latest_nps_score,
            cast(null as {{ dbt.type_string() }}) as latest_nps_class
        {%- endif %}{{ passthrough_aliases(
            passthrough.customer) }}{{ passthrough_aliases(passthrough.first_order) }}
    from cohort_assignments
    inner join purchase_stats
        on cohort_assignments.customer_id = purchase_stats.customer_id
    left join signups
        on cohort_assignments.customer_id = signups.customer_id
    {%- if using_raw_table('events') %}
        left join latest_nps
            on cohort_assignments.customer_id = latest_nps.customer_id
    {%- endif %}
    {%- if passthrough.first_order %}
        left join first_orders
            on cohort_assignments.customer_id = first_orders.customer_id
    {%- endif %}
    cross join as_of
    inner join stage_snapshots
        on
            cohort_assignments.customer_id = stage_snapshots.customer_id
            and as_of.as_of_date = stage_snapshots.snapshot_date
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        {{ store_of_id('customer_id') }} as store,
        cast(acquisition_channel as {{ dbt.type_string() }})
            as acquisition_channel,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cohort_period,
        first_purchase_date,
        last_purchase_date,
        cast(purchases as {{ dbt.type_bigint() }}) as purchases,
        cast(purchase_days as {{ dbt.type_bigint() }}) as purchase_days,
        net_revenue,
        gross_margin,
        has_cost,
        {{ aov('net_revenue', 'purchases') }} as aov,
        cast(days_to_second_purchase as integer) as days_to_second_purchase,
        avg_days_between_purchases,
        median_days_between_purchases,
        cast(recency_days as integer) as recency_days,
        cast(tenure_days as integer) as tenure_days,
        recency_days < {{ get_churn_window_days() }} as is_active,
        gross_margin as historical_cltv,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(rfm_recency_score as integer) as rfm_recency_score,
        cast(rfm_frequency_score as integer) as rfm_frequency_score,
        cast(rfm_monetary_score as integer) as rfm_monetary_score,
        cast(latest_nps_score as integer) as latest_nps_score,
        cast(latest_nps_class as {{ dbt.type_string() }})
            as latest_nps_class,
        cast(days_to_first_purchase as integer)
            as days_to_first_purchase{{ passthrough_aliases(all_passthrough) }} -- noqa
    from measured
)

select * from final
