{#
    Post-hook of int_customer_segments: one log line per segment dimension
    whose smaller values were folded into `other` (segment_max_values).
#}
{% macro log_folded_segment_values(relation) -%}
    {%- if execute -%}
        {%- set result = run_query(
            "select segment, count(distinct customer_id) as customers"
            ~ " from " ~ relation ~ " where is_folded_into_other"
            ~ " group by segment order by segment") -%}
        {%- for row in result.rows -%}
            {%- do log("Segment dimension " ~ row[0] ~ " has more than "
                ~ get_segment_max_values() ~ " values (segment_max_values): "
                ~ row[1] ~ " customers of its smaller values are counted as"
                ~ " 'other' in the *_by_segment marts.", info=true) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as folded_segment_values_logged
{%- endmacro %}
