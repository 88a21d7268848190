-- Every raw campaign response row, typed, with the reason it breaks the input contract (null when it does
-- not).
{% set delivered_types = delivered_column_types(source('shop', 'campaign_responses')) %}

with

source as (
    select * from {{ source('shop', 'campaign_responses') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

campaign_sends as (
    select * from {{ ref('stg_shop__campaign_sends') }}
),

typed as (
    select
        ----------  ids
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('customer_id') }} as customer_id,

        ----------  response
        lower({{ clean_text('response_type') }}) as response_type,
        {{ dbt.safe_cast('revenue', dbt.type_numeric()) }} as revenue,
        {{ clean_text('revenue') }} is null as is_revenue_missing,
        {{ has_decimals_beyond_numeric_scale(
            'revenue', delivered_types.get('revenue')
        ) }} as has_revenue_extra_decimals,

        ----------  timestamps
        {{ safe_utc_timestamp('responded_at', delivered_types.get('responded_at')) }} as responded_at,

        ----------  lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _loaded_at as loaded_at

    from source
),

row_checked as (
    select
        typed.*,
        {{ composite_key(['typed.campaign_id', 'typed.customer_id', 'typed.response_type', 'typed.responded_at']) }}
            as response_key,
        case
            when typed.campaign_id is null then 'missing campaign_id'
            when typed.customer_id is null then 'missing customer_id'
            when typed.responded_at is null then 'missing or invalid responded_at'
            when typed.responded_at > typed.loaded_at then 'responded_at in the future'
            when typed.response_type is null then 'missing response_type'
            when typed.revenue is null and not typed.is_revenue_missing then 'invalid revenue'
            when typed.has_revenue_extra_decimals then 'revenue with more than 6 decimals'
            when typed.revenue < 0 then 'negative revenue'
            when customers.customer_id is null then 'unknown customer_id'
            when campaign_sends.campaign_id is null then 'campaign not sent to customer_id'
            when typed.responded_at < campaign_sends.sent_at then 'responded_at before sent_at'
        end as row_failure_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
    left join campaign_sends
        on typed.campaign_id = campaign_sends.campaign_id
        and typed.customer_id = campaign_sends.customer_id
),

older_versions as (
    -- last write wins: the same response delivered twice (say, in two files) counts once
    {{ older_versions('row_checked', 'response_key', 'duplicate response', 'older version of response') }}
),

checked as (
    select
        row_checked.campaign_id,
        row_checked.customer_id,
        row_checked.response_type,
        row_checked.revenue,
        row_checked.responded_at,
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
