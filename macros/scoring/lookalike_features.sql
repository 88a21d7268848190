{% macro lookalike_engagement_event_types() %}
    {#- The event types whose counts are lookalike features (int_customer_lookalike_features). -#}
    {{- return(['page_view', 'add_to_cart', 'email_open', 'email_click']) -}}
{% endmacro %}

{% macro lookalike_feature_columns() %}
    {#- The feature columns of int_customer_lookalike_features, each a text value never null: the acquisition
        channel, and the banded count of each engagement event type. -#}
    {%- set columns = ['acquisition_channel'] -%}
    {%- for event_type in scorehouse.lookalike_engagement_event_types() -%}
        {%- do columns.append(event_type ~ '_count') -%}
    {%- endfor -%}
    {{- return(columns) -}}
{% endmacro %}
