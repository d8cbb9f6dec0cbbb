{{ config(**incremental_config(
    unique_key='key_hash',
    partition_by='partition_month',
)) }}
{{ config(post_hook=[
    "{{ drop_small_result_table(this.identifier ~ '__repeated_key_hashes') }}",
]) }}

{#
    Every raw event row with its fate (see docs/staging_rules.md): the
    earliest copy of an event_id is staged, later copies are duplicates.
    Full build: almost every event_id occurs once, so only the rows of keys
    that occur more than once (found on key_hash, a cheap integer) are ranked
    with a window; every other row is rank 1 without a sort.
    Incremental (docs/incremental.md): a run re-triages the raw rows of the
    window and of the late days (days before it that received raw rows since
    the last run, however old) together with the rows already triaged for
    the same keys (looked up by key_hash), and replaces them by key_hash
    (an integer: deleting by it reads one 8-byte column, not the text key;
    a key that shares the hash is read back and re-ranked with them, so
    nothing is lost).
    The triage key itself is not stored: it is the event_id, or for a row
    without one a function of its stored occurred_at (macro triage_key), so
    a run re-derives it for the rows it reads back. Writing it would cost a
    second copy of the event_id text, the most expensive column to write.
    A table built by an older version that stored it loses the column in
    its next run (retire_incremental_columns).
    A text-typed occurred_at is parsed (macros/staging/raw_values.sql); the
    window filter reads it through the same parsing. A copy whose
    occurred_at does not parse is quarantined and ranks after every other.
#}
{%- set raw_types = raw_column_types('events') %}
{%- set copy_order -%}
    parse_problem is not null asc,
    occurred_at asc nulls last,
    customer_id asc nulls last,
    event_name asc nulls last,
    platform asc nulls last,
    properties asc nulls last
{%- endset %}
{%- if is_incremental() %}
    {%- do require_incremental_columns(this, ['key_hash', 'store']) %}
    {%- do retire_incremental_columns(this, ['triage_key']) %}
    {%- set window = incremental_window(this, 'occurred_at', raw_table('events'),
        timestamp_from_raw('occurred_at', raw_types), 'events') %}
    {%- set window_start, late_days = window %}
    {%- set scan_per_branch = '' %}
{%- else %}
    {#- The full build's branches each scan raw.events with their own
        filter rather than sharing 100M materialized rows. #}
    {%- set scan_per_branch = inline_cte() %}
{%- endif %}
{%- set window_ctes %}
    {#- the rows of the window (all rows in a full build) #}
source as {{ scan_per_branch }} (
    select * from {{ raw_table('events') }}
    {%- if is_incremental() %}
        where {{ in_incremental_window(
            timestamp_from_raw('occurred_at', raw_types),
            window_start, late_days) }}
    {%- endif %}
),

normalized as {{ scan_per_branch }} (
    select
        store,
        {{ store_qualified_id(clean_text('event_id')) }} as event_id,
        {{ store_qualified_id(clean_text('customer_id')) }} as customer_id,
        {{ clean_code('event_name') }} as event_name,
        {{ timestamp_from_raw('occurred_at', raw_types) }} as occurred_at,
        {{ clean_code('platform') }} as platform,
        properties,
        {{ unparseable_reason([('occurred_at', 'timestamp')], raw_types) }}
            as parse_problem
    from source
),

keyed as {{ scan_per_branch }} (
    select
        *,
        {{ triage_key('event_id', 'occurred_at') }} as triage_key
    from normalized
),

hashed as {{ scan_per_branch }} (
    select
        *,
        {{ key_hash('triage_key') }} as key_hash
    from keyed
)
{%- endset %}
{%- if not is_incremental() %}
    {%- set repeated_keys_sql = repeated_values('hashed', 'key_hash') %}
    {#- Spark only (elsewhere none): the repeated keys written first to a
        table, so that Spark knows they are few and broadcasts them to the
        join below instead of shuffling every row (macro
        small_result_table; dropped by the post-hook). #}
    {%- set repeated_keys_table = small_result_table(
        this.identifier ~ '__repeated_key_hashes',
        'with ' ~ (window_ctes | trim) ~ '\n' ~ repeated_keys_sql) %}
{%- endif %}
{%- if is_incremental() %}
    {%- set settled_predicate -%}
        key_hash in (select key_hash from window_keys)
            and not {{ in_incremental_window('occurred_at', window_start, late_days) }}
    {%- endset %}
    {#- Spark only (elsewhere nothing): `and partition_month in (...)`,
        the partitions that hold an earlier copy of a window key, found by
        one query before the model's (2 columns of the target). The two
        scans below then read those partitions instead of the whole
        target; the predicate keeps the same rows. #}
    {%- set settled_ctes -%}
        {{ window_ctes | trim }},

        window_keys as (select distinct key_hash from hashed)
    {%- endset %}
    {%- set settled_partitions = partitions_holding(
        this, settled_predicate, settled_ctes) %}
{%- endif %}

with

{{ window_ctes | trim }},

{% if is_incremental() %}

    window_keys as (
        select distinct key_hash
        from hashed
    ),

    {#
        Earlier copies of the window's keys, triaged in earlier runs, in
        two steps: first the key_hash of every such copy (reading only
        key_hash and occurred_at of the target: a handful of keys), then
        the copies themselves. Read in one step, the engine fetches every
        column of each row that passes its probabilistic key_hash filter,
        which at 100M rows means decompressing the whole table. Every
        target row with a matching key_hash is taken, a key that merely
        shares the hash included: the run then replaces by key_hash
        (unique_key) and re-ranks that key's rows by triage_key, exactly as
        they were ranked.
    #}
    settled_keys as {{ materialized_cte() }} (
        select distinct key_hash
        from {{ this }}
        where
            key_hash in (select key_hash from window_keys)
            and not {{ in_incremental_window('occurred_at', window_start, late_days) }}
            {{- settled_partitions }}
    ),

    settled_copies as (
        select
            store,
            event_id,
            customer_id,
            event_name,
            occurred_at,
            platform,
            properties,
            {{ stored_unparseable_reason() }} as parse_problem,
            {{ triage_key('event_id', 'occurred_at') }} as triage_key,
            key_hash
        from {{ this }}
        where
            key_hash in (select key_hash from settled_keys)
            and not {{ in_incremental_window(
                'occurred_at', window_start, late_days) }}
            {{- settled_partitions }}
    ),

    candidates as (
        select * from hashed
        union all
        select * from settled_copies
    ),

    versioned as (
        select
            *,
            row_number() over (
                partition by triage_key order by {{ copy_order }}
            ) as version_rank
        from candidates
    ),

{% else %}

    repeated_key_hashes as (
        {%- if repeated_keys_table %}
            select key_hash from {{ repeated_keys_table }}
        {%- else %}
            {{ repeated_keys_sql }}
        {%- endif %}
    ),

    flagged as {{ scan_per_branch }} (
        select
            hashed.*,
            repeated_key_hashes.key_hash is not null as has_copies
        from hashed
        left join repeated_key_hashes
            on hashed.key_hash = repeated_key_hashes.key_hash
    ),

    single_copies as (
        select
            *,
            1 as version_rank
        from flagged
        where not has_copies
    ),

    repeated_copies as (
        select
            *,
            row_number() over (
                partition by triage_key order by {{ copy_order }}
            ) as version_rank
        from flagged
        where has_copies
    ),

    versioned as (
        select * from single_copies
        union all
        select * from repeated_copies
    ),

{% endif %}

reasoned as (
    select
        *,
        case
            when event_id is null then 'missing_event_id'
            when parse_problem is not null then parse_problem
            when version_rank > 1 then null
            when event_name is null then 'missing_event_name'
            when occurred_at is null then 'missing_occurred_at'
            when {{ is_implausible_timestamp('occurred_at') }}
                then 'implausible_occurred_at'
        end as quarantine_reason
    from versioned
),

final as (
    select
        store,
        event_id,
        customer_id,
        event_name,
        occurred_at,
        platform,
        properties,
        cast(version_rank as {{ dbt.type_bigint() }}) as version_rank,
        quarantine_reason,
        {{ row_disposition() }} as disposition,
        key_hash{{ incremental_partition_column('occurred_at') }} -- noqa: LT02
    from reasoned
)

select * from final
