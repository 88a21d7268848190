{% macro generate_schema_name(custom_schema_name, node) %}
    {#- Folder schemas (staging, intermediate, marts, reference) are used as named, so BI tools and the
        loader find stable names; nodes without one use the target's schema. -#}
    {{- (custom_schema_name or target.schema) | trim -}}
{% endmacro %}
