{#
    How the incremental models (docs/incremental.md: the four staging and
    intermediate ones and the incremental marts) replace rows, per engine.
    The model code is the same everywhere; it states its key, its
    partition column and its tombstone (a row that means "this key is
    gone"), and incremental_config() turns them into the engine's config:

    - DuckDB, Postgres: delete+insert by unique_key, a post-hook deletes the
      tombstones.
    - Spark (dbt-spark, Parquet tables, which can only append or overwrite
      partitions): insert_overwrite with dynamic partition overwrite by
      partition_by. A run re-writes every partition it touches whole: the
      new rows plus the kept rows of those partitions read back from the
      target, so the result equals delete+insert by key
      (spark__rewrite_partitions_sql below). Tombstones are never written;
      a partition left without rows is dropped. The four staging and
      intermediate models use partition_month (incremental_partition_column);
      int_customer_stage_snapshots its own snapshot_date. partition_by=none
      means "no Spark partition column keeps this model's column order"
      (Spark lists partition columns last, and a contracted mart's order is
      part of its shape): the model stays a table on Spark
      (customer_cohorts).

    Call it as {{ config(**incremental_config(...)) }}.
#}
{% macro incremental_config(unique_key, partition_by, tombstone=none) -%}
    {{ return(adapter.dispatch('incremental_config', 'retention')(
        unique_key, partition_by, tombstone)) }}
{%- endmacro %}

{% macro default__incremental_config(unique_key, partition_by, tombstone=none) -%}
    {%- set settings = {
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
    } -%}
    {%- if tombstone -%}
        {%- do settings.update({'post_hook': [
            "{{ delete_incremental_tombstones('" ~ tombstone ~ "') }}"]}) -%}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}

{% macro spark__incremental_config(unique_key, partition_by, tombstone=none) -%}
    {%- if partition_by is none -%}
        {{ return({'materialized': 'table'}) }}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'file_format': 'parquet',
        'unique_key': unique_key,
        'partition_by': [partition_by],
        'meta': {'retention_rewrite_partitions': true, 'tombstone': tombstone},
        'post_hook': ["{{ drop_incremental_stage() }}"],
    }) }}
{%- endmacro %}


