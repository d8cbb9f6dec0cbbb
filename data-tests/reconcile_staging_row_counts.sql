{#
    Every raw row is accounted for: raw rows = staged rows + quarantined rows
    + rows removed as duplicates, for every raw table in use (every store's
    copy). Returns the sources where
    the books do not balance.
#}
with

counts as (
    {% for table in used_raw_tables() %}
        {%- set model = 'stg_' ~ table -%}
        {%- set staged = ref('retention', model) -%}
        {%- set quarantined = ref('retention', model ~ '__quarantine') -%}
        {%- set triaged = ref('retention', model ~ '__triaged') %}
        select
            '{{ table }}' as source_table,
            (select count(*) from {{ raw_table(table) }}) as raw_rows,
            (select count(*) from {{ staged }}) as staged_rows,
            (select count(*) from {{ quarantined }}) as quarantined_rows,
            (
                select count(*) from {{ triaged }}
                where disposition = 'duplicate'
            ) as duplicate_rows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select *
from counts
where raw_rows != staged_rows + quarantined_rows + duplicate_rows
