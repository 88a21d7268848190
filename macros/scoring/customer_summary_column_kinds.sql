{% macro customer_summary_column_kinds() %}
    {#- The columns of int_customers_summarized that a lead scoring rule or a criterion of the composite may
        name, by kind (text, boolean or number): one list for both, so a column the summary gains is offered
        to both. -#}
    {{ return({
        'country': 'text', 'gender': 'text', 'acquisition_channel': 'text',
        'has_purchased': 'boolean',
        'birth_year': 'number', 'tenure_days': 'number', 'order_count': 'number', 'purchase_count': 'number',
        'refunded_order_count': 'number', 'cancelled_order_count': 'number', 'lifetime_revenue': 'number',
        'average_order_value': 'number', 'recency_days': 'number', 'frequency': 'number', 'monetary': 'number',
        'event_count': 'number', 'page_view_count': 'number', 'add_to_cart_count': 'number',
        'email_open_count': 'number', 'email_click_count': 'number', 'latest_nps_score': 'number',
    }) }}
{% endmacro %}
