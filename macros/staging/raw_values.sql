{#
    Type-aware reading of the raw amount, timestamp and date columns
    (docs/staging_rules.md "Text-typed raw columns").

    raw_column_types(table) looks at the raw table's column types (every
    store's copy, macros/staging/raw_table.sql) at compile time. A column
    the engine already stores as a number (amounts) or a timestamp/date
    (times) is cast exactly as before: no change, no cost. Any other column, typically text from a CSV load, is parsed with
    try_parse_money() / try_parse_timestamp() (macros/cross_db/parsing.sql),
    which never raise; a value that is present but does not parse becomes
    NULL here and the model quarantines (or flags) its row with
    `unparseable_<column>` (unparseable_reason()).

    Types are unknown at parse time, in unit tests (the source is a fixture
    CTE) and when the relation does not exist (sqlfluff's scratch
    warehouse): then every column takes the text path, which is correct for
    any input type (the value is cast to text first), only slower.
#}

{#
    raw_column_types(table): column name -> engine type (lower case) of the
    raw table as staging reads it (raw_table()): with several stores, a
    column whose type differs between stores is 'mixed' (the text path).
    {} when the types are unknown (see above).
#}
{% macro raw_column_types(table) -%}
    {%- set merged = {} -%}
    {%- for store in get_stores() -%}
        {%- set types = relation_column_types(raw_relation(table, store)) -%}
        {%- if not types -%}
            {{ return({}) }}
        {%- endif -%}
        {%- for name, dtype in types.items() -%}
            {%- if name not in merged -%}
                {%- do merged.update({name: dtype}) -%}
            {%- elif merged[name] != dtype -%}
                {%- do merged.update({name: 'mixed'}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(merged) }}
{%- endmacro %}


{# Column name -> type (lower case) of one relation; {} when it is unknown. #}
{% macro relation_column_types(relation) -%}
    {%- set types = {} -%}
    {%- if execute and not relation.is_cte -%}
        {%- set found = adapter.get_relation(
            database=relation.database,
            schema=relation.schema,
            identifier=relation.identifier) -%}
        {%- if found is not none -%}
            {%- for column in adapter.get_columns_in_relation(found) -%}
                {%- do types.update({column.name | lower: column.dtype | lower}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(types) }}
{%- endmacro %}


{# True when `types` says the engine stores `column` in the `kind` family (money or timestamp). #}
{% macro raw_column_is_typed(column, kind, types) -%}
    {%- set dtype = types.get(column | lower, '') -%}
    {%- if kind == 'money' -%}
        {%- set prefixes = ['decimal', 'numeric', 'double', 'float', 'real', 'int',
            'bigint', 'smallint', 'tinyint', 'hugeint', 'long', 'short', 'byte',
            'number', 'uinteger', 'ubigint', 'usmallint', 'utinyint', 'uhugeint'] -%}
    {%- else -%}
        {%- set prefixes = ['timestamp', 'date', 'datetime'] -%}
    {%- endif -%}
    {%- for prefix in prefixes if dtype.startswith(prefix) -%}
        {{ return(true) }}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}


{# The raw column as decimal(18,2); NULL when blank or unparseable text. #}
{% macro money_from_raw(column, types) -%}
    {%- if raw_column_is_typed(column, 'money', types) -%}
        cast({{ column }} as {{ type_money() }})
    {%- else -%}
        {{ try_parse_money(raw_text(column)) }}
    {%- endif -%}
{%- endmacro %}


{# The raw column as timestamp; NULL when blank or unparseable text. #}
{% macro timestamp_from_raw(column, types) -%}
    {%- if raw_column_is_typed(column, 'timestamp', types) -%}
        cast({{ column }} as timestamp)
    {%- else -%}
        {{ try_parse_timestamp(raw_text(column)) }}
    {%- endif -%}
{%- endmacro %}


{# The raw column as date; NULL when blank or unparseable text. #}
{% macro date_from_raw(column, types) -%}
    {%- if raw_column_is_typed(column, 'timestamp', types) -%}
        cast({{ column }} as date)
    {%- else -%}
        cast({{ try_parse_timestamp(raw_text(column)) }} as date)
    {%- endif -%}
{%- endmacro %}


{#
    `unparseable_<column>` for the first of `columns` (pairs of column and
    kind: money, timestamp or date, in priority order) whose raw value is
    present but does not parse; NULL when every value parses or is blank.
    Columns the engine already types cannot be unparseable and are skipped.
#}
{% macro unparseable_reason(columns, types) -%}
    {%- set checks = [] -%}
    {%- for column, kind in columns -%}
        {%- if kind == 'money' and not raw_column_is_typed(column, 'money', types) -%}
            {%- do checks.append((column, try_parse_money(raw_text(column)))) -%}
        {%- elif kind != 'money' and not raw_column_is_typed(column, 'timestamp', types) -%}
            {%- do checks.append((column, try_parse_timestamp(raw_text(column)))) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if checks -%}
        case
            {%- for column, parsed in checks %}
            when {{ raw_text(column) }} is not null and ({{ parsed }}) is null
                then 'unparseable_{{ column }}'
            {%- endfor %}
        end
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{#
    The parse problem of a row read back from an incremental model's own
    table (which keeps only the reason): the reason when it is an
    unparseable_* one.
#}
{% macro stored_unparseable_reason(reason_column='quarantine_reason') -%}
    case
        when {{ reason_column }} like 'unparseable%' then {{ reason_column }}
    end
{%- endmacro %}
