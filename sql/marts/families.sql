-- families.csv (data contract section 3): each family of family_status with one 0/1 column
-- per criterion of the run's programme, in column order (programme_criteria), pivoted from
-- `flags`. Adding a criterion to the programme adds its column here by itself.
-- No parameters: DuckDB runs a PIVOT over a subquery as several statements, which cannot
-- take any (the status and its counts are worked out in family_status).

with

criterion_flags as (
    select
        fs.family_id,
        pc.criterion,
        cast(coalesce(f.met, false) as integer) as met
    from family_status as fs
    cross join programme_criteria as pc
    left join flags as f
        on f.family_id = fs.family_id and f.criterion = pc.criterion and f.programme = pc.programme
),

pivoted as (
    pivot criterion_flags
    on criterion in (select pc.criterion from programme_criteria as pc order by pc.position)
    using max(met)
    group by family_id
),

final as (
    select
        fs.family_id,
        fs.district,
        fs.members,
        pv.* exclude (family_id),
        fs.criteria_met,
        fs.status,
        fs.evidence_summary,
        fs.missing_extracts
    from family_status as fs
    inner join pivoted as pv on pv.family_id = fs.family_id
    order by fs.family_id
)

select * from final
