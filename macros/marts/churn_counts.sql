{#
    Churn of the non-contractual kind (METRICS.md "Churn") for any spine of
    periods: the CTEs that count, per period, who was active the day before
    it starts (S), on its last counted day (E), who is new, retained,
    churned or reactivated, from active spells (never a customer x day grid).
    churn (the month spine) and churn_by_grain (int_period_spine, one spine
    per grain) share them.

    spine: a relation or CTE with the key columns, period_start, period_end,
    day_before_start and is_complete_period; spells: int_active_spells;
    customers: int_customers_assigned_to_cohorts; keys: the spine's key
    columns besides period_start (e.g. ['grain']); shared_keys: those of the
    keys that spells and customers carry too and must match (churn_by_segment:
    segment and segment_value, one copy of each customer per dimension). Emits the CTEs
    churn_customer_periods, churn_classified, churn_state_counts,
    churn_new_counts and churn_period_counts (one row per spine row, counts
    zero-filled), each followed by a comma; select churn_measures() from
    churn_period_counts.
#}
{% macro churn_count_ctes(spine, spells, customers, keys=[], shared_keys=[]) -%}
    {%- set key_list -%}
        {%- for key in keys %}{{ key }}, {% endfor -%}
    {%- endset -%}
    {%- set spine_keys -%}
        {%- for key in keys %}{{ spine }}.{{ key }}, {% endfor -%}
    {%- endset -%}
{# customers with a spell touching [day before start, last counted day] #}
churn_customer_periods as (
    select
        {%- for key in keys %}
        {{ spine }}.{{ key }},
        {%- endfor %}
        {{ spine }}.period_start,
        {{ spells }}.customer_id,
        max(
            case
                when
                    {{ spells }}.spell_start_date <= {{ spine }}.day_before_start
                    and {{ spells }}.spell_end_date >= {{ spine }}.day_before_start
                    then 1
                else 0
            end
        ) as was_active_at_start,
        max(
            case
                when
                    {{ spells }}.spell_start_date <= {{ spine }}.period_end
                    and {{ spells }}.spell_end_date >= {{ spine }}.period_end
                    then 1
                else 0
            end
        ) as is_active_at_end
    from {{ spine }}
    inner join {{ spells }}
        on
            {{ spine }}.period_end >= {{ spells }}.spell_start_date
            and {{ spine }}.day_before_start <= {{ spells }}.spell_end_date
            {%- for key in shared_keys %}
            and {{ spine }}.{{ key }} = {{ spells }}.{{ key }}
            {%- endfor %}
    group by {{ spine_keys }}{{ spine }}.period_start, {{ spells }}.customer_id
),

churn_classified as (
    select
        {%- for key in keys %}
        churn_customer_periods.{{ key }},
        {%- endfor %}
        churn_customer_periods.period_start,
        churn_customer_periods.was_active_at_start,
        churn_customer_periods.is_active_at_end,
        case
            when
                {{ customers }}.first_purchase_date
                >= churn_customer_periods.period_start
                then 1
            else 0
        end as is_new
    from churn_customer_periods
    inner join {{ customers }}
        on
            churn_customer_periods.customer_id = {{ customers }}.customer_id
            {%- for key in shared_keys %}
            and churn_customer_periods.{{ key }} = {{ customers }}.{{ key }}
            {%- endfor %}
),

churn_state_counts as (
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        period_start,
        sum(was_active_at_start) as customers_start,
        sum(is_active_at_end) as customers_end,
        sum(is_new * is_active_at_end) as new_customers_active_end,
        sum(was_active_at_start * is_active_at_end) as retained_customers,
        sum(was_active_at_start * (1 - is_active_at_end))
            as churned_customers,
        sum((1 - was_active_at_start) * (1 - is_new) * is_active_at_end)
            as reactivated_customers
    from churn_classified
    group by {{ key_list }}period_start
),

churn_new_counts as (
    select
        {%- for key in keys %}
        {{ spine }}.{{ key }},
        {%- endfor %}
        {{ spine }}.period_start,
        count(*) as new_customers
    from {{ spine }}
    inner join {{ customers }}
        on
            {{ spine }}.period_start <= {{ customers }}.first_purchase_date
            and {{ spine }}.period_end >= {{ customers }}.first_purchase_date
            {%- for key in shared_keys %}
            and {{ spine }}.{{ key }} = {{ customers }}.{{ key }}
            {%- endfor %}
    group by {{ spine_keys }}{{ spine }}.period_start
),

churn_period_counts as (
    select
        {%- for key in keys %}
        {{ spine }}.{{ key }},
        {%- endfor %}
        {{ spine }}.period_start,
        {{ spine }}.period_end,
        {{ spine }}.is_complete_period,
        coalesce(churn_state_counts.customers_start, 0) as customers_start,
        coalesce(churn_state_counts.customers_end, 0) as customers_end,
        coalesce(churn_new_counts.new_customers, 0) as new_customers,
        coalesce(churn_state_counts.new_customers_active_end, 0)
            as new_customers_active_end,
        coalesce(churn_state_counts.retained_customers, 0)
            as retained_customers,
        coalesce(churn_state_counts.churned_customers, 0)
            as churned_customers,
        coalesce(churn_state_counts.reactivated_customers, 0)
            as reactivated_customers
    from {{ spine }}
    left join churn_state_counts
        on
            {%- for key in keys %}
            {{ spine }}.{{ key }} = churn_state_counts.{{ key }} and
            {%- endfor %}
            {{ spine }}.period_start = churn_state_counts.period_start
    left join churn_new_counts
        on
            {%- for key in keys %}
            {{ spine }}.{{ key }} = churn_new_counts.{{ key }} and
            {%- endfor %}
            {{ spine }}.period_start = churn_new_counts.period_start
),
{%- endmacro %}


{#
    The columns of churn from customers_start on, typed, with the rates
    through their formula macros (churn_rate, period_retention_rate,
    customer_retention_rate). Reads churn_period_counts.
#}
{% macro churn_measures() -%}
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
