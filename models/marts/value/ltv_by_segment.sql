{#
    LTV per segment dimension x value x cohort_period (METRICS.md "Segments",
    CONTRACT.md section 7): cumulative gross margin per customer over the
    calendar months 0..N after each customer's first purchase month (N = 3,
    6, 12), NULL until month N is complete for the cohort's last possible
    first-purchase month; lifetime gross margin per customer; and the mean
    predicted CLTV where the predictive models run.
#}
{%- set grain = get_cohort_grain() %}
{%- set with_predictions = predictive_models_enabled() %}

with

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

segments as (
    select * from {{ ref('retention', 'int_customer_segments') }}
),

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),
{%- if with_predictions %}

    predictions as (
        select * from {{ ref('retention', clv_predictions_model()) }}
    ),
{%- endif %}

{# Purchase days carry the day's summed gross margin and the customer's
    first purchase date, so no join with the orders is needed. #}
purchase_months as (
    select
        customer_id,
        {{ periods_between(
            period_start('first_purchase_date', 'month'),
            period_start('purchase_date', 'month'), 'month') }}
            as month_number,
        gross_margin
    from purchase_days
),

customer_margins as (
    select
        customer_id,
        {% for months in [3, 6, 12] -%}
            sum(
                case when month_number <= {{ months }} then gross_margin end
            ) as gross_margin_{{ months }}m,
        {% endfor -%}
        sum(gross_margin) as lifetime_gross_margin
    from purchase_months
    group by customer_id
),

customer_values as (
    select
        segments.segment,
        segments.segment_value,
        customers.cohort_period,
        customer_margins.gross_margin_3m,
        customer_margins.gross_margin_6m,
        customer_margins.gross_margin_12m,
        customer_margins.lifetime_gross_margin,
        {% if with_predictions -%}
            predictions.predicted_cltv
        {%- else -%}
            cast(null as {{ type_ratio() }}) as predicted_cltv
        {%- endif %}
    from segments
    inner join customers
        on segments.customer_id = customers.customer_id
    inner join customer_margins
        on segments.customer_id = customer_margins.customer_id
    {%- if with_predictions %}
        left join predictions
            on segments.customer_id = predictions.customer_id
    {%- endif %}
),

aggregated as (
    select
        segment,
        segment_value,
        cohort_period,
        count(*) as customers,
        sum(gross_margin_3m) as gross_margin_3m,
        sum(gross_margin_6m) as gross_margin_6m,
        sum(gross_margin_12m) as gross_margin_12m,
        sum(lifetime_gross_margin) as lifetime_gross_margin,
        avg(predicted_cltv) as avg_predicted_cltv
    from customer_values
    group by segment, segment_value, cohort_period
),

{# The first day of the cohort period's last calendar month. #}
cohort_last_months as (
    select
        aggregated.*,
        {{ period_start(period_end('aggregated.cohort_period', grain),
            'month') }} as last_first_purchase_month,
        as_of.as_of_date
    from aggregated
    cross join as_of
),

final as (
    select
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        cohort_period,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        {% for months in [3, 6, 12] -%}
            case
                when
                    {{ period_end(add_periods('last_first_purchase_month',
                        months, 'month'), 'month') }} <= as_of_date
                    then {{ per_customer(
                        'coalesce(gross_margin_' ~ months ~ 'm, 0)',
                        'customers') }}
            end as ltv_{{ months }}m,
        {% endfor -%}
        {{ per_customer('lifetime_gross_margin', 'customers') }}
            as historical_cltv_per_customer,
        cast(avg_predicted_cltv as {{ type_ratio() }}) as avg_predicted_cltv
    from cohort_last_months
)

select * from final
