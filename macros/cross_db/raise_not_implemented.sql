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
