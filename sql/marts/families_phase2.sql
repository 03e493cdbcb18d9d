-- families.csv for Phase 2 (data contract section 3, rules.md "Phase 2"): one row per
-- family in families_base, a 0/1 column per headline problem, criteria_met counting the
-- six, and status automatic (two or more), candidate (one) or not_eligible (none).
-- Extras: evidence_summary (the first items behind each met problem) and missing_extracts
-- (absent optional extracts feeding a problem, so a 0 there means "not known").

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
        ('school_attendance', 2),
        ('children_need_help', 3),
        ('worklessness', 4),
        ('domestic_abuse', 5),
        ('health', 6)
    ) as c(criterion, position)
),

programme_flags as (
    select
        f.family_id,
        f.criterion,
        f.met
    from flags as f
    where f.programme = 'phase2'
),

pivoted as (
    select
        pf.family_id,
        max(case when pf.criterion = 'crime_asb' and pf.met then 1 else 0 end) as crime_asb,
        max(case when pf.criterion = 'school_attendance' and pf.met then 1 else 0 end)
            as school_attendance,
        max(case when pf.criterion = 'children_need_help' and pf.met then 1 else 0 end)
            as children_need_help,
        max(case when pf.criterion = 'worklessness' and pf.met then 1 else 0 end)
            as worklessness,
        max(case when pf.criterion = 'domestic_abuse' and pf.met then 1 else 0 end)
            as domestic_abuse,
        max(case when pf.criterion = 'health' and pf.met then 1 else 0 end) as health
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
        ef.criterion
    from (values
        ('social_care', 'children_need_help'),
        ('health', 'health')
    ) as ef(extract, criterion)
),

missing as (
    select
        string_agg(distinct es.extract, ', ' order by es.extract) as missing_extracts
    from extract_status as es
    inner join extract_feeds as ef on ef.extract = es.extract
    where not es.present
),

scored as (
    select
        b.family_id,
        b.district,
        b.members,
        coalesce(p.crime_asb, 0) as crime_asb,
        coalesce(p.school_attendance, 0) as school_attendance,
        coalesce(p.children_need_help, 0) as children_need_help,
        coalesce(p.worklessness, 0) as worklessness,
        coalesce(p.domestic_abuse, 0) as domestic_abuse,
        coalesce(p.health, 0) as health,
        coalesce(p.crime_asb, 0) + coalesce(p.school_attendance, 0)
            + coalesce(p.children_need_help, 0) + coalesce(p.worklessness, 0)
            + coalesce(p.domestic_abuse, 0) + coalesce(p.health, 0) as criteria_met,
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
        sc.school_attendance,
        sc.children_need_help,
        sc.worklessness,
        sc.domestic_abuse,
        sc.health,
        sc.criteria_met,
        case
            when sc.criteria_met >= 2 then 'automatic'
            when sc.criteria_met = 1 then 'candidate'
            else 'not_eligible'
        end as status,
        sc.evidence_summary,
        sc.missing_extracts
    from scored as sc
    order by sc.family_id
)

select * from final
