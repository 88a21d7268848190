-- Population stability index (PSI) of each score's distribution over purchasers, between every as-of date in
-- the history up to the run's and the as-of date before it:
-- PSI = sum over bins of (actual share - expected share) * ln(actual share / expected share),
-- where the expected shares are the earlier date's. A bin empty on one date counts as `empty_bin_share`
-- there, so the logarithm is defined; a bin empty on both dates adds nothing.
{%- set empty_bin_share = 0.0001 %}
{%- set composite_bin_width = 10 %}
{%- set composite_bin_count = 10 %}
{#- score name -> the bin of a customer's score: R, F and M by their bucket, the 0-100 composite score in
    10 bins of width 10, with 100 in the top bin. The composite is cast to 9 decimals first so a score that
    floating point renders as 29.999999999999996 lands in the bin of 30. #}
{%- set score_bins = {
    'recency_score': 'recency_score',
    'frequency_score': 'frequency_score',
    'monetary_score': 'monetary_score',
    'composite_score': 'least(cast(floor(cast(composite_score as decimal(38, 9)) / ' ~ composite_bin_width
        ~ ') as ' ~ dbt.type_int() ~ '), ' ~ (composite_bin_count - 1) ~ ')',
} %}

with

score_history as (
    select * from {{ ref('fct_customer_score_history') }}
),

history_as_of as (
    select * from score_history
    where as_of_date <= {{ date_literal(as_of_date()) }}
),

snapshot_dates as (
    select distinct as_of_date from history_as_of
),

consecutive_dates as (
    select
        as_of_date,
        -- dates are distinct, so the order needs no tie-break
        lag(as_of_date) over (
            order by as_of_date
        ) as previous_as_of_date
    from snapshot_dates
),

score_names as (
    {%- for score_name in score_bins %}
    select '{{ score_name }}' as score_name
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

purchaser_bins as (
    {%- for score_name, bin_expression in score_bins.items() %}
    select
        as_of_date,
        '{{ score_name }}' as score_name,
        {{ bin_expression }} as score_bin
    from history_as_of
    where has_purchased
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

bin_counts as (
    select
        as_of_date,
        score_name,
        score_bin,
        count(*) as customer_count
    from purchaser_bins
    group by as_of_date, score_name, score_bin
),

population_sizes as (
    select
        as_of_date,
        score_name,
        cast(sum(customer_count) as {{ dbt.type_bigint() }}) as customer_count
    from bin_counts
    group by as_of_date, score_name
),

actual_bins as (
    select
        consecutive_dates.as_of_date,
        bin_counts.score_name,
        bin_counts.score_bin,
        bin_counts.customer_count
    from consecutive_dates
    inner join bin_counts
        on consecutive_dates.as_of_date = bin_counts.as_of_date
),

expected_bins as (
    select
        consecutive_dates.as_of_date,
        bin_counts.score_name,
        bin_counts.score_bin,
        bin_counts.customer_count
    from consecutive_dates
    inner join bin_counts
        on consecutive_dates.previous_as_of_date = bin_counts.as_of_date
),

compared_bins as (
    select
        coalesce(actual_bins.as_of_date, expected_bins.as_of_date) as as_of_date,
        coalesce(actual_bins.score_name, expected_bins.score_name) as score_name,
        coalesce(actual_bins.customer_count, 0) as actual_count,
        coalesce(expected_bins.customer_count, 0) as expected_count
    from actual_bins
    full outer join expected_bins
        on actual_bins.as_of_date = expected_bins.as_of_date
        and actual_bins.score_name = expected_bins.score_name
        and actual_bins.score_bin = expected_bins.score_bin
),

bin_shares as (
    select
        compared_bins.as_of_date,
        compared_bins.score_name,
        case
            when compared_bins.actual_count = 0 then {{ empty_bin_share }}
            else cast(compared_bins.actual_count as {{ type_double() }}) / actual_sizes.customer_count
        end as actual_share,
        case
            when compared_bins.expected_count = 0 then {{ empty_bin_share }}
            else cast(compared_bins.expected_count as {{ type_double() }}) / expected_sizes.customer_count
        end as expected_share
    from compared_bins
    inner join consecutive_dates
        on compared_bins.as_of_date = consecutive_dates.as_of_date
    inner join population_sizes as actual_sizes
        on compared_bins.as_of_date = actual_sizes.as_of_date
        and compared_bins.score_name = actual_sizes.score_name
    inner join population_sizes as expected_sizes
        on consecutive_dates.previous_as_of_date = expected_sizes.as_of_date
        and compared_bins.score_name = expected_sizes.score_name
),

bin_terms as (
    select
        as_of_date,
        score_name,
        -- each term is >= 0; summed at 1e-12 precision: a float sum depends on the order rows arrive in, an
        -- exact one does not, so a rerun on the same data gives the same bytes
        cast(
            (actual_share - expected_share) * ln(actual_share / expected_share) as decimal(38, 12)
        ) as stability_term
    from bin_shares
),

stability_indexes as (
    select
        as_of_date,
        score_name,
        -- a double, which every warehouse compares and prints alike (Spark writes decimal zero as 0E-12)
        cast(sum(stability_term) as {{ type_double() }}) as population_stability_index
    from bin_terms
    group by as_of_date, score_name
),

stability as (
    select
        consecutive_dates.as_of_date,
        score_names.score_name,
        consecutive_dates.previous_as_of_date,
        coalesce(actual_sizes.customer_count, 0) as purchaser_count,
        case
            when consecutive_dates.previous_as_of_date is not null then coalesce(expected_sizes.customer_count, 0)
        end as previous_purchaser_count,
        stability_indexes.population_stability_index
    from consecutive_dates
    cross join score_names
    left join population_sizes as actual_sizes
        on consecutive_dates.as_of_date = actual_sizes.as_of_date
        and score_names.score_name = actual_sizes.score_name
    left join population_sizes as expected_sizes
        on consecutive_dates.previous_as_of_date = expected_sizes.as_of_date
        and score_names.score_name = expected_sizes.score_name
    left join stability_indexes
        on consecutive_dates.as_of_date = stability_indexes.as_of_date
        and score_names.score_name = stability_indexes.score_name
)

select * from stability
