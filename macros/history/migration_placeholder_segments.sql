{% macro migration_placeholder_segments() %}
    {#- The segment names fct_segment_migrations gives a customer missing from one of the two snapshots:
        `new` before they were first scored, `gone` after they left the customer data. They must never
        name a real segment (data-tests/segment_definitions_leave_placeholders_free.sql). -#}
    {{- return({'before_first_snapshot': 'new', 'after_leaving': 'gone'}) -}}
{% endmacro %}
