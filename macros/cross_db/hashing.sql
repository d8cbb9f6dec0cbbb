{#
    sha256_hex(expression): the SHA-256 of a text as 64 lower-case hex
    characters; NULL stays NULL. Used to pseudonymize emails in staging
    (stg_customers.email_hash): the same input gives the same hash on every
    engine, so analysts can join on it without the address itself.
#}
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'retention')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    {{ exceptions.raise_compiler_error(
        "sha256_hex is not implemented for adapter '" ~ adapter.type()
        ~ "': add a " ~ adapter.type() ~ "__sha256_hex macro in macros/cross_db/."
    ) }}
{%- endmacro %}

{% macro duckdb__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro postgres__sha256_hex(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}


{# The email hash: SHA-256 of the trimmed, lower-cased address; blank -> NULL. #}
{% macro email_hash(column) -%}
    {{ sha256_hex('lower(' ~ clean_text(column) ~ ')') }}
{%- endmacro %}
