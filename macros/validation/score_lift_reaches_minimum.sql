{% macro score_lift_reaches_minimum(top_decile_outcome_rate, bottom_decile_outcome_rate) %}
    {#- A validated score's top decile shows its outcome at least `min_score_lift` times as often as its bottom
        decile (and at all): a bottom decile that never shows it passes, since the score then separates fully. -#}
    {%- set min_lift = scorehouse.numeric_var('min_score_lift', 0, 1000000) -%}
    ({{ top_decile_outcome_rate }} > 0 and {{ top_decile_outcome_rate }} >= {{ min_lift }} * {{ bottom_decile_outcome_rate }})
{%- endmacro %}
