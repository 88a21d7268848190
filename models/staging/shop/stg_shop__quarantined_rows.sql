-- Raw rows that break the input contract, one row each, with the reason and where they came from.
{%- set checked_models = [
    ('customers', 'stg_shop__customers_checked', 'customer_id'),
    ('orders', 'stg_shop__orders_checked', 'order_id'),
    ('order_items', 'stg_shop__order_items_checked', 'order_id'),
    ('events', 'stg_shop__events_checked', 'customer_id'),
    ('nps_responses', 'stg_shop__nps_responses_checked', 'customer_id'),
    ('campaign_sends', 'stg_shop__campaign_sends_checked', 'customer_id'),
    ('campaign_responses', 'stg_shop__campaign_responses_checked', 'customer_id'),
    ('customer_attributes', 'stg_shop__customer_attributes_checked', 'customer_id'),
] %}

with

{% for source_table, checked_model, record_key_column in checked_models %}
{{ source_table }}_quarantined as (
    select
        '{{ source_table }}' as source_table,
        source_file,
        source_row_number,
        {{ record_key_column }} as record_key,
        quarantine_reason,
        loaded_at
    from {{ ref(checked_model) }}
    where quarantine_reason is not null
),

{% endfor %}
quarantined as (
    {% for source_table, _, _ in checked_models %}
    select * from {{ source_table }}_quarantined
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from quarantined
