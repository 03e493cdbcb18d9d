-- Phase 1 result crime_asb_education: every part that is relevant to the family is met,
-- and at least one part is relevant.
--   education  relevant when criterion 2 was met at identification; met when every child
--              had fewer than $fixed_exclusions_min fixed exclusions, unauthorised absence
--              below $absence_threshold and no permanent exclusion over the last terms
--              (int_family_children__school)
--   asb        relevant when the family had an ASB event in the baseline; met when outcome
--              events <= (1 - $asb_reduction) x baseline events
--   offending  relevant when the family's minors had proven offences in the baseline; met
--              when outcome offences <= (1 - $offending_reduction) x baseline offences
-- Periods and attachment: int_family_attachment; events: int_family_events__asb_offending.
-- Reductions are compared exactly (decimals), so 60 % of 10 is 4, not 4.000000001.
-- achieved_on is T: the outcome period (and the last terms) end on it.
-- Wording, source and cases: crime_asb_education.yml. Grain: one row per programme family.

with

attachment as (
    select
        fa.family_id,
        fa.education_at_identification
    from int_family_attachment as fa
),

events as (
    select e.*
    from int_family_events__asb_offending as e
),

counts as (
    select ec.*
    from int_family_asb_offending__counted as ec
),

children as (
    select distinct
        c.family_id,
        c.person_id,
        c.meets_education
    from int_family_children__school as c
),

schooling as (
    select
        c.family_id,
        count(*) as children,
        count(*) filter (where not c.meets_education) as children_failing
    from children as c
    group by c.family_id
),

assessed as (
    select
        a.family_id,
        coalesce(ct.asb_baseline, 0) as asb_baseline,
        coalesce(ct.asb_outcome, 0) as asb_outcome,
        coalesce(ct.offences_baseline, 0) as offences_baseline,
        coalesce(ct.offences_outcome, 0) as offences_outcome,
        coalesce(s.children, 0) as children,
        coalesce(s.children_failing, 0) as children_failing,
        coalesce(a.education_at_identification, false) as education_relevant,
        coalesce(ct.asb_baseline, 0) > 0 as asb_relevant,
        coalesce(ct.offences_baseline, 0) > 0 as offending_relevant
    from attachment as a
    left join counts as ct on ct.family_id = a.family_id
    left join schooling as s on s.family_id = a.family_id
),

judged as (
    select
        ad.*,
        ad.children_failing = 0 as education_met,
        ad.asb_outcome <= ad.asb_baseline * (1 - cast($asb_reduction as decimal(9, 6)))
            as asb_met,
        ad.offences_outcome
            <= ad.offences_baseline * (1 - cast($offending_reduction as decimal(9, 6)))
            as offending_met
    from assessed as ad
),

evidence_items as (
    select
        e.family_id,
        e.source,
        e.record_id,
        e.person_id,
        e.event_date,
        case
            when e.in_baseline and e.in_outcome then 'baseline and outcome: '
            when e.in_baseline then 'baseline: '
            else 'outcome: '
        end || e.value as value
    from events as e

    union all

    select
        c.family_id,
        c.source,
        c.record_id,
        c.person_id,
        c.event_date,
        'last terms: ' || c.value as value
    from int_family_children__school as c
    inner join judged as j on j.family_id = c.family_id
    where j.education_relevant
      and c.source is not null
),

evidence as (
    select
        ei.family_id,
        {{ evidence_list }} as evidence
    from evidence_items as ei
    group by ei.family_id
),

decided as (
    select
        j.*,
        (j.education_relevant or j.asb_relevant or j.offending_relevant)
            and (not j.education_relevant or j.education_met)
            and (not j.asb_relevant or j.asb_met)
            and (not j.offending_relevant or j.offending_met) as achieved
    from judged as j
),

final as (
    select
        j.family_id,
        'crime_asb_education' as result,
        j.achieved,
        case when j.achieved then cast($as_of as date) end as achieved_on,
        concat_ws(
            '; ',
            case
                when j.education_relevant then format(
                    'education {}: {} of {} children over the limits in the last {} terms',
                    case when j.education_met then 'met' else 'not met' end,
                    j.children_failing, j.children, $education_terms
                )
                else 'education not relevant'
            end,
            case
                when j.asb_relevant then format(
                    'ASB {}: {} events in the baseline, {} in the outcome period',
                    case when j.asb_met then 'met' else 'not met' end,
                    j.asb_baseline, j.asb_outcome
                )
                else 'ASB not relevant'
            end,
            case
                when j.offending_relevant then format(
                    'youth offending {}: {} proven offences in the baseline, {} in the outcome period',
                    case when j.offending_met then 'met' else 'not met' end,
                    j.offences_baseline, j.offences_outcome
                )
                else 'youth offending not relevant'
            end
        ) as detail,
        coalesce(ev.evidence, []) as evidence
    from decided as j
    left join evidence as ev on ev.family_id = j.family_id
)

select * from final
