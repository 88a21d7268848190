-- Nothing is lost in staging: for every input, raw rows = staged rows + quarantined rows.
-- Returns the inputs where the counts do not reconcile.
{%- set staged_models = {
    'customers': 'stg_shop__customers',
    'orders': 'stg_shop__orders',
    'order_items': 'stg_shop__order_items',
    'events': 'stg_shop__events',
    'nps_responses': 'stg_shop__nps_responses',
    'campaign_sends': 'stg_shop__campaign_sends',
    'campaign_responses': 'stg_shop__campaign_responses',
    'customer_attributes': 'stg_shop__customer_attributes',
} %}

with

quarantined_rows as (
    select * from {{ ref('stg_shop__quarantined_rows') }}
),

row_counts as (
    {% for source_table, staged_model in staged_models.items() %}
    select
        '{{ source_table }}' as source_table,
        (select count(*) from {{ source('shop', source_table) }}) as raw_row_count,
        (select count(*) from {{ ref(staged_model) }}) as staged_row_count,
        (
            select count(*) from quarantined_rows
            where source_table = '{{ source_table }}'
        ) as quarantined_row_count
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from row_counts
where raw_row_count <> staged_row_count + quarantined_row_count
