{#
    The latest delivered version of each key in a raw table: raw is append-only, and a newer
    file may deliver a key again (a corrected customer, a document now disputed). Ties on the
    load time fall to the later file, then the later record in that file.
    row_number in a subquery rather than `qualify`, so the SQL runs on other engines too.
#}
{% macro keep_latest_version(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _loaded_at desc, _source_file desc, _source_row desc
            ) as version_rank
        from {{ relation }}
    ) as versions
    where version_rank = 1
{%- endmacro %}
