{{ config(post_hook="{{ log_folded_segment_values(this) }}") }}

{#
    One row per customer x segment dimension of segment_dimensions (METRICS.md
    "Segments"): the customer's value of that dimension, `unknown` when it is
    NULL or blank. A dimension with more than segment_max_values values keeps
    its largest values by customers (ties: the value's text) and folds the
    rest into `other` (the post-hook logs which dimensions were folded).
    Every *_by_segment mart joins this table, so a new dimension adds rows,
    not models.
#}
{%- set dimensions = get_segment_dimensions() %}
{%- set passthrough = get_passthrough_columns() %}
{%- set first_order_aliases = passthrough.first_order
    | map(attribute='alias') | list %}
{%- set reads_first_orders = dimensions | select('in', first_order_aliases)
    | list | length > 0 %}
{%- set expressions = {
    'acquisition_channel': segment_value('customers.acquisition_channel', lower=true),
    'acquisition_campaign': segment_value('customers.acquisition_campaign', lower=true),
    'country_code': segment_value('customers.country_code'),
    'store': segment_value(store_of_id('customers.customer_id')),
} %}

with

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),
{%- if reads_first_orders %}

    first_orders as (
        select * from {{ ref('retention', 'int_customer_first_orders') }}
    ),
{%- endif %}

customer_values as (
    {%- for dimension in dimensions %}
        select
            customers.customer_id,
            cast('{{ dimension }}' as {{ dbt.type_string() }}) as segment,
            {%- if dimension in expressions %}
                {{ expressions[dimension] }} as segment_value
            {%- elif dimension in first_order_aliases %}
                {{ segment_value('first_orders.' ~ dimension) }}
                    as segment_value
            {%- else %}
                {{ segment_value('customers.' ~ dimension) }} as segment_value
            {%- endif %}
        from customers
        {%- if dimension in first_order_aliases %}
            left join first_orders
                on customers.customer_id = first_orders.customer_id
        {%- endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

value_sizes as (
    select
        segment,
        segment_value,
        row_number() over (
            partition by segment
            order by count(*) desc, segment_value asc
        ) as value_rank
    from customer_values
    group by segment, segment_value
),

final as (
    select
        customer_values.customer_id,
        customer_values.segment,
        case
            when value_sizes.value_rank > {{ get_segment_max_values() }}
                then {{ other_segment_value() }}
            else customer_values.segment_value
        end as segment_value,
        value_sizes.value_rank > {{ get_segment_max_values() }}
            as is_folded_into_other
    from customer_values
    inner join value_sizes
        on
            customer_values.segment = value_sizes.segment
            and customer_values.segment_value = value_sizes.segment_value
)

select * from final
