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
    {{ raise_not_implemented('sha256_hex') }}
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


{#
    key_hash(expression): a 64-bit integer hash of a non-NULL text key. Used
    where grouping or joining on 100M text keys is too slow: rows are first
    matched on the integer, then compared on the key itself, so a collision
    only costs an exact comparison, never a wrong answer. Values differ
    between engines; never publish them.
#}
{% macro key_hash(expression) -%}
    {{ return(adapter.dispatch('key_hash', 'retention')(expression)) }}
{%- endmacro %}

{% macro default__key_hash(expression) -%}
    {{ raise_not_implemented('key_hash') }}
{%- endmacro %}

{% macro duckdb__key_hash(expression) -%}
    hash({{ expression }})
{%- endmacro %}

{% macro postgres__key_hash(expression) -%}
    hashtextextended({{ expression }}, 0)
{%- endmacro %}

{% macro spark__key_hash(expression) -%}
    xxhash64({{ expression }})
{%- endmacro %}
