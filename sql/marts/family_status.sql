-- Each judged family's status (data contract section 3; rules.md "Status"), read from
-- `flags` (this run's criteria) and `programme_criteria` (the run's programme: its criteria
-- in families.csv column order and which are headline criteria; cohort.core.programmes):
--   criteria_met   the headline criteria met (Phase 1: criteria 1-3; Phase 2: all six)
--   automatic      criteria_met >= $automatic_min (Phase 1: 3; Phase 2: 2)
--   discretionary  criteria_met >= $candidate_min and a non-headline indicator met
--                  (Phase 1: two of criteria 1-3 and local discretion)
--   candidate      criteria_met >= $candidate_min (Phase 1: 2; Phase 2: 1)
--   not_eligible   otherwise.
-- Extras: evidence_summary (the first items behind each met criterion, in column order) and
-- missing_extracts (absent optional extracts that a criterion, or a switched-on indicator,
-- reads, so a 0 there means "not known" rather than "not met"; `extract_feeds` comes from
-- the criteria's .yml and the extract registry).
-- Grain: one row per family judged (int_families__as_of).

with

base as (
    select
        fb.family_id,
        fb.district,
        fb.members
    from families_base as fb
    inner join int_families__as_of as fd on fd.family_id = fb.family_id
),

criteria as (
    select
        pc.programme,
        pc.criterion,
        pc.position,
        pc.headline
    from programme_criteria as pc
),

counted as (
    select
        f.family_id,
        cast(count(*) filter (where f.met and c.headline) as integer) as criteria_met,
        coalesce(bool_or(f.met and not c.headline), false) as indicator_met
    from flags as f
    inner join criteria as c on c.programme = f.programme and c.criterion = f.criterion
    group by f.family_id
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

missing as (
    select
        string_agg(distinct ef.extract, ', ' order by ef.extract) as missing_extracts
    from extract_feeds as ef
    inner join extract_status as es on es.extract = ef.extract
    where not es.present
      and ef.optional
      and (ef.indicator is null or list_contains($discretion_indicators, ef.indicator))
),

final as (
    select
        b.family_id,
        b.district,
        b.members,
        coalesce(ct.criteria_met, 0) as criteria_met,
        case
            when coalesce(ct.criteria_met, 0) >= $automatic_min then $status_automatic
            when coalesce(ct.criteria_met, 0) >= $candidate_min and ct.indicator_met
                then $status_discretionary
            when coalesce(ct.criteria_met, 0) >= $candidate_min then $status_candidate
            else $status_not_eligible
        end as status,
        s.evidence_summary,
        m.missing_extracts
    from base as b
    left join counted as ct on ct.family_id = b.family_id
    left join summaries as s on s.family_id = b.family_id
    cross join missing as m
    order by b.family_id
)

select * from final
