{#
    ref() for the project's own nodes: a one-argument ref('<model>') is read
    as ref('retention', '<model>'), so that installed as a package nothing of
    the project resolves to a user's model of the same name (dbt resolves a
    package's one-argument ref to the ROOT project's model first).

    The project's code writes ref('retention', ...) anyway
    (tests/unit/test_package_refs.py checks it). This override is for the
    refs dbt writes itself: the `model` of every generic data test in the
    YAML (is_unique, is_not_null, ...) is
    `{{ get_where_subquery(ref('<model>')) }}`. A generic test's context
    holds only the macros its test macro depends on, so every generic test
    the project uses is the project's own (macros/generic_tests/: dbt's
    unique, not_null and accepted_values as is_unique, is_not_null and
    is_accepted_value, names that replace nothing of dbt's or the user's)
    and calls package_ref_scope() (below), which depends on this macro.
    Nodes of any other package, including the user's own (whose unique,
    not_null and accepted_values tests stay dbt's), get dbt's ref
    unchanged.
#}
{% macro ref() -%}
    {%- set version = kwargs.get('v', kwargs.get('version')) -%}
    {%- set args = varargs -%}
    {%- if varargs | length == 1 and model is mapping
        and model.get('package_name') == 'retention' -%}
        {%- set args = ['retention', varargs[0]] -%}
    {%- endif -%}
    {%- if version is none -%}
        {{ return(builtins.ref(*args)) }}
    {%- else -%}
        {{ return(builtins.ref(*args, v=version)) }}
    {%- endif -%}
{%- endmacro %}


{#
    Called by every generic test of the project for one effect: dbt reads
    macro dependencies from the macros' code, and the call of retention.ref
    below (never executed) makes the override above part of the test's
    context. Renders nothing.
#}
{% macro package_ref_scope() -%}
    {%- if false -%}{{ retention.ref('retention', 'package_ref_scope') }}{%- endif -%}
{%- endmacro %}
