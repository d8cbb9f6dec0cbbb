{#
    Readers of the mapping vars (CONTRACT.md section 4, docs/package.md):
    where each raw table lives, which optional tables exist, the columns a
    user carries through, and the stores. Each one validates its var and
    stops the build with a message naming it.
#}

{# The raw tables of the contract, in the order staging knows them. #}
{% macro raw_table_names() -%}
    {{ return(['customers', 'orders', 'events', 'marketing_spend',
        'experiment_assignments']) }}
{%- endmacro %}


{# The optional raw tables and the var that switches each off. #}
{% macro optional_raw_tables() -%}
    {{ return({
        'events': 'using_events',
        'marketing_spend': 'using_marketing_spend',
        'experiment_assignments': 'using_experiment_assignments',
    }) }}
{%- endmacro %}


{# The contract columns of each raw table (CONTRACT.md sections 1 and 5). #}
{% macro raw_table_columns(table) -%}
    {%- set columns = {
        'customers': ['customer_id', 'signed_up_at', 'email', 'country_code',
            'acquisition_channel', 'acquisition_campaign', 'updated_at'],
        'orders': ['order_id', 'customer_id', 'ordered_at', 'status',
            'order_amount', 'refunded_amount', 'cost_amount', 'updated_at'],
        'events': ['event_id', 'customer_id', 'event_name', 'occurred_at',
            'platform', 'properties'],
        'marketing_spend': ['spend_date', 'channel', 'campaign',
            'spend_amount'],
        'experiment_assignments': ['experiment_id', 'customer_id', 'variant',
            'assigned_at'],
    } -%}
    {{ return(columns[table]) }}
{%- endmacro %}


{% macro _bool_var(name, default=true) -%}
    {%- set value = var(name, default) -%}
    {%- if value is boolean -%}
        {{ return(value) }}
    {%- endif -%}
    {%- set text = value | string | trim | lower -%}
    {%- if text in ('true', 'false') -%}
        {{ return(text == 'true') }}
    {%- endif -%}
    {{ _invalid_var(name, value, "true or false") }}
{%- endmacro %}


{#
    True when the raw table exists for this project: customers and orders
    always; events, marketing_spend and experiment_assignments unless
    using_<table> is false.
#}
{% macro using_raw_table(table) -%}
    {%- set optional = optional_raw_tables() -%}
    {%- if table in optional -%}
        {{ return(_bool_var(optional[table])) }}
    {%- endif -%}
    {{ return(true) }}
{%- endmacro %}


{# The enabled raw tables. #}
{% macro used_raw_tables() -%}
    {%- set ns = namespace(tables=[]) -%}
    {%- for table in raw_table_names() -%}
        {%- if using_raw_table(table) -%}
            {%- set ns.tables = ns.tables + [table] -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.tables) }}
{%- endmacro %}


{% macro _is_identifier(text) -%}
    {{ return(modules.re.match('^[A-Za-z_][A-Za-z0-9_$]*$', text) is not none) }}
{%- endmacro %}


{#
    The user's name of a raw table: var <table>_identifier (Fivetran's
    convention), default the table's own name.
#}
{% macro get_raw_identifier(table) -%}
    {%- set name = table ~ '_identifier' -%}
    {%- set value = var(name, table) -%}
    {%- if value is none -%}
        {{ return(table) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if not _is_identifier(text) -%}
        {{ _invalid_var(name, value,
            "a table name made of letters, digits, '_' or '$' (the table "
            ~ "in raw_schema, or in each store's schema, that holds the "
            ~ table ~ " of CONTRACT.md)") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}


{#
    The stores: a list of {name, database, schema}, validated. With the var
    stores empty, one store named `default` at raw_database / raw_schema.
    Each item of the result also says whether ids are qualified with the
    store name (only when the var lists stores).
#}
{% macro get_stores() -%}
    {%- set value = var('stores', []) -%}
    {%- set default_database = var('raw_database', none) or target.database or none -%}
    {%- set default_schema = var('raw_schema', 'raw') -%}
    {%- if value is none or value == [] or value == '' -%}
        {{ return([{'name': 'default', 'database': default_database,
            'schema': default_schema}]) }}
    {%- endif -%}
    {%- set allowed = "a list of stores, each {name: <lowercase letters, digits, _>, "
        ~ "schema: <schema of its raw tables>, database: <optional>}, "
        ~ "with distinct names, e.g. [{name: eu, schema: shop_eu}, "
        ~ "{name: us, schema: shop_us}]" -%}
    {%- if value is string or value is mapping or value is not iterable -%}
        {{ _invalid_var('stores', value, allowed) }}
    {%- endif -%}
    {%- set ns = namespace(stores=[], names=[]) -%}
    {%- for item in value -%}
        {%- if item is not mapping or 'name' not in item or 'schema' not in item -%}
            {{ _invalid_var('stores', value, allowed) }}
        {%- endif -%}
        {%- set unknown = item.keys() | reject('in', ['name', 'database', 'schema']) | list -%}
        {%- set name = item['name'] | string | trim -%}
        {%- set schema = item['schema'] | string | trim -%}
        {%- if unknown or not modules.re.match('^[a-z][a-z0-9_]*$', name)
            or name in ns.names or not _is_identifier(schema) -%}
            {{ _invalid_var('stores', value, allowed) }}
        {%- endif -%}
        {%- set ns.names = ns.names + [name] -%}
        {%- set ns.stores = ns.stores + [{
            'name': name,
            'database': item.get('database') or default_database,
            'schema': schema,
        }] -%}
    {%- endfor -%}
    {%- if ns.stores | length == 0 -%}
        {{ _invalid_var('stores', value, allowed) }}
    {%- endif -%}
    {{ return(ns.stores) }}
{%- endmacro %}


{# True when the var stores lists stores: ids become `<store>:<id>`. #}
{% macro stores_are_listed() -%}
    {%- set value = var('stores', []) -%}
    {{ return(not (value is none or value == [] or value == '')) }}
{%- endmacro %}


{#
    The passthrough columns of customer_passthrough_columns or
    first_order_passthrough_columns: a list of {name, alias}. Items are a
    raw column name, or {name: <raw column>, alias: <column in customers>}.
    `reserved` are names the columns may not take (the raw table's contract
    columns, which staging reads already).
#}
{% macro _passthrough_var(var_name, raw_table) -%}
    {%- set value = var(var_name, []) -%}
    {%- if value is none or value == '' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set allowed = "a list of column names of the raw " ~ raw_table
        ~ " table, or of {name: <column>, alias: <name in customers>}, e.g. "
        ~ "['loyalty_tier'] or [{name: utm_source, alias: first_utm_source}]; "
        ~ "not a column of the contract (" ~ (raw_table_columns(raw_table) | join(', '))
        ~ "), not email, and no two with the same name in customers" -%}
    {%- if value is string or value is mapping or value is not iterable -%}
        {{ _invalid_var(var_name, value, allowed) }}
    {%- endif -%}
    {%- set ns = namespace(columns=[]) -%}
    {%- for item in value -%}
        {%- if item is mapping -%}
            {%- set name = item.get('name', '') | string | trim -%}
            {%- set alias = (item.get('alias') or name) | string | trim -%}
            {%- set unknown = item.keys() | reject('in', ['name', 'alias']) | list -%}
        {%- else -%}
            {%- set name = item | string | trim -%}
            {%- set alias = name -%}
            {%- set unknown = [] -%}
        {%- endif -%}
        {%- if unknown or not _is_identifier(name) or not _is_identifier(alias)
            or (name | lower) in raw_table_columns(raw_table)
            or (name | lower) == 'email' -%}
            {{ _invalid_var(var_name, value, allowed) }}
        {%- endif -%}
        {%- set ns.columns = ns.columns + [{'name': name | lower, 'alias': alias | lower}] -%}
    {%- endfor -%}
    {{ return(ns.columns) }}
{%- endmacro %}


{# The columns of the customers mart that a passthrough alias may not take. #}
{% macro customers_mart_columns() -%}
    {{ return([
        'customer_id', 'store', 'acquisition_channel', 'country_code',
        'cohort_period', 'first_purchase_date', 'last_purchase_date',
        'purchases', 'purchase_days', 'net_revenue', 'gross_margin',
        'has_cost', 'aov', 'days_to_second_purchase',
        'avg_days_between_purchases', 'median_days_between_purchases',
        'recency_days', 'tenure_days', 'is_active', 'historical_cltv',
        'lifecycle_stage', 'rfm_recency_score', 'rfm_frequency_score',
        'rfm_monetary_score', 'days_to_first_purchase', 'latest_nps_score',
        'latest_nps_class', 'acquisition_campaign', 'last_gap_days',
        'first_order_id', 'is_known_customer', 'as_of_date', 'spells',
    ]) }}
{%- endmacro %}


{#
    Both passthrough vars, validated together: {'customer': [...],
    'first_order': [...]}; an alias used twice, or one that names a column
    the customers mart has, stops the build naming the var.
#}
{% macro get_passthrough_columns() -%}
    {%- set customer = _passthrough_var('customer_passthrough_columns', 'customers') -%}
    {%- set first_order = _passthrough_var('first_order_passthrough_columns', 'orders') -%}
    {%- set ns = namespace(seen=[]) -%}
    {%- for var_name, columns in [('customer_passthrough_columns', customer),
        ('first_order_passthrough_columns', first_order)] -%}
        {%- for column in columns -%}
            {%- if column.alias in ns.seen or column.alias in customers_mart_columns() -%}
                {{ _invalid_var(var_name, var(var_name),
                    "columns whose names in customers (alias, else name) are "
                    ~ "distinct across customer_passthrough_columns and "
                    ~ "first_order_passthrough_columns and are not a column "
                    ~ "customers already has (" ~ (customers_mart_columns() | join(', ')) ~ "); '"
                    ~ column.alias ~ "' is taken: give it an alias") }}
            {%- endif -%}
            {%- set ns.seen = ns.seen + [column.alias] -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return({'customer': customer, 'first_order': first_order}) }}
{%- endmacro %}


{#
    The raw columns staging reads from a raw table: the contract's and the
    passthrough ones.
#}
{% macro raw_columns_read(table) -%}
    {%- set passthrough = get_passthrough_columns() -%}
    {%- set extra = [] -%}
    {%- if table == 'customers' -%}
        {%- set extra = passthrough.customer | map(attribute='name') | list -%}
    {%- elif table == 'orders' -%}
        {%- set extra = passthrough.first_order | map(attribute='name') | list -%}
    {%- endif -%}
    {{ return(raw_table_columns(table) + extra) }}
{%- endmacro %}
