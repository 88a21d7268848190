-- Every raw customer row, typed, with the reason it breaks the input contract (null when it does not).
{% set delivered_types = delivered_column_types(source('shop', 'customers')) %}

with

source as (
    select * from {{ source('shop', 'customers') }}
),

typed as (
    select
        ----------  ids
        {{ clean_text('customer_id') }} as customer_id,

        ----------  attributes
        {{ clean_text('email') }} as email,
        upper({{ clean_text('country') }}) as country,
        {{ clean_text('gender') }} as gender,
        {{ clean_text('acquisition_channel') }} as acquisition_channel,
        -- optional attributes that cannot be read become null rather than quarantining the customer
        {{ dbt.safe_cast('birth_year', dbt.type_int()) }} as birth_year,
        {{ boolean_from_text('marketing_consent') }} as marketing_consent,

        ----------  timestamps
        {{ safe_utc_timestamp('created_at', delivered_types.get('created_at')) }} as created_at,
        created_at is null as is_created_at_missing,

        ----------  lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _loaded_at as loaded_at

    from source
),

row_checked as (
    select
        *,
        case
            when customer_id is null then 'missing customer_id'
            when is_created_at_missing then 'missing created_at'
            when created_at is null then 'invalid created_at'
            when created_at > loaded_at then 'created_at in the future'
        end as row_failure_reason
    from typed
),

older_versions as (
    -- last write wins: a later load or file carries the newer state of a customer
    {{ older_versions('row_checked', 'customer_id', 'duplicate customer_id', 'older version of customer_id') }}
),

checked as (
    select
        row_checked.customer_id,
        row_checked.email,
        row_checked.country,
        row_checked.gender,
        row_checked.acquisition_channel,
        row_checked.birth_year,
        row_checked.marketing_consent,
        row_checked.created_at,
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
