-- Every raw customer attributes row, typed, with the reason it breaks the input contract (null when it does not).
-- The attributes are the columns the source declares (macro customer_attribute_columns), typed by their kind.
{%- set attributes = customer_attribute_columns() %}

with

source as (
    select * from {{ source('shop', 'customer_attributes') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

delivered as (
    -- values as text without surrounding blanks; a blank value is a missing attribute, null rather than a defect
    select
        {{ clean_text('customer_id') }} as customer_id,
        {%- for attribute in attributes %}
        {{ clean_text(attribute.name) }} as {{ attribute.name }},
        {%- endfor %}
        _source_file as source_file,
        _source_row_number as source_row_number,
        _loaded_at as loaded_at
    from source
),

typed as (
    select
        ----------  ids
        delivered.customer_id,

        ----------  attributes
        {%- for attribute in attributes %}
        {%- set delivered_value = 'delivered.' ~ attribute.name %}
        {%- if attribute.data_type == 'boolean' %}
        {{ boolean_from_text(delivered_value) }} as {{ attribute.name }},
        {%- elif attribute.data_type == 'integer' %}
        {{ dbt.safe_cast(delivered_value, dbt.type_bigint()) }} as {{ attribute.name }},
        {%- else %}
        {{ dbt.safe_cast(delivered_value, dbt.type_numeric()) }} as {{ attribute.name }},
        {%- endif %}
        {%- endfor %}
        0
        {%- for attribute in attributes %}
        + case when delivered.{{ attribute.name }} is not null then 1 else 0 end
        {%- endfor %} as delivered_attribute_count,

        ----------  lineage
        delivered.source_file,
        delivered.source_row_number,
        delivered.loaded_at

    from delivered
),

readable_attributes_counted as (
    -- a delivered value that does not read as its column's kind is null once typed, so fewer values remain
    select
        *,
        0
        {%- for attribute in attributes %}
        + case when {{ attribute.name }} is not null then 1 else 0 end
        {%- endfor %} as readable_attribute_count
    from typed
),

row_checked as (
    select
        readable_attributes_counted.*,
        case
            when readable_attributes_counted.customer_id is null then 'missing customer_id'
            when readable_attributes_counted.readable_attribute_count
                < readable_attributes_counted.delivered_attribute_count then 'invalid attribute value'
            when customers.customer_id is null then 'unknown customer_id'
        end as row_failure_reason
    from readable_attributes_counted
    left join customers
        on readable_attributes_counted.customer_id = customers.customer_id
),

older_versions as (
    -- last write wins: a later load or file carries the customer's current attributes
    {{ older_versions('row_checked', 'customer_id', 'duplicate customer_id', 'older version of customer_id') }}
),

checked as (
    select
        row_checked.customer_id,
        {%- for attribute in attributes %}
        row_checked.{{ attribute.name }},
        {%- endfor %}
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
