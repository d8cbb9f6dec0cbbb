{#
    The combination of columns is unique (a composite primary key); each row
    returned is a key held by more than one row. (dbt_utils'
    unique_combination_of_columns, plus prefilter_by; the project carries its
    own generic tests because the dbt package hub is not reachable.)
    prefilter_by (optional): cheaper columns that rows equal on the
    combination are also equal on (an integer hash of a text key, say).
    Rows are grouped by them first and only groups holding more than one row
    are compared on the combination itself, so a 100M-row text key costs an
    integer aggregation; the result is exactly that of the plain test.
    Only the grouping reads the tested rows; the candidates (rows of the
    groups with more than one row, usually none) are fetched from the whole
    relation by the prefilter values: a superset of the tested rows of those
    groups, so a duplicate among the tested rows is always found, and any
    other row returned is a real duplicate of the relation too. Reading the
    tested rows once, only their prefilter columns, keeps the text key of a
    100M-row table out of the scan.
    On Spark a query run first asks whether any group collides; when none
    does (a passing test), the test's query reads no row of the relation.
    Restrict the rows checked with dbt's `config: where:`. In a daily run
    of a large model, the keys of the touched rows are checked against the
    whole table (macros/touched_rows.sql); on Spark both reads are limited
    to the partitions that can hold a row with a touched key.
#}
{% test unique_columns_combination(model, combination_of_columns, prefilter_by=none) %}
    {{- package_ref_scope() -}}
    {%- set tested_rows = touched_rows(model,
        combination_of_columns + (prefilter_by or [])) %}
    {%- set key = combination_of_columns | join(', ') %}
    {%- if prefilter_by %}
        {#- The prefilter groups with more than one row; NULL groups are
            left out, as the join below would not match them. #}
        {%- set colliding_sql = repeated_values(tested_rows, prefilter_by) %}
        {#- Spark only (elsewhere false): whether a query run first finds
            no colliding group, the usual case (a group collides only when
            two rows share the combination, a failing test, or two keys
            share a 64-bit hash). Then the join below reads no row, instead
            of Spark shuffling every row of the relation for a sort-merge
            join with an empty side (macro known_empty_result). #}
        {%- set none_colliding = known_empty_result(colliding_sql) %}
        with

        colliding as {{ materialized_cte() }} (
            {%- if none_colliding %}
            select {{ prefilter_by | join(', ') }}
            from ({{ colliding_sql }}) as colliding_groups
            where 1 = 0
            {%- else %}
            {{ colliding_sql }}
            {%- endif %}
        ),

        candidates as (
            select {% for column in combination_of_columns -%}
                rows_of_model.{{ column }}{{ ', ' if not loop.last }}
            {%- endfor %}
            from {{ touched_rows_relation(model, prefilter_by) }} as rows_of_model
            inner join colliding
                on {% for column in prefilter_by -%}
                    rows_of_model.{{ column }} = colliding.{{ column }}
                    {{- ' and ' if not loop.last }}
                {%- endfor %}
        )

        select
            {{ key }},
            count(*) as rows_with_this_key
        from candidates
        group by {{ key }}
        having count(*) > 1
    {%- else %}
        select
            {{ key }},
            count(*) as rows_with_this_key
        from {{ tested_rows }}
        group by {{ key }}
        having count(*) > 1
    {%- endif %}
{% endtest %}
