{#
    The two halves of the staging split are clean: staged keys are never
    blank nor padded (staging trims them, so a key that is empty or starts
    or ends with a space would be a normalization bug; prefix and suffix
    tests read 100M event ids faster than trim() would), and the quarantine
    never holds a row without a reason. In a daily run the large tables'
    parts check only the rows the run touched (macros/touched_rows.sql).
#}
with

problems as (
    select
        'stg_orders blank or padded order_id' as problem,
        count(*) as rows_found
    from {{ touched_rows(ref('retention', 'stg_orders')) }}
    where {{ is_blank_or_padded('order_id') }}
    union all
    select
        'stg_customers blank or padded customer_id' as problem,
        count(*) as rows_found
    from {{ ref('retention', 'stg_customers') }}
    where {{ is_blank_or_padded('customer_id') }}
    {%- if using_raw_table('events') %}
        union all
        select
            'stg_events blank or padded event_id' as problem,
            count(*) as rows_found
        from {{ touched_rows(ref('retention', 'stg_events')) }}
        where {{ is_blank_or_padded('event_id') }}
    {%- endif %}
    {%- if using_raw_table('experiment_assignments') %}
        union all
        select
            'stg_experiment_assignments blank or padded id or variant'
                as problem,
            count(*) as rows_found
        from {{ ref('retention', 'stg_experiment_assignments') }}
        where
            {{ is_blank_or_padded('experiment_id') }}
            or {{ is_blank_or_padded('customer_id') }}
            or {{ is_blank_or_padded('variant') }}
            or variant != lower(variant)
    {%- endif %}
    {% for table in used_raw_tables() %}
        {%- set quarantine = 'stg_' ~ table ~ '__quarantine' %}
        union all
        select
            'stg_{{ table }}__quarantine without reason' as problem,
            count(*) as rows_found
        from {{ touched_rows(ref('retention', quarantine)) }}
        where reason is null
    {% endfor %}
)

select *
from problems
where rows_found > 0
