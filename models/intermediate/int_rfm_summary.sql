{#
    The recency-frequency-monetary summary that BG/NBD and Gamma-Gamma fit
    on, identical to lifetimes' summary_data_from_transaction_data with
    freq='D' and freq_multiplier=rfm_time_unit_days (METRICS.md "RFM summary").
    The mart rfm_summary publishes it as it is; the CLV fits
    (intermediate/clv) read it here, so no intermediate model reads a mart.
#}
{%- set observation_end_var = get_rfm_observation_end_var() %}

with

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

observation as (
    select
        {% if observation_end_var -%}
            cast('{{ observation_end_var }}' as date)
        {%- else -%}
            as_of_date
        {%- endif %} as observation_end
    from {{ ref('retention', 'int_as_of_date') }}
),

observed_days as (
    select
        purchase_days.customer_id,
        purchase_days.purchase_date,
        purchase_days.purchase_day_number,
        purchase_days.net_revenue,
        observation.observation_end
    from purchase_days
    cross join observation
    where purchase_days.purchase_date <= observation.observation_end
),

per_customer as (
    select
        customer_id,
        observation_end,
        count(*) - 1 as frequency,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        sum(
            case when purchase_day_number > 1 then net_revenue else 0 end
        ) as repeat_net_revenue
    from observed_days
    group by customer_id, observation_end
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(frequency as {{ dbt.type_bigint() }}) as frequency,
        {{ rfm_duration(days_between('first_purchase_date',
            'last_purchase_date')) }} as recency,
        {{ rfm_duration(days_between('first_purchase_date',
            'observation_end')) }} as t,
        {{ rfm_monetary_value('repeat_net_revenue', 'frequency') }}
            as monetary_value,
        observation_end,
        cast({{ get_rfm_time_unit_days() }} as integer) as time_unit_days
    from per_customer
)

select * from final
