-- Every customer's cross-sell standing for BI: whether they are a candidate, how many categories they have
-- bought, and the first category to offer them.
with

qualified_customers as (
    select * from {{ ref('int_customers_cross_sell_qualified') }}
),

recommendations as (
    select * from {{ ref('fct_cross_sell_recommendations') }}
),

recommendation_counts as (
    select
        customer_id,
        count(*) as recommended_category_count
    from recommendations
    group by customer_id
),

top_recommendations as (
    select
        customer_id,
        category as top_recommended_category,
        category_penetration as top_category_penetration
    from recommendations
    where recommendation_rank = 1
),

joined as (
    select
        qualified_customers.customer_id,
        qualified_customers.as_of_date,
        qualified_customers.segment_name,
        qualified_customers.frequency_score,
        qualified_customers.monetary_score,
        qualified_customers.segment_frequency_monetary_score,
        qualified_customers.categories_bought_count,
        qualified_customers.is_cross_sell_candidate,
        coalesce(recommendation_counts.recommended_category_count, 0) as recommended_category_count,
        top_recommendations.top_recommended_category,
        top_recommendations.top_category_penetration
    from qualified_customers
    left join recommendation_counts
        on qualified_customers.customer_id = recommendation_counts.customer_id
    left join top_recommendations
        on qualified_customers.customer_id = top_recommendations.customer_id
)

select * from joined
