-- Which customers are cross-sell candidates: buyers with a high FM score on the segment grid who have
-- bought in few product categories.
{%- set settings = cross_sell_settings() %}

with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customer_categories as (
    select * from {{ ref('int_customer_categories_summarized') }}
),

category_counts as (
    select
        customer_id,
        count(*) as categories_bought_count
    from customer_categories
    group by customer_id
),

qualified as (
    select
        customer_segments.customer_id,
        customer_segments.as_of_date,
        customer_segments.segment_name,
        customer_segments.frequency_score,
        customer_segments.monetary_score,
        customer_segments.segment_frequency_monetary_score,
        coalesce(category_counts.categories_bought_count, 0) as categories_bought_count,
        -- prospects have no FM score; a buyer without a categorised item tells nothing about what they buy
        coalesce(
            customer_segments.segment_frequency_monetary_score >= {{ settings.min_frequency_monetary_score }}
            and category_counts.categories_bought_count <= {{ settings.max_categories }},
            false
        ) as is_cross_sell_candidate
    from customer_segments
    left join category_counts
        on customer_segments.customer_id = category_counts.customer_id
)

select * from qualified
