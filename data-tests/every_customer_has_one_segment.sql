-- Every customer known on the as-of date appears exactly once in dim_customer_segments, and nobody else.
-- Returns the customers for whom that does not hold.
with

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

segment_rows_per_customer as (
    select
        customer_id,
        count(*) as segment_rows
    from customer_segments
    group by customer_id
),

mismatches as (
    select
        coalesce(customers.customer_id, segment_rows_per_customer.customer_id) as customer_id,
        coalesce(segment_rows_per_customer.segment_rows, 0) as segment_rows,
        customers.customer_id is not null as is_known_customer
    from customers
    full outer join segment_rows_per_customer
        on customers.customer_id = segment_rows_per_customer.customer_id
    where customers.customer_id is null
        or segment_rows_per_customer.segment_rows is distinct from 1
)

select * from mismatches
