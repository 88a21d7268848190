{% macro safe_utc_timestamp(field, delivered_type=none) %}
    {#- A delivered timestamp as a zone-free UTC timestamp, null when unreadable. An offset in the text
        (Z, +05:30) or a Parquet timestamp with a time zone is honoured; text without one is read as UTC,
        the session zone every connection sets (profiles/profiles.yml, PGTZ on PostgreSQL). A column
        delivered as a zone-free timestamp (`delivered_type`, from delivered_column_types) already is
        one. -#}
    {%- if delivered_type in ('timestamp', 'timestamp without time zone') -%}
        {{- return(field) -}}
    {%- endif -%}
    {{- return(adapter.dispatch('safe_utc_timestamp', 'scorehouse')(field)) -}}
{% endmacro %}

{% macro default__safe_utc_timestamp(field) %}
    {#- a plain timestamp cast would drop the offset -#}
    ({{ dbt.safe_cast(field, 'timestamp with time zone') }} at time zone 'UTC')
{%- endmacro %}

{% macro spark__safe_utc_timestamp(field) %}
    {#- Spark's timestamp is an instant: its cast honours the offset and it reads in the session zone, UTC -#}
    {{ dbt.safe_cast(field, api.Column.translate_type('timestamp')) }}
{%- endmacro %}
