-- Phase 1 result continuous_employment: an adult member (aged $adult_age or more at T) who
-- was on an out-of-work benefit ($out_of_work_benefits) on the attachment date (a spell
-- with start <= attached_on and end blank or >= attached_on) started work after it (an
-- employment_start dated after attached_on), with no employment_end and no new out-of-work
-- spell dated after that start up to T, and reached the weeks in work of the benefit
-- ($employment_weeks_benefits / $employment_weeks_values, else $employment_weeks_default;
-- the most of them when the adult was on several) within the outcome period:
-- achieved_on = start + weeks, in (T - $outcome_months months, T]. An adult with a
-- work_programme_start or esf_start in the last $work_programme_exclusion_months months is
-- excluded (paid through those programmes instead). achieved_on is the earliest over the
-- family's adults and starts.
-- Wording, source and cases: continuous_employment.yml. Grain: one row per programme family.

with

attachment as (
    select
        fa.family_id,
        fa.attached_on,
        fa.outcome_after
    from int_family_attachment as fa
),

adults as (
    select
        ad.family_id,
        ad.person_id
    from int_family_adults__attached as ad
),

weeks_by_benefit as (
    select
        unnest($employment_weeks_benefits) as benefit,
        unnest($employment_weeks_values) as weeks
),

spells as (
    select bs.*
    from int_member_events__benefit_spells as bs
    where list_contains($out_of_work_benefits, bs.benefit)
),

employment as (
    select e.*
    from int_member_events__employment as e
    where e.event_date <= $as_of
),

on_benefit as (
    select
        s.family_id,
        s.person_id,
        s.source,
        s.record_id,
        s.benefit,
        s.spell_start,
        s.spell_end,
        coalesce(w.weeks, $employment_weeks_default) as weeks
    from spells as s
    inner join adults as ad on ad.family_id = s.family_id and ad.person_id = s.person_id
    inner join attachment as a on a.family_id = s.family_id
    left join weeks_by_benefit as w on w.benefit = s.benefit
    where s.spell_start <= a.attached_on
      and (s.spell_end is null or s.spell_end >= a.attached_on)
),

claimants as (
    select
        ob.family_id,
        ob.person_id,
        max(ob.weeks) as weeks
    from on_benefit as ob
    group by ob.family_id, ob.person_id
),

starts as (
    select
        c.family_id,
        c.person_id,
        c.weeks,
        e.source,
        e.record_id,
        e.event_date as started_on,
        cast(e.event_date + to_days(cast(7 * c.weeks as integer)) as date) as achieved_on
    from claimants as c
    inner join employment as e on e.family_id = c.family_id and e.person_id = c.person_id
    inner join attachment as a on a.family_id = c.family_id
    where e.event_type = 'employment_start'
      and e.event_date > a.attached_on
),

breaks as (
    select
        e.family_id,
        e.person_id,
        e.event_date as broken_on
    from employment as e
    where e.event_type = 'employment_end'

    union all

    select
        s.family_id,
        s.person_id,
        s.spell_start as broken_on
    from spells as s
    where s.spell_start <= $as_of
),

programme_starts as (
    select e.*
    from employment as e
    where e.event_type in ('work_programme_start', 'esf_start')
      and e.event_date > cast($as_of - to_months($work_programme_exclusion_months) as date)
),

unbroken as (
    select st.*
    from starts as st
    where not exists (
        select 1
        from breaks as b
        where b.family_id = st.family_id
          and b.person_id = st.person_id
          and b.broken_on > st.started_on
    )
),

achievements as (
    select u.*
    from unbroken as u
    inner join attachment as a on a.family_id = u.family_id
    where u.achieved_on > a.outcome_after
      and u.achieved_on <= $as_of
      and not exists (
          select 1
          from programme_starts as ps
          where ps.family_id = u.family_id and ps.person_id = u.person_id
      )
),

excluded as (
    select
        ps.family_id,
        min(ps.event_date) as programme_started_on
    from programme_starts as ps
    inner join unbroken as u on u.family_id = ps.family_id and u.person_id = ps.person_id
    group by ps.family_id
),

evidence_items as (
    select
        ob.family_id,
        ob.source,
        ob.record_id,
        ob.person_id,
        ob.spell_start as event_date,
        format(
            '{} spell {} to {}, open on the attachment date',
            ob.benefit, strftime(ob.spell_start, '%Y-%m-%d'),
            coalesce(strftime(ob.spell_end, '%Y-%m-%d'), 'open')
        ) as value
    from on_benefit as ob
    inner join achievements as ac on ac.family_id = ob.family_id and ac.person_id = ob.person_id

    union all

    select
        ac.family_id,
        ac.source,
        ac.record_id,
        ac.person_id,
        ac.started_on as event_date,
        format(
            'employment_start; {} weeks in work reached {}',
            ac.weeks, strftime(ac.achieved_on, '%Y-%m-%d')
        ) as value
    from achievements as ac
),

distinct_items as (
    select distinct
        ei.family_id,
        ei.source,
        ei.record_id,
        ei.person_id,
        ei.event_date,
        ei.value
    from evidence_items as ei
),

evidence as (
    select
        ei.family_id,
        {{ evidence_list }} as evidence
    from distinct_items as ei
    group by ei.family_id
),

per_family as (
    select
        ac.family_id,
        min(ac.achieved_on) as achieved_on,
        arg_min(ac.started_on, ac.achieved_on) as started_on
    from achievements as ac
    group by ac.family_id
),

claimant_counts as (
    select
        c.family_id,
        count(*) as claimants
    from claimants as c
    group by c.family_id
),

unbroken_counts as (
    select
        u.family_id,
        count(*) as unbroken_starts
    from unbroken as u
    group by u.family_id
),

final as (
    select
        a.family_id,
        'continuous_employment' as result,
        pf.family_id is not null as achieved,
        pf.achieved_on,
        case
            when pf.family_id is not null then format(
                'in work from {}; weeks reached {}',
                strftime(pf.started_on, '%Y-%m-%d'), strftime(pf.achieved_on, '%Y-%m-%d')
            )
            when cc.family_id is null then 'no adult on an out-of-work benefit on the attachment date'
            when ex.family_id is not null then format(
                'excluded: Work Programme or ESF start on {} (last {} months)',
                strftime(ex.programme_started_on, '%Y-%m-%d'), $work_programme_exclusion_months
            )
            when uc.family_id is null then
                'no employment start after attachment without a later end or new benefit spell'
            else format('weeks in work not reached within the last {} months', $outcome_months)
        end as detail,
        coalesce(ev.evidence, []) as evidence
    from attachment as a
    left join per_family as pf on pf.family_id = a.family_id
    left join evidence as ev on ev.family_id = a.family_id
    left join excluded as ex on ex.family_id = a.family_id
    left join claimant_counts as cc on cc.family_id = a.family_id
    left join unbroken_counts as uc on uc.family_id = a.family_id
)

select * from final
