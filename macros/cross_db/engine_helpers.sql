{#
    create_engine_helpers(): SQL run by on-run-start that creates the small
    helper objects an engine needs (nothing on DuckDB and Spark).

    Postgres:
    - the domains `double` (double precision) and `string` (text), so that the
      contract data types of the YAML (`double`, `string`: the names DuckDB and
      Spark both know) also exist on Postgres and contracts stay enforced
      there. Postgres reports a domain column with its base type, so the
      contract check compares float8/text with float8/text. They live in the
      target schema, which the postgres profile puts on the search_path.
    - retention_try_jsonb(text), used by postgres__json_is_valid and
      postgres__json_text_field.
#}
{% macro create_engine_helpers() -%}
    {{ return(adapter.dispatch('create_engine_helpers', 'retention')()) }}
{%- endmacro %}

{% macro default__create_engine_helpers() -%}{%- endmacro %}

{% macro postgres__create_engine_helpers() -%}
    create schema if not exists {{ target.schema }};
    do $body$
    begin
        if to_regtype('{{ target.schema }}.double') is null then
            create domain {{ target.schema }}.double as double precision;
        end if;
        if to_regtype('{{ target.schema }}.string') is null then
            create domain {{ target.schema }}.string as text;
        end if;
    end
    $body$;
    create or replace function {{ target.schema }}.retention_try_jsonb(value text)
    returns jsonb
    language plpgsql
    immutable
    parallel safe
    as $body$
    begin
        return value::jsonb;
    exception
        when others then return null;
    end;
    $body$
{%- endmacro %}


{#
    Read-only access for the role named by the var bi_read_role (null = no
    grants; nothing on engines without roles: DuckDB, Spark).
    grant_bi_role_schema_usage(): on-run-start, usage on the marts schema
    (created if missing). Granted once per run, not per model: two threads
    granting on the same schema at once fail with "tuple concurrently updated".
    grant_read_to_bi_role(relation): post-hook of every mart, select on it.
#}
{% macro grant_bi_role_schema_usage() -%}
    {{ return(adapter.dispatch('grant_bi_role_schema_usage', 'retention')()) }}
{%- endmacro %}

{% macro default__grant_bi_role_schema_usage() -%}
    {%- set role = var('bi_read_role', none) -%}
    {%- if role -%}
        {%- set schema = generate_schema_name('marts', none) -%}
        create schema if not exists {{ adapter.quote(schema) }};
        grant usage on schema {{ adapter.quote(schema) }} to {{ adapter.quote(role) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__grant_bi_role_schema_usage() -%}{%- endmacro %}

{% macro spark__grant_bi_role_schema_usage() -%}{%- endmacro %}


{% macro grant_read_to_bi_role(relation) -%}
    {{ return(adapter.dispatch('grant_read_to_bi_role', 'retention')(relation)) }}
{%- endmacro %}

{% macro default__grant_read_to_bi_role(relation) -%}
    {%- set role = var('bi_read_role', none) -%}
    {%- if role -%}
        grant select on {{ relation }} to {{ adapter.quote(role) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__grant_read_to_bi_role(relation) -%}{%- endmacro %}

{% macro spark__grant_read_to_bi_role(relation) -%}{%- endmacro %}


{#
    The default__ of a dispatched macro that every engine must implement
    itself: stops compilation with a message naming the macro and the
    adapter.
#}
{% macro raise_not_implemented(macro_name) -%}
    {{ exceptions.raise_compiler_error(
        macro_name ~ " is not implemented for adapter '" ~ adapter.type()
        ~ "': add a " ~ adapter.type() ~ "__" ~ macro_name
        ~ " macro in macros/cross_db/."
    ) }}
{%- endmacro %}
