-- Every raw campaign send row, typed, with the reason it breaks the input contract (null when it does not).
{% set delivered_types = delivered_column_types(source('shop', 'campaign_sends')) %}

with

source as (
    select * from {{ source('shop', 'campaign_sends') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

typed as (
    select
        ----------  ids
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('customer_id') }} as customer_id,

        ----------  send
        lower({{ clean_text('channel') }}) as channel,
        {{ boolean_from_text('is_control') }} as is_control,
        {{ clean_text('is_control') }} is null as is_control_missing,

        ----------  timestamps
        {{ safe_utc_timestamp('sent_at', delivered_types.get('sent_at')) }} as sent_at,

        ----------  lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _loaded_at as loaded_at

    from source
),

row_checked as (
    select
        typed.*,
        {{ composite_key(['typed.campaign_id', 'typed.customer_id']) }} as send_key,
        case
            when typed.campaign_id is null then 'missing campaign_id'
            when typed.customer_id is null then 'missing customer_id'
            when typed.sent_at is null then 'missing or invalid sent_at'
            when typed.sent_at > typed.loaded_at then 'sent_at in the future'
            when typed.is_control_missing then 'missing is_control'
            when typed.is_control is null then 'invalid is_control'
            when customers.customer_id is null then 'unknown customer_id'
        end as row_failure_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
),

older_versions as (
    -- last write wins: a campaign reaches a customer once, and a later load or file corrects the send
    {{ older_versions('row_checked', 'send_key', 'duplicate send', 'older version of send') }}
),

checked as (
    select
        row_checked.campaign_id,
        row_checked.customer_id,
        row_checked.channel,
        row_checked.is_control,
        row_checked.sent_at,
        row_checked.source_file,
        row_checked.source_row_number,
        row_checked.loaded_at,
        coalesce(row_checked.row_failure_reason, older_versions.superseded_reason) as quarantine_reason
    from row_checked
    left join older_versions
        on row_checked.source_file = older_versions.superseded_source_file
        and row_checked.source_row_number = older_versions.superseded_source_row_number
)

select * from checked
