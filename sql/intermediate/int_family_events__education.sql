-- The education events that meet a family's education / school_attendance criterion on
-- the date it is judged (as_of, int_families__as_of; rules.md Phase 1 criterion 2): for a
-- member of compulsory school age then, across the last $education_terms terms that ended
-- on or before that date (int_school_terms__recent, one set per date),
--   permanent_exclusion  a permanent exclusion dated within those terms
--   fixed_exclusions     every fixed exclusion within those terms, when there are
--                        $fixed_exclusions_min or more
--   provision            a census row of the most recent term in $education_provisions
--   absence              every census row of those terms, when sum(sessions_unauthorised) /
--                        sum(sessions_possible) >= $absence_threshold
-- Exclusions in the current, unfinished term do not count. Grain: one row per family x
-- input row x kind.

with

terms as (
    select
        t.as_of,
        t.term_rank,
        t.academic_year_start,
        t.academic_year,
        t.term,
        t.term_start,
        t.term_end
    from int_school_terms__recent as t
),

spans as (
    select
        t.as_of,
        min(t.term_start) as first_day,
        max(t.term_end) as last_day
    from terms as t
    group by t.as_of
),

pupils as (
    select
        m.family_id,
        m.person_id,
        m.as_of
    from int_household_members__aged as m
    where m.is_school_age
),

pupil_exclusions as (
    select
        p.family_id,
        p.person_id,
        me.source,
        me.record_id,
        me.event_type as exclusion_type,
        me.event_date as exclusion_date
    from int_member_events__linked as me
    inner join pupils as p on p.family_id = me.family_id and p.person_id = me.person_id
    inner join spans as s on s.as_of = p.as_of
    where me.source = 'school_exclusions'
      and me.event_date between s.first_day and s.last_day
),

permanent_exclusions as (
    select
        pe.family_id,
        'permanent_exclusion' as kind,
        pe.source,
        pe.record_id,
        pe.person_id,
        pe.exclusion_date as event_date,
        'permanent exclusion' as value
    from pupil_exclusions as pe
    where pe.exclusion_type = 'permanent'
),

fixed_counted as (
    select
        pe.family_id,
        pe.source,
        pe.record_id,
        pe.person_id,
        pe.exclusion_date,
        count(*) over (partition by pe.family_id, pe.person_id) as fixed_count
    from pupil_exclusions as pe
    where pe.exclusion_type = 'fixed'
),

fixed_exclusions as (
    select
        fc.family_id,
        'fixed_exclusions' as kind,
        fc.source,
        fc.record_id,
        fc.person_id,
        fc.exclusion_date as event_date,
        format('fixed exclusion ({} in the last {} terms)', fc.fixed_count, $education_terms)
            as value
    from fixed_counted as fc
    where fc.fixed_count >= $fixed_exclusions_min
),

census_terms as (
    select
        c.record_id,
        c.provision,
        c.sessions_possible,
        c.sessions_unauthorised,
        t.as_of,
        t.term_rank,
        t.academic_year,
        t.term,
        t.term_end
    from stg_school_census as c
    inner join terms as t
        on t.term = c.term
        and t.academic_year_start = cast(left(c.academic_year, 4) as integer)
),

pupil_census as (
    select
        p.family_id,
        p.person_id,
        'school_census' as source,
        ct.record_id,
        ct.provision,
        ct.sessions_possible,
        ct.sessions_unauthorised,
        ct.term_rank,
        ct.academic_year,
        ct.term,
        ct.term_end
    from census_terms as ct
    inner join int_person_links__members as lk
        on lk.source = 'school_census' and lk.record_id = ct.record_id
    inner join pupils as p
        on p.family_id = lk.family_id and p.person_id = lk.person_id and p.as_of = ct.as_of
),

provisions as (
    select
        pc.family_id,
        'provision' as kind,
        pc.source,
        pc.record_id,
        pc.person_id,
        pc.term_end as event_date,
        format('{} in {} {}', pc.provision, pc.term, pc.academic_year) as value
    from pupil_census as pc
    where pc.term_rank = 1
      and list_contains($education_provisions, pc.provision)
),

absence_rates as (
    select
        pc.family_id,
        pc.source,
        pc.record_id,
        pc.person_id,
        pc.term_end,
        pc.term,
        pc.academic_year,
        pc.sessions_possible,
        pc.sessions_unauthorised,
        cast(sum(pc.sessions_unauthorised) over pupil as double)
            / nullif(sum(pc.sessions_possible) over pupil, 0) as absence_rate
    from pupil_census as pc
    window pupil as (partition by pc.family_id, pc.person_id)
),

absences as (
    select
        ar.family_id,
        'absence' as kind,
        ar.source,
        ar.record_id,
        ar.person_id,
        ar.term_end as event_date,
        format(
            '{} {}: {} of {} sessions unauthorised ({:.1f}% over the last {} terms)',
            ar.term, ar.academic_year,
            coalesce(ar.sessions_unauthorised, 0), coalesce(ar.sessions_possible, 0),
            100 * ar.absence_rate, $education_terms
        ) as value
    from absence_rates as ar
    where ar.absence_rate >= $absence_threshold
),

final as (
    select * from permanent_exclusions
    union all select * from fixed_exclusions
    union all select * from provisions
    union all select * from absences
)

select * from final
