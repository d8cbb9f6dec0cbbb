{#
    The "today" of every mart, one row. The as_of_date var when it is set,
    else the latest date present in staged orders or events.
#}
{%- set as_of_var = get_as_of_date_var() %}

with

orders as (
    select * from {{ ref('retention', 'stg_orders') }}
),

events as (
    select * from {{ ref('retention', 'stg_events') }}
),

latest_dates as (
    select max(order_date) as latest_date from orders
    union all
    select max(event_date) as latest_date from events
),

derived as (
    select max(latest_date) as derived_as_of_date
    from latest_dates
),

final as (
    select
        {% if as_of_var -%}
            cast('{{ as_of_var }}' as date)
        {%- else -%}
            cast(derived_as_of_date as date)
        {%- endif %} as as_of_date
    from derived
)

select * from final
