{% macro lead_scoring_rules(rules_relation, groups_relation) %}
    {#- The rules of the lead_scoring_rules seed, each checked against what the warehouse offers; a rule that
        cannot be applied stops the build with one sentence naming the rule, the column and the allowed
        values. Returns one dict per rule (rule_id, rule_type and, for attribute rules, `condition`: SQL on
        the columns of int_customers_summarized). The seeds are read when the model runs, so nothing is
        returned at parse time, nor before the seeds are loaded (dbt compile on a fresh clone; a build loads
        them before the models that read them). -#}
    {%- if not execute or load_relation(rules_relation) is none or load_relation(groups_relation) is none -%}
        {{- return([]) -}}
    {%- endif -%}

    {%- set attribute_kinds = scorehouse.customer_summary_column_kinds() -%}
    {%- set operators = ['=', '!=', '<', '<=', '>', '>=', 'in'] -%}
    {%- set kind_operators = {
        'number': operators,
        'text': ['=', '!=', 'in'],
        'boolean': ['=', '!='],
    } -%}
    {#- the event types of stg_shop__events, and purchases from stg_shop__orders -#}
    {%- set behaviours = ['page_view', 'add_to_cart', 'email_open', 'email_click', 'purchase'] -%}
    {%- set rule_types = ['attribute', 'behaviour'] -%}
    {%- set number_pattern = '^-?[0-9]+(\\.[0-9]+)?$' -%}

    {%- set group_names = [] -%}
    {%- for group in run_query('select rule_group, max_points from ' ~ groups_relation ~ ' order by rule_group').rows -%}
        {%- if group['max_points'] is not none and group['max_points'] <= 0 -%}
            {{ exceptions.raise_compiler_error(
                "lead_scoring_groups group '" ~ group['rule_group'] ~ "': max_points must be above 0, or empty for no cap, got " ~ group['max_points']
            ) }}
        {%- endif -%}
        {%- do group_names.append(group['rule_group']) -%}
    {%- endfor -%}

    {%- set rules = [] -%}
    {%- set rule_rows = run_query(
        'select rule_id, rule_group, rule_type, attribute, operator, value, points, decay_per_day from '
        ~ rules_relation ~ ' order by rule_id'
    ).rows -%}
    {%- for row in rule_rows -%}
        {%- set rule_id = row['rule_id'] or '' -%}
        {%- set rule_type = row['rule_type'] or '' -%}
        {%- set attribute = row['attribute'] or '' -%}
        {%- set operator = row['operator'] or '' -%}
        {%- set value = (row['value'] or '') | trim -%}
        {%- set values = value.split('|') | map('trim') | list if operator == 'in' else [value] -%}
        {%- set kind = attribute_kinds.get(attribute) -%}
        {%- set shown = {} -%}
        {#- text as written, in quotes, for the error messages -#}
        {%- for column in ['rule_group', 'rule_type', 'attribute', 'operator', 'value'] -%}
            {%- do shown.update({column: 'nothing' if row[column] is none else '"' ~ row[column] ~ '"'}) -%}
        {%- endfor -%}
        {%- set non_numbers = [] -%}
        {%- set quoted = [] -%}
        {%- for item in values -%}
            {%- if not modules.re.match(number_pattern, item) -%}
                {%- do non_numbers.append(item) -%}
            {%- endif -%}
            {#- text values become SQL string literals, whose escapes differ between warehouses -#}
            {%- if "'" in item or "\\" in item -%}
                {%- do quoted.append(item) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set problem = none -%}

        {%- if not modules.re.match('^[A-Za-z0-9_-]+$', rule_id) -%}
            {%- set problem = 'rule_id may hold only letters, digits, _ and -' -%}
        {%- elif row['rule_group'] not in group_names -%}
            {%- set problem = 'rule_group must be one of the groups of lead_scoring_groups (' ~ (group_names | sort | join(', ')) ~ '), got ' ~ shown['rule_group'] -%}
        {%- elif rule_type not in rule_types -%}
            {%- set problem = 'rule_type must be one of ' ~ (rule_types | join(', ')) ~ ', got ' ~ shown['rule_type'] -%}
        {%- elif row['points'] is none or row['points'] <= 0 -%}
            {%- set problem = 'points must be a number above 0, got ' ~ (row['points'] if row['points'] is not none else 'nothing') -%}

        {%- elif rule_type == 'behaviour' and attribute not in behaviours -%}
            {%- set problem = 'attribute of a behaviour rule must be one of ' ~ (behaviours | join(', ')) ~ ', got ' ~ shown['attribute'] -%}
        {%- elif rule_type == 'behaviour' and (operator or value) -%}
            {%- set problem = 'operator and value must be empty for a behaviour rule: every ' ~ attribute ~ ' earns its points' -%}
        {%- elif rule_type == 'behaviour' and row['decay_per_day'] is not none and row['decay_per_day'] < 0 -%}
            {%- set problem = 'decay_per_day must be 0 or more, or empty for no decay, got ' ~ row['decay_per_day'] -%}

        {%- elif rule_type == 'attribute' and kind is none -%}
            {%- set problem = 'attribute of an attribute rule must be one of ' ~ (attribute_kinds.keys() | sort | join(', ')) ~ ', got ' ~ shown['attribute'] -%}
        {%- elif rule_type == 'attribute' and row['decay_per_day'] is not none -%}
            {%- set problem = 'decay_per_day must be empty for an attribute rule, which fires once; only behaviour rules decay' -%}
        {%- elif rule_type == 'attribute' and operator not in operators -%}
            {%- set problem = 'operator must be one of ' ~ (operators | join(', ')) ~ ', got ' ~ shown['operator'] -%}
        {%- elif rule_type == 'attribute' and operator not in kind_operators[kind] -%}
            {%- set problem = 'operator ' ~ operator ~ ' does not apply to the ' ~ kind ~ ' attribute ' ~ attribute ~ '; use one of ' ~ (kind_operators[kind] | join(', ')) -%}
        {%- elif rule_type == 'attribute' and '' in values -%}
            {%- set problem = 'value must not be empty' ~ (' (in takes values separated by |)' if operator == 'in' else '') -%}
        {%- elif kind == 'number' and non_numbers -%}
            {%- set problem = 'value must be a number such as 30 or 4.5 for the attribute ' ~ attribute ~ ', got ' ~ shown['value'] -%}
        {%- elif kind == 'boolean' and value not in ['true', 'false'] -%}
            {%- set problem = 'value must be true or false for the attribute ' ~ attribute ~ ', got ' ~ shown['value'] -%}
        {%- elif kind == 'text' and quoted -%}
            {%- set problem = 'value must not contain quotes or backslashes, got ' ~ shown['value'] -%}
        {%- endif -%}

        {%- if problem -%}
            {{ exceptions.raise_compiler_error("lead_scoring_rules rule '" ~ rule_id ~ "': " ~ problem) }}
        {%- endif -%}
        {%- if rule_type == 'attribute' -%}
            {%- do rules.append({'rule_id': rule_id, 'rule_type': rule_type, 'condition': scorehouse.lead_rule_condition(attribute, kind, operator, values)}) -%}
        {%- else -%}
            {%- do rules.append({'rule_id': rule_id, 'rule_type': rule_type}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(rules) -}}
{% endmacro %}
