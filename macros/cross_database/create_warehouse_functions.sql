{% macro create_warehouse_functions() %}
    {#- SQL creating the functions the models need where the warehouse lacks them
        (empty where nothing is missing); prepare_run runs it. -#}
    {{- return(adapter.dispatch('create_warehouse_functions', 'scorehouse')()) -}}
{% endmacro %}

{% macro default__create_warehouse_functions() %}
{% endmacro %}

{% macro postgres__create_warehouse_functions() %}
    {#- try_cast(text, sample): the text read as the sample's type, or null when that type's input function
        rejects it (PL/pgSQL assignment runs the input function; the handler turns its error into null).
        Dates and timestamps must be ISO 8601, as the input contract says, with an optional UTC offset (Z,
        +05, +05:30, +0530): PostgreSQL alone would also read 'now' or 'Jan 5 2025', which the other
        warehouses reject. -#}
    create schema if not exists {{ target.schema }};
    create or replace function {{ target.schema }}.try_cast(value text, sample anyelement)
    returns anyelement
    language plpgsql
    immutable
    as $function$
    declare
        result alias for $0;
    begin
        if pg_typeof(sample) in ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
            and value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$' then
            return null;
        end if;
        result := value;
        return result;
    exception when others then
        return null;
    end
    $function$
{% endmacro %}
