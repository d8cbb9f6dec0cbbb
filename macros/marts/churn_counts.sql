{#
    The counts of METRICS.md "Churn" per period of a spine, shared by churn
    and churn_by_segment: who was active the day before the period (S), on
    its last counted day (E), who is new, retained, churned or reactivated.
    Reads the CTEs `spells` (customer_id, spell_start_date, spell_end_date),
    `customers` (customer_id, first_purchase_date) and `spine` (period_start,
    period_end, day_before_start, is_complete_period), each also carrying the
    `keys` columns (none for the pooled mart), and defines the CTEs
    customer_periods, classified, state_counts, new_counts and `counted`
    (one row per key x spine period, zero-filled).
#}
{% macro churn_counts_ctes(keys=[]) -%}
{%- set key_list = keys | join(', ') ~ (', ' if keys else '') -%}
{%- set spine_keys_match -%}
    {%- for key in keys %} and spine.{{ key }} = spells.{{ key }}{% endfor -%}
{%- endset -%}
{#- customers with a spell touching [day before start, last counted day] #}
customer_periods as (
    select
        {%- for key in keys %}
            spells.{{ key }},
        {%- endfor %}
        spine.period_start,
        spells.customer_id,
        max(
            case
                when
                    spells.spell_start_date <= spine.day_before_start
                    and spells.spell_end_date >= spine.day_before_start
                    then 1
                else 0
            end
        ) as was_active_at_start,
        max(
            case
                when
                    spells.spell_start_date <= spine.period_end
                    and spells.spell_end_date >= spine.period_end
                    then 1
                else 0
            end
        ) as is_active_at_end
    from spine
    inner join spells
        on
            spine.period_end >= spells.spell_start_date
            and spine.day_before_start <= spells.spell_end_date
            {{ spine_keys_match }}
    group by
        {%- for key in keys %}
            spells.{{ key }},
        {%- endfor %}
        spine.period_start,
        spells.customer_id
),

classified as (
    select
        {%- for key in keys %}
            customer_periods.{{ key }},
        {%- endfor %}
        customer_periods.period_start,
        customer_periods.was_active_at_start,
        customer_periods.is_active_at_end,
        case
            when customers.first_purchase_date >= customer_periods.period_start
                then 1
            else 0
        end as is_new
    from customer_periods
    inner join customers
        on
            customer_periods.customer_id = customers.customer_id
            {%- for key in keys %}
                and customer_periods.{{ key }} = customers.{{ key }}
            {%- endfor %}
),

state_counts as (
    select
        {{ key_list }}period_start,
        sum(was_active_at_start) as customers_start,
        sum(is_active_at_end) as customers_end,
        sum(is_new * is_active_at_end) as new_customers_active_end,
        sum(was_active_at_start * is_active_at_end) as retained_customers,
        sum(was_active_at_start * (1 - is_active_at_end))
            as churned_customers,
        sum((1 - was_active_at_start) * (1 - is_new) * is_active_at_end)
            as reactivated_customers
    from classified
    group by {{ key_list }}period_start
),

new_counts as (
    select
        {%- for key in keys %}
            customers.{{ key }},
        {%- endfor %}
        spine.period_start,
        count(*) as new_customers
    from spine
    inner join customers
        on
            spine.period_start <= customers.first_purchase_date
            and spine.period_end >= customers.first_purchase_date
            {%- for key in keys %}
                and spine.{{ key }} = customers.{{ key }}
            {%- endfor %}
    group by
        {%- for key in keys %}
            customers.{{ key }},
        {%- endfor %}
        spine.period_start
),

counted as (
    select
        {%- for key in keys %}
            spine.{{ key }},
        {%- endfor %}
        spine.period_start,
        spine.period_end,
        spine.is_complete_period,
        coalesce(state_counts.customers_start, 0) as customers_start,
        coalesce(state_counts.customers_end, 0) as customers_end,
        coalesce(new_counts.new_customers, 0) as new_customers,
        coalesce(state_counts.new_customers_active_end, 0)
            as new_customers_active_end,
        coalesce(state_counts.retained_customers, 0) as retained_customers,
        coalesce(state_counts.churned_customers, 0) as churned_customers,
        coalesce(state_counts.reactivated_customers, 0)
            as reactivated_customers
    from spine
    left join state_counts
        on
            spine.period_start = state_counts.period_start
            {%- for key in keys %}
                and spine.{{ key }} = state_counts.{{ key }}
            {%- endfor %}
    left join new_counts
        on
            spine.period_start = new_counts.period_start
            {%- for key in keys %}
                and spine.{{ key }} = new_counts.{{ key }}
            {%- endfor %}
)
{%- endmacro %}


{# The churn columns of CONTRACT.md from the counts of `counted`. #}
{% macro churn_measures() -%}
    period_start,
    period_end,
    cast(customers_start as {{ dbt.type_bigint() }}) as customers_start,
    cast(customers_end as {{ dbt.type_bigint() }}) as customers_end,
    cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
    cast(new_customers_active_end as {{ dbt.type_bigint() }})
        as new_customers_active_end,
    cast(retained_customers as {{ dbt.type_bigint() }})
        as retained_customers,
    cast(churned_customers as {{ dbt.type_bigint() }})
        as churned_customers,
    cast(reactivated_customers as {{ dbt.type_bigint() }})
        as reactivated_customers,
    {{ churn_rate('churned_customers', 'customers_start') }}
        as churn_rate,
    {{ period_retention_rate('retained_customers', 'customers_start') }}
        as retention_rate,
    {{ customer_retention_rate('customers_end',
        'new_customers_active_end', 'customers_start') }} as crr,
    is_complete_period
{%- endmacro %}
