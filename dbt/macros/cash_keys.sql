{#
    Comparable forms of the values cash application matches on. A payment reference is
    compared without spaces or dots and in upper case (banks print RF and betalingskenmerk
    references in groups); an IBAN without spaces in upper case; a name case-folded with runs
    of white space as one space. Empty gives null, so it never matches.
#}
{% macro reference_key(value) -%}
    nullif(upper(regexp_replace(trim({{ value }}), '[[:space:].]', '', 'g')), '')
{%- endmacro %}

{% macro iban_key(value) -%}
    nullif(upper(regexp_replace({{ value }}, '[[:space:]]', '', 'g')), '')
{%- endmacro %}

{% macro name_key(value) -%}
    nullif(lower(trim(regexp_replace({{ value }}, '[[:space:]]+', ' ', 'g'))), '')
{%- endmacro %}
