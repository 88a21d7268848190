{% macro passed_data_tests_relation() %}
    {#- Where a build records the passes of the tests that start from their last pass
        (unique_since_last_pass, relationships_since_last_pass): one row per test and invocation, at the
        invocation's start. Spark rebuilds its incremental models in full on every run, so there every row
        is new anyway and nothing is recorded. -#}
    {{- return(none if target.type == 'spark' else api.Relation.create(
        database=target.database, schema=target.schema, identifier='passed_data_tests'
    )) -}}
{% endmacro %}

{% macro create_passed_data_tests() %}
    {#- The record of passed data tests (see passed_data_tests_relation), created once by prepare_run. -#}
    {%- set relation = scorehouse.passed_data_tests_relation() -%}
    {%- if relation is not none -%}
        create table if not exists {{ relation }} (
            test_id {{ dbt.type_string() }},
            passed_at {{ api.Column.translate_type('timestamp') }}
        );
    {%- endif -%}
{% endmacro %}

{% macro last_pass_of_this_test(tested_relation, stamp_column) %}
    {#- When the data test being compiled last passed, as a timestamp literal: rows of `tested_relation`
        whose `stamp_column` (when the row was last written) is at or before then were tested then. None when
        it never passed (or on Spark), and when every row was written since (a full rebuild), which the
        test's plain form over all rows reads faster. -#}
    {%- set record = scorehouse.passed_data_tests_relation() -%}
    {#- like is_incremental(): a warehouse without the record or the tested table (dbt compile on a fresh
        clone) has no pass to start from -#}
    {%- if not execute or record is none or load_relation(record) is none or load_relation(tested_relation) is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set row = run_query(
        "select max(passed_at) as last_pass, (select min(" ~ stamp_column ~ ") from " ~ tested_relation ~ ") as first_written"
        ~ " from " ~ record ~ " where test_id = '" ~ model.unique_id ~ "'"
    ).rows[0] -%}
    {%- if row['last_pass'] is none or row['first_written'] is none or row['first_written'] > row['last_pass'] -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return("cast('" ~ row['last_pass'].strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as "
        ~ api.Column.translate_type('timestamp') ~ ")") -}}
{% endmacro %}

{% macro record_passed_data_tests(results) %}
    {#- on-run-end: records the passes of the tests that look only at rows written since their last pass
        (unique_since_last_pass, relationships_since_last_pass), so their next run knows where to start. -#}
    {%- set relation = scorehouse.passed_data_tests_relation() -%}
    {%- set passed_ids = [] -%}
    {%- for result in results
        if result.status == 'pass' and result.node.resource_type == 'test'
            and (result.node.test_metadata.name if result.node.test_metadata else '')
                in ['unique_since_last_pass', 'relationships_since_last_pass'] -%}
        {%- do passed_ids.append(result.node.unique_id) -%}
    {%- endfor -%}
    {%- if relation is not none and passed_ids -%}
        insert into {{ relation }} (test_id, passed_at)
        {%- for test_id in passed_ids %}
        select '{{ test_id }}', {{ scorehouse.run_started_timestamp() }}{{ ' union all' if not loop.last }}
        {%- endfor %}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}
