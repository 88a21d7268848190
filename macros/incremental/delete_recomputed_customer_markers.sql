{% macro delete_recomputed_customer_markers(marker_column) %}
    {#-
        Post-hook of an incremental model that adds recomputed_customer_markers: deletes the marker rows,
        told apart by `marker_column` (never null in a real row) being null. Only where the model is
        incremental: Spark's tables (rebuilt every run) cannot delete rows, and hold no markers.
    -#}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ marker_column }} is null
    {%- endif -%}
{%- endmacro %}
