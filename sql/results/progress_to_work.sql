-- Phase 1 result progress_to_work: an adult member (aged $adult_age or more at T) started
-- the Work Programme or ESF provision (a dwp_employment work_programme_start or esf_start)
-- in the last $progress_to_work_months months, (T - N months, T]. achieved_on is the
-- earliest such start. Whether it can still be paid (not once continuous_employment has
-- been) is the claims ledger's business (marts/results.sql).
-- Wording, source and cases: progress_to_work.yml. Grain: one row per programme family.

with

attachment as (
    select
        fa.family_id
    from int_family_attachment as fa
),

adults as (
    select
        ad.family_id,
        ad.person_id
    from int_family_adults__attached as ad
),

starts as (
    select e.*
    from int_member_events__employment as e
    inner join adults as ad on ad.family_id = e.family_id and ad.person_id = e.person_id
    where e.event_type in ('work_programme_start', 'esf_start')
      and e.event_date > cast($as_of - to_months($progress_to_work_months) as date)
      and e.event_date <= $as_of
),

per_family as (
    select
        s.family_id,
        min(s.event_date) as achieved_on,
        list(
            {
                'source': s.source,
                'record_id': s.record_id,
                'person_id': s.person_id,
                'event_date': s.event_date,
                'value': s.event_type
            }
            order by s.event_date, s.record_id
        ) as evidence
    from starts as s
    group by s.family_id
),

final as (
    select
        a.family_id,
        'progress_to_work' as result,
        pf.family_id is not null as achieved,
        pf.achieved_on,
        case
            when pf.family_id is not null then format(
                'Work Programme or ESF start on {}', strftime(pf.achieved_on, '%Y-%m-%d')
            )
            else format('no Work Programme or ESF start in the last {} months', $progress_to_work_months)
        end as detail,
        coalesce(pf.evidence, []) as evidence
    from attachment as a
    left join per_family as pf on pf.family_id = a.family_id
)

select * from final
