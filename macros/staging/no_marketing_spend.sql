{#
    The columns of stg_marketing_spend with no row: what the marts read in
    place of marketing spend when using_marketing_spend is false, so they
    build as they would on an empty raw.marketing_spend.
#}
{% macro no_marketing_spend() -%}
    select
        cast(null as {{ dbt.type_string() }}) as spend_line_id,
        cast(null as {{ dbt.type_string() }}) as store,
        cast(null as date) as spend_date,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as campaign,
        cast(null as {{ type_money() }}) as spend_amount
    where 1 = 0
{%- endmacro %}
