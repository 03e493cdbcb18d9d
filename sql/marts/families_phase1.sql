-- families.csv for Phase 1 (data contract section 3, rules.md "Status"): one row per family
-- in families_base, a 0/1 column per criterion, criteria_met counting criteria 1-3, and
--   automatic      crime_asb, education and work all met
--   discretionary  exactly two of them met and local_discretion met
--   candidate      exactly two of them met, no local discretion
--   not_eligible   otherwise.
-- Extras: evidence_summary (the first items behind each met criterion) and
-- missing_extracts (absent optional extracts feeding a switched-on indicator, so a 0 there
-- means "not known" rather than "not met").

with

base as (
    select
        fb.family_id,
        fb.district,
        fb.members
    from families_base as fb
),

criteria as (
    select
        c.criterion,
        c.position
    from (values
        ('crime_asb', 1),
        ('education', 2),
        ('work', 3),
        ('local_discretion', 4)
    ) as c(criterion, position)
),

programme_flags as (
    select
        f.family_id,
        f.criterion,
        f.met
    from flags as f
    where f.programme = 'phase1'
),

pivoted as (
    select
        pf.family_id,
        max(case when pf.criterion = 'crime_asb' and pf.met then 1 else 0 end) as crime_asb,
        max(case when pf.criterion = 'education' and pf.met then 1 else 0 end) as education,
        max(case when pf.criterion = 'work' and pf.met then 1 else 0 end) as work,
        max(case when pf.criterion = 'local_discretion' and pf.met then 1 else 0 end)
            as local_discretion
    from programme_flags as pf
    group by pf.family_id
),

numbered_evidence as (
    select
        fe.family_id,
        fe.criterion,
        fe.detail,
        row_number() over criterion_items as item_number,
        count(*) over (partition by fe.family_id, fe.criterion) as item_count
    from family_evidence as fe
    window criterion_items as (
        partition by fe.family_id, fe.criterion
        order by fe.event_date, fe.source, fe.record_id, fe.detail
    )
),

criterion_lines as (
    select
        ne.family_id,
        ne.criterion,
        ne.criterion || ': '
            || string_agg(ne.detail, ', ' order by ne.item_number)
                filter (where ne.item_number <= 2)
            || case when max(ne.item_count) > 2
                then format(' (+{} more)', max(ne.item_count) - 2) else '' end as line
    from numbered_evidence as ne
    group by ne.family_id, ne.criterion
),

summaries as (
    select
        cl.family_id,
        string_agg(cl.line, ' | ' order by c.position) as evidence_summary
    from criterion_lines as cl
    inner join criteria as c on c.criterion = cl.criterion
    group by cl.family_id
),

extract_feeds as (
    select
        ef.extract,
        ef.indicator
    from (values
        ('health', 'substance_misuse'),
        ('health', 'health_problems'),
        ('social_care', 'child_protection_plan')
    ) as ef(extract, indicator)
),

missing as (
    select
        string_agg(distinct es.extract, ', ' order by es.extract) as missing_extracts
    from extract_status as es
    inner join extract_feeds as ef on ef.extract = es.extract
    where not es.present
      and list_contains($discretion_indicators, ef.indicator)
),

scored as (
    select
        b.family_id,
        b.district,
        b.members,
        coalesce(p.crime_asb, 0) as crime_asb,
        coalesce(p.education, 0) as education,
        coalesce(p.work, 0) as work,
        coalesce(p.local_discretion, 0) as local_discretion,
        coalesce(p.crime_asb, 0) + coalesce(p.education, 0) + coalesce(p.work, 0)
            as criteria_met,
        s.evidence_summary,
        m.missing_extracts
    from base as b
    left join pivoted as p on p.family_id = b.family_id
    left join summaries as s on s.family_id = b.family_id
    cross join missing as m
),

final as (
    select
        sc.family_id,
        sc.district,
        sc.members,
        sc.crime_asb,
        sc.education,
        sc.work,
        sc.local_discretion,
        sc.criteria_met,
        case
            when sc.criteria_met = 3 then 'automatic'
            when sc.criteria_met = 2 and sc.local_discretion = 1 then 'discretionary'
            when sc.criteria_met = 2 then 'candidate'
            else 'not_eligible'
        end as status,
        sc.evidence_summary,
        sc.missing_extracts
    from scored as sc
    order by sc.family_id
)

select * from final
