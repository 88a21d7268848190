-- The distribution of the composite score in bins of `composite_score_bin_width` points, empty bins
-- included, for the report's histogram and BI. The last bin also holds the top score, 100.
{%- set bin_width = numeric_var('composite_score_bin_width', 1, 100, whole_number=true) %}
{%- set bin_count = (100 + bin_width - 1) // bin_width %}

with

customer_scores as (
    select * from {{ ref('fct_customer_scores') }}
),

score_bins as (
    {%- for bin_index in range(bin_count) %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select {{ bin_index }} as bin_index
    {%- endfor %}
),

binned_customers as (
    select
        -- at 1e-9 precision, so a score of 30 computed as 29.999999999999996 falls in the bin from 30
        least(
            cast(floor(cast(composite_score as decimal(38, 9)) / {{ bin_width }}) as {{ dbt.type_int() }}),
            {{ bin_count - 1 }}
        ) as bin_index
    from customer_scores
    where composite_score is not null
),

bin_counts as (
    select
        bin_index,
        count(*) as customer_count
    from binned_customers
    group by bin_index
),

histogram as (
    select
        score_bins.bin_index,
        score_bins.bin_index * {{ bin_width }} as bin_start_score,
        case
            when score_bins.bin_index = {{ bin_count - 1 }} then 100
            else (score_bins.bin_index + 1) * {{ bin_width }}
        end as bin_end_score,
        {{ date_literal(as_of_date()) }} as as_of_date,
        coalesce(bin_counts.customer_count, 0) as customer_count
    from score_bins
    left join bin_counts
        on score_bins.bin_index = bin_counts.bin_index
)

select * from histogram
