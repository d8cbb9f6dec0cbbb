{#
    How staging reads a raw table (docs/package.md, "Mapping your data"):
    every store's copy of the table, under the user's table name
    (<table>_identifier), reduced to the columns staging reads (the
    contract's and the passthrough ones) plus a `store` column, unioned.
    Nothing downstream of staging knows where a table came from.
#}
{% macro raw_table(table) -%}
    {%- set columns = raw_columns_read(table) -%}
    {%- do get_raw_identifier(table) -%}
    (
        {%- for store in get_stores() %}
            select
                cast('{{ store.name }}' as {{ dbt.type_string() }}) as store,
                {{ columns | join(',\n                ') }}
            from {{ raw_relation(table, store) }}
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    ) as raw_{{ table }}
{%- endmacro %}


{#
    One store's copy of a raw table. With the var stores empty that is the
    source retention_raw.<table> (models/staging/_sources.yml), else the
    table <table>_identifier in the store's database and schema. In a run
    that reads data (build, run, test) a table that does not exist stops
    the model with a message naming it and the vars that place it or switch
    it off, not a database error.
#}
{% macro raw_relation(table, store) -%}
    {%- if stores_are_listed() -%}
        {%- set relation = raw_location(table, store) -%}
    {%- else -%}
        {%- set relation = source('retention_raw', table) -%}
    {%- endif -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'retry')
        and model.resource_type != 'unit_test' -%}
        {%- do _require_raw_relation(table, store, relation) -%}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{# Where a store's copy of a raw table is: its database, schema and name. #}
{% macro raw_location(table, store) -%}
    {{ return(api.Relation.create(
        database=store.database,
        schema=store.schema,
        identifier=get_raw_identifier(table),
    )) }}
{%- endmacro %}


{% macro _require_raw_relation(table, store, relation) -%}
    {%- set found = adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier,
    ) -%}
    {%- if found is none -%}
        {%- set where = "raw_database / raw_schema" -%}
        {%- if stores_are_listed() -%}
            {%- set where = "the database / schema of store '" ~ store.name ~ "' in the var stores" -%}
        {%- endif -%}
        {%- set message = "Raw table " ~ relation ~ " does not exist: it is the "
            ~ table ~ " table of CONTRACT.md"
            ~ (" for store '" ~ store.name ~ "'" if stores_are_listed() else "")
            ~ ". Load it, or point the project at your table with the vars "
            ~ where ~ " and " ~ table ~ "_identifier" -%}
        {%- if table in optional_raw_tables() -%}
            {%- set message = message ~ "; if you have no " ~ table ~ ", set "
                ~ optional_raw_tables()[table] ~ ": false" -%}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(message ~ " (docs/package.md).") }}
    {%- endif -%}
{%- endmacro %}


{#
    A key of a raw row made unique across stores: `<store>:<id>` when the
    var stores lists stores, else the id itself (one store, ids unchanged).
    NULL stays NULL.
#}
{% macro store_qualified_id(id_expression, store_column='store') -%}
    {%- if stores_are_listed() -%}
        case
            when {{ id_expression }} is not null
                then {{ store_column }} || ':' || {{ id_expression }}
        end
    {%- else -%}
        {{ id_expression }}
    {%- endif -%}
{%- endmacro %}


{# The store of a store-qualified customer_id (see store_qualified_id). #}
{% macro store_of_id(id_column) -%}
    {%- if stores_are_listed() -%}
        {{ dbt.split_part(id_column, "':'", 1) }}
    {%- else -%}
        cast('{{ get_stores()[0].name }}' as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
