{#
    on-run-end hook: after `dbt build` / `dbt test`, one plain summary of every
    data test that failed (or warned): the rule in words, the model and
    column it guards, how many rows break it, and which models `dbt build`
    skipped because of it. dbt's own "Got N results" lines stay as they are;
    this block is what a data engineer reads first on a failed morning.
#}
{% macro report_failed_rules(results) -%}
    {%- if execute -%}
        {%- set broken = [] -%}
        {%- set skipped = [] -%}
        {#- Installed as a package: the package's own nodes only. -#}
        {%- for result in results
            if result.node.package_name == 'retention' -%}
            {%- if result.node.resource_type == 'test'
                and result.status in ('fail', 'warn', 'error') -%}
                {%- do broken.append(result) -%}
            {%- elif result.status == 'skipped' -%}
                {%- do skipped.append(result.node.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for result in broken -%}
            {%- do log(_failed_rule_message(result), info=true) -%}
        {%- endfor -%}
        {%- if skipped -%}
            {%- do log("Skipped because an upstream data test failed ("
                ~ skipped | length ~ " nodes, left unchanged): "
                ~ skipped | sort | join(", "), info=true) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro _failed_rule_message(result) -%}
    {%- set node = result.node -%}
    {%- set meta = node.test_metadata -%}
    {%- set kwargs = meta.kwargs if meta else {} -%}
    {%- set rule = meta.name if meta else 'singular test' -%}
    {%- if kwargs.get('expression') -%}
        {%- set rule = rule ~ ": " ~ kwargs['expression'] -%}
    {%- elif kwargs.get('combination_of_columns') -%}
        {%- set rule = rule ~ ": " ~ kwargs['combination_of_columns'] | join(", ") -%}
    {%- elif kwargs.get('values') -%}
        {%- set rule = rule ~ ": " ~ kwargs['values'] | join(", ") -%}
    {%- endif -%}
    {#- The rows the rule applies to (dbt's `config: where:`). -#}
    {%- if node.config.where -%}
        {%- set rule = rule ~ " (where " ~ node.config.where ~ ")" -%}
    {%- endif -%}
    {%- set guarded = node.attached_node.split('.')[-1]
        if node.attached_node else node.original_file_path -%}
    {%- if node.column_name -%}
        {%- set guarded = guarded ~ "." ~ node.column_name -%}
    {%- endif -%}
    {%- set rows = result.failures if result.failures is not none else 'unknown' -%}
    {%- set level = 'WARNING' if result.status == 'warn' else 'FAILED' -%}
    {%- set message = "Data rule " ~ level ~ ": " ~ node.name ~ " [" ~ rule
        ~ "] on " ~ guarded ~ ": " ~ rows ~ " row(s) break it." -%}
    {%- if node.description -%}
        {%- set message = message ~ " Rule: " ~ node.description | trim -%}
    {%- endif -%}
    {%- if result.status == 'error' -%}
        {%- set message = message ~ " The test itself errored: "
            ~ (result.message or '') -%}
    {%- endif -%}
    {{- message ~ " See the failing rows with: dbt test --select "
        ~ node.name ~ " --store-failures" -}}
{%- endmacro %}
