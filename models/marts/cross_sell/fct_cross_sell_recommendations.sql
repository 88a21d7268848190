-- The categories to offer each cross-sell candidate: those bought by the largest share of the customers in
-- their segment, among the categories the candidate has not bought.
{%- set settings = cross_sell_settings() %}

with

qualified_customers as (
    select * from {{ ref('int_customers_cross_sell_qualified') }}
),

customer_categories as (
    select * from {{ ref('int_customer_categories_summarized') }}
),

segment_sizes as (
    select
        segment_name,
        count(*) as segment_customer_count
    from qualified_customers
    group by segment_name
),

segment_category_buyers as (
    select
        qualified_customers.segment_name,
        customer_categories.category,
        count(*) as category_customer_count
    from customer_categories
    inner join qualified_customers
        on customer_categories.customer_id = qualified_customers.customer_id
    group by qualified_customers.segment_name, customer_categories.category
),

segment_category_penetration as (
    select
        segment_category_buyers.segment_name,
        segment_category_buyers.category,
        segment_category_buyers.category_customer_count,
        segment_sizes.segment_customer_count,
        cast(segment_category_buyers.category_customer_count as {{ type_double() }})
        / segment_sizes.segment_customer_count as category_penetration
    from segment_category_buyers
    inner join segment_sizes
        on segment_category_buyers.segment_name = segment_sizes.segment_name
),

candidates as (
    select * from qualified_customers
    where is_cross_sell_candidate
),

categories_not_bought as (
    select
        candidates.customer_id,
        candidates.as_of_date,
        candidates.segment_name,
        candidates.frequency_score,
        candidates.monetary_score,
        candidates.segment_frequency_monetary_score,
        candidates.categories_bought_count,
        segment_category_penetration.category,
        segment_category_penetration.category_customer_count,
        segment_category_penetration.segment_customer_count,
        segment_category_penetration.category_penetration
    from candidates
    inner join segment_category_penetration
        on candidates.segment_name = segment_category_penetration.segment_name
    left join customer_categories
        on candidates.customer_id = customer_categories.customer_id
        and segment_category_penetration.category = customer_categories.category
    where customer_categories.customer_id is null
),

ranked as (
    select
        *,
        -- buyer counts share the candidate's segment size, so they order like the penetration, and
        -- equal shares tie exactly; the category name breaks ties
        row_number() over (
            partition by customer_id
            order by category_customer_count desc, category asc
        ) as recommendation_rank
    from categories_not_bought
),

recommended as (
    select
        customer_id,
        as_of_date,
        segment_name,
        recommendation_rank,
        category,
        category_penetration,
        category_customer_count,
        segment_customer_count,
        frequency_score,
        monetary_score,
        segment_frequency_monetary_score,
        categories_bought_count
    from ranked
    where recommendation_rank <= {{ settings.recommendation_count }}
)

select * from recommended
