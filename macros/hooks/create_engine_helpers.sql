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
    - retention_try_timestamp(text), used by postgres__try_parse_timestamp:
      the text as timestamp, NULL when it is no real calendar value.
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
    $body$;
    create or replace function {{ target.schema }}.retention_try_timestamp(value text)
    returns timestamp
    language plpgsql
    stable
    parallel safe
    as $body$
    begin
        return value::timestamp;
    exception
        when others then return null;
    end;
    $body$
{%- endmacro %}

