{#
    Churn of the non-contractual kind (METRICS.md "Churn") for any spine of
    periods: the CTEs that count, per period, who was active the day before
    it starts (S), on its last counted day (E), who is new, retained,
    churned or reactivated, from active spells (never a customer x day grid,
    nor a spell x period join). churn (the month spine), churn_by_grain
    (int_period_spine, one spine per grain) and churn_by_segment share them.

    The cost is linear in spells + periods (a sweep):
    - S, E and new_customers are running sums over the days: +1 active
      customer on a spell's first day, -1 on the day after its end, +1
      customer on a first purchase date, read on the day before each period
      and on its last counted day (a customer's spells never overlap, so
      spells covering a day = customers active on it);
    - a customer whose state can differ between the day before the period
      and its last counted day has a spell boundary (a spell's first day, or
      the day after its end) inside the period: at most two customer x
      period pairs per spell and grain. Only those pairs are classified
      (churned, reactivated, new and active at the end) from the customer's
      spells; every other customer active on the day before the period is
      active throughout it, so retained = S - churned.

    spine: a relation or CTE with the key columns, period_start, period_end,
    day_before_start and is_complete_period; spells: int_active_spells;
    customers: int_customers_assigned_to_cohorts; keys: the spine's key
    columns besides period_start (e.g. ['grain']); shared_keys: those of the
    keys that spells and customers carry too and must match (churn_by_segment:
    segment and segment_value, one copy of each customer per dimension);
    grains: the grains of the spine's periods, and grain_key: the key column
    naming a row's grain when there are several (churn_by_grain); every key
    is a shared key or the grain_key.

    segments, periods (churn_by_segment): spells and customers are then one
    row per customer, segments the relation that gives each customer's
    shared keys (int_customer_segments) and periods the spine's periods
    without keys (int_month_spine). The customers whose state changes in a
    period are classified once per customer, not once per segment
    dimension, and their counts and the running totals are summed per
    shared key through segments (every customer's first purchase month is
    on or after the first month of each of its values, so every classified
    period is on the spine). Emits the CTEs churn_spells,
    churn_day_changes, churn_day_totals, churn_running_totals,
    churn_boundary_kinds, churn_spell_boundaries, churn_grains (several
    grains only), churn_boundary_periods, churn_changing_customers,
    churn_customer_periods, churn_classified, churn_change_counts and
    churn_period_counts (one row per spine row, counts zero-filled), each
    followed by a comma; select churn_measures() from churn_period_counts.
#}
{% macro churn_count_ctes(spine, spells, customers, keys=[], shared_keys=[],
    grains=['month'], grain_key=none, segments=none, periods=none) -%}
    {%- set per_customer = segments is not none -%}
    {%- if per_customer and (periods is none or grain_key is not none
        or keys | list != shared_keys | list) -%}
        {{ exceptions.raise_compiler_error(
            "churn_count_ctes: segments needs periods, keys equal to"
            ~ " shared_keys and no grain_key") }}
    {%- endif -%}
    {#- the keys of the per-customer CTEs (spells, boundaries) and of the
        classified customer x period pairs, and the spine they use -#}
    {%- set spell_keys = [] if per_customer else shared_keys -%}
    {%- set class_keys = [] if per_customer else keys -%}
    {%- set class_spine = periods if per_customer else spine -%}
    {%- set period_keys = keys | reject('in', shared_keys) | list -%}
    {%- if period_keys | reject('equalto', grain_key) | list
        or (grain_key is not none and grain_key not in keys)
        or (grain_key is none and grains | length != 1) -%}
        {{ exceptions.raise_compiler_error(
            "churn_count_ctes: every key must be a shared key or the"
            ~ " grain_key, and several grains need a grain_key (keys "
            ~ keys ~ ", shared_keys " ~ shared_keys ~ ", grain_key "
            ~ grain_key ~ ", grains " ~ grains ~ ")") }}
    {%- endif -%}
    {%- set shared_list -%}
        {%- for key in shared_keys %}{{ key }}, {% endfor -%}
    {%- endset -%}
    {%- set key_list -%}
        {%- for key in keys %}{{ key }}, {% endfor -%}
    {%- endset -%}
    {%- set class_key_list -%}
        {%- for key in class_keys %}{{ key }}, {% endfor -%}
    {%- endset -%}
    {%- set running_window -%}
        {%- if shared_keys %}partition by {{ shared_keys | join(', ') }} {% endif -%}
        order by change_date
        rows between unbounded preceding and current row
    {%- endset -%}
{# the spells of the customers counted, with their first purchase date #}
churn_spells as (
    select
        {%- for key in spell_keys %}
        {{ spells }}.{{ key }},
        {%- endfor %}
        {{ spells }}.customer_id,
        {{ spells }}.spell_start_date,
        {{ spells }}.spell_end_date,
        {{ customers }}.first_purchase_date
    from {{ spells }}
    inner join {{ customers }}
        on
            {{ spells }}.customer_id = {{ customers }}.customer_id
            {%- for key in spell_keys %}
            and {{ spells }}.{{ key }} = {{ customers }}.{{ key }}
            {%- endfor %}
),

{#
    changes of the active and acquired counts per day, and zero changes on
    the days a period reads (so each has a running total)
#}
churn_day_changes as (
    select
        {{ shared_list }}spell_start_date as change_date,
        1 as active_change,
        0 as acquired_change
    from churn_spells
    {{- churn_segments_join(segments, 'churn_spells') }}
    union all
    select
        {{ shared_list }}{{ add_days('spell_end_date', 1) }} as change_date,
        -1 as active_change,
        0 as acquired_change
    from churn_spells
    {{- churn_segments_join(segments, 'churn_spells') }}
    union all
    select
        {{ shared_list }}first_purchase_date as change_date,
        0 as active_change,
        1 as acquired_change
    from {{ customers }}
    {{- churn_segments_join(segments, customers) }}
    where first_purchase_date is not null
    union all
    select
        {{ shared_list }}day_before_start as change_date,
        0 as active_change,
        0 as acquired_change
    from {{ spine }}
    union all
    select
        {{ shared_list }}period_end as change_date,
        0 as active_change,
        0 as acquired_change
    from {{ spine }}
),

churn_day_totals as (
    select
        {{ shared_list }}change_date,
        sum(active_change) as active_change,
        sum(acquired_change) as acquired_change
    from churn_day_changes
    group by {{ shared_list }}change_date
),

{# per day: customers active on it, customers first bought on or before it #}
churn_running_totals as (
    select
        {{ shared_list }}change_date,
        sum(active_change) over ({{ running_window }}) as active_customers,
        sum(acquired_change) over ({{ running_window }}) as acquired_customers
    from churn_day_totals
),

{# the days a spell can change its customer's state: its first day (kind
    0) and the day after its end (kind 1), from one read of the spells #}
churn_boundary_kinds as (
    select 0 as boundary_kind
    union all
    select 1 as boundary_kind
),

churn_spell_boundaries as (
    select
        {%- for key in spell_keys %}
        churn_spells.{{ key }},
        {%- endfor %}
        churn_spells.customer_id,
        churn_spells.first_purchase_date,
        case
            when churn_boundary_kinds.boundary_kind = 0
                then churn_spells.spell_start_date
            else {{ add_days('churn_spells.spell_end_date', 1) }}
        end as boundary_date
    from churn_spells
    cross join churn_boundary_kinds
),

{%- if grains | length > 1 %}

{# one row per grain, so the boundaries are read once for every grain #}
churn_grains as (
    {%- for grain in grains %}
    select cast('{{ grain }}' as {{ dbt.type_string() }}) as {{ grain_key }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),
{%- endif %}

churn_boundary_periods as (
    select
        {%- if grains | length > 1 %}
        churn_grains.{{ grain_key }},
        {%- elif grain_key is not none %}
        cast('{{ grains[0] }}' as {{ dbt.type_string() }}) as {{ grain_key }},
        {%- endif %}
        {%- for key in spell_keys %}
        churn_spell_boundaries.{{ key }},
        {%- endfor %}
        churn_spell_boundaries.customer_id,
        churn_spell_boundaries.first_purchase_date,
        churn_spell_boundaries.boundary_date,
        {%- if grains | length > 1 %}
        case churn_grains.{{ grain_key }}
            {%- for grain in grains %}
            when '{{ grain }}'
                then {{ period_start('churn_spell_boundaries.boundary_date', grain) }}
            {%- endfor %}
        end as period_start
    from churn_spell_boundaries
    cross join churn_grains
        {%- else %}
        {{ period_start('churn_spell_boundaries.boundary_date', grains[0]) }}
            as period_start
    from churn_spell_boundaries
        {%- endif %}
),

{#
    customer x period pairs with a spell boundary in [period_start,
    period_end], once per boundary (churn_customer_periods groups them)
#}
churn_changing_customers as (
    select
        {%- for key in class_keys %}
        {{ class_spine }}.{{ key }},
        {%- endfor %}
        {{ class_spine }}.period_start,
        {{ class_spine }}.day_before_start,
        {{ class_spine }}.period_end,
        churn_boundary_periods.customer_id,
        churn_boundary_periods.first_purchase_date
    from churn_boundary_periods
    inner join {{ class_spine }}
        on
            {%- for key in class_keys %}
            churn_boundary_periods.{{ key }} = {{ class_spine }}.{{ key }} and
            {%- endfor %}
            churn_boundary_periods.period_start = {{ class_spine }}.period_start
    where churn_boundary_periods.boundary_date <= {{ class_spine }}.period_end
),

churn_customer_periods as (
    select
        {%- for key in class_keys %}
        churn_changing_customers.{{ key }},
        {%- endfor %}
        churn_changing_customers.period_start,
        churn_changing_customers.customer_id,
        churn_changing_customers.first_purchase_date,
        max(
            case
                when
                    churn_spells.spell_start_date
                    <= churn_changing_customers.day_before_start
                    and churn_spells.spell_end_date
                    >= churn_changing_customers.day_before_start
                    then 1
                else 0
            end
        ) as was_active_at_start,
        max(
            case
                when
                    churn_spells.spell_start_date
                    <= churn_changing_customers.period_end
                    and churn_spells.spell_end_date
                    >= churn_changing_customers.period_end
                    then 1
                else 0
            end
        ) as is_active_at_end
    from churn_changing_customers
    inner join churn_spells
        on
            churn_changing_customers.customer_id = churn_spells.customer_id
            {%- for key in spell_keys %}
            and churn_changing_customers.{{ key }} = churn_spells.{{ key }}
            {%- endfor %}
            and churn_spells.spell_start_date
            <= churn_changing_customers.period_end
            and churn_spells.spell_end_date
            >= churn_changing_customers.day_before_start
    group by
        {% for key in class_keys %}churn_changing_customers.{{ key }}, {% endfor -%}
        churn_changing_customers.period_start,
        churn_changing_customers.customer_id,
        churn_changing_customers.first_purchase_date
),

churn_classified as (
    select
        {{ class_key_list }}period_start,
        customer_id,
        was_active_at_start,
        is_active_at_end,
        case
            when first_purchase_date >= period_start then 1
            else 0
        end as is_new
    from churn_customer_periods
),

churn_change_counts as (
    select
        {{ key_list }}period_start,
        sum(was_active_at_start * (1 - is_active_at_end))
            as churned_customers,
        sum(is_new * is_active_at_end) as new_customers_active_end,
        sum((1 - was_active_at_start) * (1 - is_new) * is_active_at_end)
            as reactivated_customers
    from churn_classified
    {{- churn_segments_join(segments, 'churn_classified') }}
    group by {{ key_list }}period_start
),

churn_period_counts as (
    select
        {%- for key in keys %}
        {{ spine }}.{{ key }},
        {%- endfor %}
        {{ spine }}.period_start,
        {{ spine }}.period_end,
        {{ spine }}.is_complete_period,
        coalesce(at_start.active_customers, 0) as customers_start,
        coalesce(at_end.active_customers, 0) as customers_end,
        coalesce(at_end.acquired_customers, 0)
        - coalesce(at_start.acquired_customers, 0) as new_customers,
        coalesce(churn_change_counts.new_customers_active_end, 0)
            as new_customers_active_end,
        coalesce(at_start.active_customers, 0)
        - coalesce(churn_change_counts.churned_customers, 0)
            as retained_customers,
        coalesce(churn_change_counts.churned_customers, 0)
            as churned_customers,
        coalesce(churn_change_counts.reactivated_customers, 0)
            as reactivated_customers
    from {{ spine }}
    left join churn_running_totals as at_start
        on
            {%- for key in shared_keys %}
            {{ spine }}.{{ key }} = at_start.{{ key }} and
            {%- endfor %}
            {{ spine }}.day_before_start = at_start.change_date
    left join churn_running_totals as at_end
        on
            {%- for key in shared_keys %}
            {{ spine }}.{{ key }} = at_end.{{ key }} and
            {%- endfor %}
            {{ spine }}.period_end = at_end.change_date
    left join churn_change_counts
        on
            {%- for key in keys %}
            {{ spine }}.{{ key }} = churn_change_counts.{{ key }} and
            {%- endfor %}
            {{ spine }}.period_start = churn_change_counts.period_start
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


{#
    churn_count_ctes with segments: joins a per-customer relation to each
    customer's segments (nothing without segments).
#}
{% macro churn_segments_join(segments, relation) -%}
    {%- if segments is not none %}
    inner join {{ segments }}
        on {{ relation }}.customer_id = {{ segments }}.customer_id
    {%- endif -%}
{%- endmacro %}
