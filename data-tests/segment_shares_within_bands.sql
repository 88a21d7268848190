-- Every segment that segment_share_bands names holds a share of all customers within its band: a share
-- outside it stops the refresh before anything is published. Returns the segments outside their band, and
-- those the summary lacks (with a null share).
{%- set bands = scorehouse.segment_share_bands() %}

with

fct_segment_summary as (
    select * from {{ ref('fct_segment_summary') }}
),

bands as (
    {% for segment_name, band in bands.items() %}
    select
        {{ dbt.string_literal(segment_name) }} as segment_name,
        {{ band[0] }} as min_share,
        {{ band[1] }} as max_share
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select
        {{ dbt.string_literal('') }} as segment_name,
        0 as min_share,
        1 as max_share
    where 1 = 0
    {% endfor %}
),

segments_outside_their_band as (
    select
        bands.segment_name,
        fct_segment_summary.customer_share,
        bands.min_share,
        bands.max_share
    from bands
    left join fct_segment_summary
        on bands.segment_name = fct_segment_summary.segment_name
    where fct_segment_summary.customer_share is null
        or fct_segment_summary.customer_share < bands.min_share
        or fct_segment_summary.customer_share > bands.max_share
)

select * from segments_outside_their_band