{#
    The partition column of an incremental model, Spark only (elsewhere
    nothing): `partition_month`, the first day of the UTC month of
    timestamp_sql (a timestamp or a date). A NULL or implausible value
    (outside min_valid_date..max_valid_date) gets the day before
    min_valid_date, a day no plausible row has, so all such rows share one
    partition (they are re-processed by every run anyway). Months, not
    days: on local Spark every partition is at least one file per task, and
    day partitions (some 800 over the demo's history) made a daily run of
    the demo data spend minutes opening files (docs/incremental.md).
    Emits a leading comma: put it after the last column of a select.
#}
{% macro incremental_partition_column(timestamp_sql) -%}
    {{ return(adapter.dispatch('incremental_partition_column', 'retention')(timestamp_sql)) }}
{%- endmacro %}

{% macro default__incremental_partition_column(timestamp_sql) -%}
{%- endmacro %}

{% macro spark__incremental_partition_column(timestamp_sql) -%}
    {%- set out_of_range_day = modules.datetime.date.fromisoformat(
        get_valid_date_window()[0] | string) - modules.datetime.timedelta(days=1) -%},
        case
            when
                {{ timestamp_sql }} is null
                or {{ is_implausible_timestamp(timestamp_sql) }}
                then cast('{{ out_of_range_day.isoformat() }}' as date)
            else cast(date_trunc('MONTH', {{ timestamp_sql }}) as date)
        end as partition_month
{%- endmacro %}


{#
    The statement dbt-spark runs for insert_overwrite (this overrides
    dbt-spark's get_insert_overwrite_sql for the models of this package). A
    model configured by incremental_config() gets the delete+insert rewrite
    below; every other model gets dbt-spark's own statement, unchanged.
#}
{% macro get_insert_overwrite_sql(source_relation, target_relation, existing_relation) -%}
    {%- if (config.get('meta') or {}).get('retention_rewrite_partitions') -%}
        {{ return(spark__rewrite_partitions_sql(source_relation, target_relation)) }}
    {%- endif -%}
    {%- set dest_columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set dest_cols_csv = dest_columns | map(attribute='quoted') | join(', ') -%}
    {%- if existing_relation.is_iceberg -%}
        insert overwrite {{ target_relation }}
    {%- else -%}
        insert overwrite table {{ target_relation }}
        {{ partition_cols(label="partition") }}
    {%- endif %}
    select {{ dest_cols_csv }} from {{ source_relation }}
{%- endmacro %}


{% macro incremental_stage_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__dbt_stage'})) }}
{%- endmacro %}


{#
    delete+insert by unique_key expressed as "re-write the touched day
    partitions whole" (Spark, dynamic partition overwrite):

    1. the model's rows (new rows and tombstones) are written to a stage
       table first: the model reads the target, which this run overwrites;
    2. touched partitions: those of the new rows, and those of the target's
       rows whose key the run replaces (a key may move to another day, or
       vanish: a tombstone). They are collected to dbt in one query and
       written into the next statements as literals, so that Spark reads
       only the touched partitions of the target (it prunes partitions on
       literals; a join with a view of them read every partition, and the
       view was evaluated twice);
    3. each touched partition is written back whole: the new rows (without
       tombstones) plus the target's rows of that partition whose key the
       run does not replace;
    4. a touched partition left without any row is dropped (a dynamic
       overwrite cannot write "no rows"). Only a touched partition without
       a new row can be left empty, so only those are checked, and no query
       runs when there is none (the usual daily run).

    Returns the insert overwrite statement; steps 1, 2 and 4 run here. The
    stage table is dropped by the post-hook (drop_incremental_stage).
#}
{% macro spark__rewrite_partitions_sql(source_relation, target_relation) -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- set keys = config.get('unique_key') -%}
    {%- if keys is string -%}
        {%- set keys = [keys] -%}
    {%- endif -%}
    {%- set partition = config.get('partition_by') -%}
    {%- if partition is not string -%}
        {%- set partition = partition[0] -%}
    {%- endif -%}
    {%- set stage = incremental_stage_relation(target_relation) -%}
    {%- set rewritten = target_relation.identifier ~ '__dbt_rewritten' -%}
    {%- set target_columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set columns = target_columns | map(attribute='name') | list -%}
    {%- set partition_columns = [] -%}
    {%- for column in target_columns
        if column.name | lower == partition | lower -%}
        {%- do partition_columns.append(column) -%}
    {%- endfor -%}
    {%- if not partition_columns -%}
        {{ exceptions.raise_compiler_error(
            target_relation ~ " has no column " ~ partition ~ ": it was built by an"
            ~ " older version of this project, where this model was a plain table on"
            ~ " Spark. Run `dbt build --full-refresh` once (docs/incremental.md).") }}
    {%- endif -%}
    {%- set partition_type = partition_columns[0].data_type -%}
    {%- set new_rows_filter -%}
        {%- if meta.get('tombstone') %} where not ({{ meta.get('tombstone') }}){% endif -%}
    {%- endset -%}
    {%- set key_match -%}
        {%- for key in keys -%}
            target.{{ key }} <=> replaced.{{ key }}{% if not loop.last %} and {% endif %}
        {%- endfor -%}
    {%- endset -%}

    {%- do run_query('drop table if exists ' ~ stage) -%}
    {%- do run_query('create table ' ~ stage ~ ' using parquet as select * from '
        ~ source_relation) -%}

    {#- Each touched partition as a string, and whether a new row is in it.
        A NULL partition is left out, as the join on it did before: its
        target rows are never read back. #}
    {%- set touched_sql -%}
        select
            cast({{ partition }} as string) as touched_partition,
            max(has_new_row) as has_new_row
        from (
            select distinct
                {{ partition }},
                1 as has_new_row
            from {{ stage }}{{ new_rows_filter }}
            union all
            select distinct
                target.{{ partition }},
                0 as has_new_row
            from {{ target_relation }} as target
            left semi join {{ stage }} as replaced
                on {{ key_match }}
        ) as touched
        where {{ partition }} is not null
        group by cast({{ partition }} as string)
        order by touched_partition
    {%- endset -%}
    {%- set touched = [] -%}
    {%- set maybe_emptied = [] -%}
    {%- for row in run_query(touched_sql).rows -%}
        {%- do touched.append(row[0] | string) -%}
        {%- if row[1] == 0 -%}
            {%- do maybe_emptied.append(row[0] | string) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set rewritten_sql -%}
        create or replace temporary view {{ rewritten }} as
        select {{ columns | join(', ') }}
        from {{ stage }}{{ new_rows_filter }}
        union all
        select {% for column in columns %}target.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
        {{ spark__kept_target_rows(target_relation, stage, key_match,
            'target.' ~ partition, partition_type, touched) }}
    {%- endset -%}
    {%- do run_query(rewritten_sql) -%}

    {%- if maybe_emptied -%}
        {%- set kept_sql -%}
            select distinct cast(target.{{ partition }} as string)
            {{ spark__kept_target_rows(target_relation, stage, key_match,
                'target.' ~ partition, partition_type, maybe_emptied) }}
        {%- endset -%}
        {%- set kept = run_query(kept_sql).columns[0].values()
            | map('string') | list -%}
        {%- for value in maybe_emptied if value not in kept -%}
            {%- do run_query('alter table ' ~ target_relation ~ ' drop if exists partition ('
                ~ partition ~ " = '" ~ value ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}

    insert overwrite table {{ target_relation }}
    partition ({{ partition }})
    select {{ columns | join(', ') }} from {{ rewritten }}
{%- endmacro %}


{#
    The target's rows that a partition rewrite keeps, in the partitions
    `values` (spark__partition_in): those whose key the stage does not
    replace. `from ... where ...`, read back into the rewrite and, for the
    partitions without a new row, checked for emptied partitions.
#}
{% macro spark__kept_target_rows(target_relation, stage, key_match, column_sql, data_type, values) -%}
    from {{ target_relation }} as target
    left anti join {{ stage }} as replaced
        on {{ key_match }}
    where {{ spark__partition_in(column_sql, data_type, values) }}
{%- endmacro %}


{#
    A predicate on a Spark partition column (column_sql): its value is one
    of `values` (strings, as cast(column as string) returned them), written
    as literals of the column's type, so that Spark reads only those
    partitions. false when there is none.
#}
{% macro spark__partition_in(column_sql, data_type, values) -%}
    {%- if values -%}
        {{ column_sql }} in (
            {%- for value in values %}
            cast('{{ value }}' as {{ data_type }}){% if not loop.last %},{% endif %}
            {%- endfor %}
        )
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#
    partitions_holding(relation, predicate, ctes): on Spark, `and <the
    model's partition column> in (...)` listing the partitions of
    `relation` (the model's own target) that hold a row for which
    `predicate` is true, found by one query (`ctes`: the CTEs the predicate
    reads, without `with`). Appended to that same predicate in a scan of
    the target, it leaves the rows read unchanged and lets Spark read only
    those partitions: it skips no partition on its own, as the predicate
    is not on the partition column. Nothing on the other engines (no
    partitions), nor when the relation has a row without a partition.
    Runs a query: call it only when is_incremental().
#}
{% macro partitions_holding(relation, predicate, ctes='') -%}
    {{ return(adapter.dispatch('partitions_holding', 'retention')(
        relation, predicate, ctes)) }}
{%- endmacro %}

{% macro default__partitions_holding(relation, predicate, ctes='') -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__partitions_holding(relation, predicate, ctes='') -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set partition = config.get('partition_by') -%}
    {%- if partition is not string -%}
        {%- set partition = partition[0] -%}
    {%- endif -%}
    {%- set ns = namespace(data_type=none) -%}
    {%- for column in adapter.get_columns_in_relation(relation)
        if column.name | lower == partition | lower -%}
        {%- set ns.data_type = column.data_type -%}
    {%- endfor -%}
    {%- if ns.data_type is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set query -%}
        {%- if ctes %}
        with

        {{ ctes }}

        {% endif -%}
        select distinct cast({{ partition }} as string) as partition_value
        from {{ relation }}
        where {{ predicate }}
        order by partition_value
    {%- endset -%}
    {%- set values = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- if row[0] is none -%}
            {{ return('') }}
        {%- endif -%}
        {%- do values.append(row[0] | string) -%}
    {%- endfor -%}
    {{ return('\n            and '
        ~ spark__partition_in(partition, ns.data_type, values)) }}
{%- endmacro %}


{# post-hook on Spark: drops the stage table of spark__rewrite_partitions_sql. #}
{% macro drop_incremental_stage() -%}
    drop table if exists {{ incremental_stage_relation(this) }}
{%- endmacro %}


{#
    Drops a column an older version of a model wrote and this one does not
    (retire_incremental_columns). DuckDB and Postgres alter the table in
    place. Spark's Parquet tables cannot drop a column, so the run stops
    with the remedy.
#}
{% macro drop_retired_column(relation, column) -%}
    {{ return(adapter.dispatch('drop_retired_column', 'retention')(
        relation, column)) }}
{%- endmacro %}

{% macro default__drop_retired_column(relation, column) -%}
    {%- do log(relation ~ ": dropping column " ~ column
        ~ ", which this version no longer writes", info=true) -%}
    {%- do run_query('alter table ' ~ relation ~ ' drop column '
        ~ adapter.quote(column)) -%}
{%- endmacro %}

{% macro spark__drop_retired_column(relation, column) -%}
    {{ exceptions.raise_compiler_error(
        relation ~ " has a column " ~ column ~ " that this version no longer"
        ~ " writes, and a Parquet table cannot drop a column: it was built by"
        ~ " an older version of this project. Run `dbt build --full-refresh`"
        ~ " once (docs/incremental.md).") }}
{%- endmacro %}
