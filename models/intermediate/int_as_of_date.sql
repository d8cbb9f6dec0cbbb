{#
    The "today" of every mart, one row. The as_of_date var when it is set,
    else the latest date present in staged orders or events (orders alone
    with using_events: false).
#}
{%- set as_of_var = get_as_of_date_var() %}

with

orders as (
    select * from {{ ref('retention', 'stg_orders') }}
),

{%- if using_raw_table('events') %}

    events as (
        select * from {{ ref('retention', 'stg_events') }}
    ),
{%- endif %}

latest_dates as (
    select max(order_date) as latest_date from orders
    {%- if using_raw_table('events') %}
        union all
        select max(event_date) as latest_date from events
    {%- endif %}
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
