{#
    Acquisition economics per channel and cohort month: CAC from marketing
    spend, cohort LTV (cumulative gross margin per new customer) after 3, 6
    and 12 whole months, LTV/CAC and payback month.
#}
with

cohort_assignments as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

purchases as (
    select * from {{ ref('retention', 'int_purchases') }}
),

{# using_marketing_spend: false reads no spend: every CAC is NULL. #}
marketing_spend as (
    {%- if using_raw_table('marketing_spend') %}
        select * from {{ ref('retention', 'stg_marketing_spend') }}
    {%- else %}
        {{ no_marketing_spend() }}
    {%- endif %}
),

month_spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

new_customers as (
    select
        customer_id,
        acquisition_channel,
        {{ period_start('first_purchase_date', 'month') }} as cohort_month
    from cohort_assignments
),

new_by_month as (
    select
        acquisition_channel,
        cohort_month,
        count(*) as new_customers
    from new_customers
    group by acquisition_channel, cohort_month
),

spend_by_month as (
    select
        marketing_spend.channel as acquisition_channel,
        {{ period_start('marketing_spend.spend_date', 'month') }}
            as cohort_month,
        sum(marketing_spend.spend_amount) as spend
    from marketing_spend
    cross join as_of
    where marketing_spend.spend_date <= as_of.as_of_date
    group by
        marketing_spend.channel,
        {{ period_start('marketing_spend.spend_date', 'month') }}
),

channel_months as (
    select
        coalesce(
            new_by_month.acquisition_channel, spend_by_month.acquisition_channel
        ) as acquisition_channel,
        coalesce(new_by_month.cohort_month, spend_by_month.cohort_month)
            as cohort_month,
        coalesce(new_by_month.new_customers, 0) as new_customers,
        coalesce(spend_by_month.spend, 0) as spend
    from new_by_month
    full outer join spend_by_month
        on
            new_by_month.acquisition_channel
            = spend_by_month.acquisition_channel
            and new_by_month.cohort_month = spend_by_month.cohort_month
),

purchase_months as (
    select
        new_customers.acquisition_channel,
        new_customers.cohort_month,
        {{ periods_between('new_customers.cohort_month',
            period_start('purchases.order_date', 'month'), 'month') }}
            as month_number,
        purchases.gross_margin
    from purchases
    inner join new_customers
        on purchases.customer_id = new_customers.customer_id
),

margin_by_month_number as (
    select
        acquisition_channel,
        cohort_month,
        month_number,
        sum(gross_margin) as gross_margin
    from purchase_months
    group by acquisition_channel, cohort_month, month_number
),

{#
    Each channel month with the months from its cohort month through the
    month of as_of_date. A cohort month before the spine's first month (spend
    before the first purchase) has no customers, so its LTV points are NULL
    either way.
#}
channel_month_numbers as (
    select
        channel_months.acquisition_channel,
        channel_months.cohort_month,
        channel_months.new_customers,
        channel_months.spend,
        {{ periods_between('channel_months.cohort_month',
            'month_spine.period_start', 'month') }} as month_number,
        month_spine.is_complete_period as is_complete_month
    from channel_months
    inner join month_spine
        on channel_months.cohort_month <= month_spine.period_start
),

ltv_curve as (
    select
        channel_month_numbers.acquisition_channel,
        channel_month_numbers.cohort_month,
        channel_month_numbers.month_number,
        channel_month_numbers.is_complete_month,
        {{ per_customer(
            'sum(coalesce(margin_by_month_number.gross_margin, 0)) over ('
            ~ 'partition by channel_month_numbers.acquisition_channel, '
            ~ 'channel_month_numbers.cohort_month '
            ~ 'order by channel_month_numbers.month_number '
            ~ 'rows between unbounded preceding and current row)',
            'channel_month_numbers.new_customers') }} as ltv,
        {{ cac('channel_month_numbers.spend',
            'channel_month_numbers.new_customers') }} as cac
    from channel_month_numbers
    left join margin_by_month_number
        on
            channel_month_numbers.acquisition_channel
            = margin_by_month_number.acquisition_channel
            and channel_month_numbers.cohort_month
            = margin_by_month_number.cohort_month
            and channel_month_numbers.month_number
            = margin_by_month_number.month_number
),

ltv_points as (
    select
        acquisition_channel,
        cohort_month,
        {% for months in [3, 6, 12] -%}
            max(
                case
                    when month_number = {{ months }} and is_complete_month
                        then ltv
                end
            ) as ltv_{{ months }}m,
        {% endfor -%}
        min(
            case
                when is_complete_month and ltv >= cac then month_number
            end
        ) as payback_months
    from ltv_curve
    group by acquisition_channel, cohort_month
),

final as (
    select
        cast(channel_months.acquisition_channel as {{ dbt.type_string() }})
            as acquisition_channel,
        channel_months.cohort_month,
        cast(channel_months.new_customers as {{ dbt.type_bigint() }})
            as new_customers,
        cast(channel_months.spend as {{ type_money() }}) as spend,
        {{ cac('channel_months.spend', 'channel_months.new_customers') }}
            as cac,
        cast(ltv_points.ltv_3m as {{ type_ratio() }}) as ltv_3m,
        cast(ltv_points.ltv_6m as {{ type_ratio() }}) as ltv_6m,
        cast(ltv_points.ltv_12m as {{ type_ratio() }}) as ltv_12m,
        {{ ltv_to_cac('ltv_points.ltv_12m',
            cac('channel_months.spend', 'channel_months.new_customers')) }}
            as ltv_to_cac_12m,
        cast(ltv_points.payback_months as integer) as payback_months
    from channel_months
    left join ltv_points
        on
            channel_months.acquisition_channel
            = ltv_points.acquisition_channel
            and channel_months.cohort_month = ltv_points.cohort_month
)

{#
    Rows in a fixed order: retention_scorecard adds up ltv_12m x
    new_customers over the channels of a month in double precision, and the
    last bits of such a sum depend on the order of the rows.
#}
select * from final
order by acquisition_channel, cohort_month
