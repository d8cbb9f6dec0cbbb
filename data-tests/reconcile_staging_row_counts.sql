{#
    Every raw row is accounted for: raw rows = staged rows + quarantined rows
    + rows removed as duplicates, for every source. Returns the sources where
    the books do not balance.
#}
with

counts as (
    {% for table in ['customers', 'orders', 'events', 'marketing_spend'] %}
        select
            '{{ table }}' as source_table,
            (select count(*) from {{ source('raw', table) }}) as raw_rows,
            (select count(*) from {{ ref('stg_' ~ table) }}) as staged_rows,
            (
                select count(*) from {{ ref('stg_' ~ table ~ '__quarantine') }}
            ) as quarantined_rows,
            (
                select count(*) from {{ ref('stg_' ~ table ~ '__triaged') }}
                where disposition = 'duplicate'
            ) as duplicate_rows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select *
from counts
where raw_rows != staged_rows + quarantined_rows + duplicate_rows
