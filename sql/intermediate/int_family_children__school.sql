-- Each child's school record over the last $education_terms terms, for the education part
-- of crime_asb_education (rules.md "Phase 1 results": every child had fewer than
-- $fixed_exclusions_min fixed exclusions, less than $absence_threshold unauthorised absence
-- and no permanent exclusion over the last 3 consecutive terms). A child is a member under
-- $adult_age at T, in a programme family (int_family_attachment). Exclusions are counted
-- when dated within the terms (as for criterion 2); absence is sum(sessions_unauthorised) /
-- sum(sessions_possible) over the census rows of those terms, compared exactly. A child
-- with no sessions recorded has no absence rate and does not fail on absence.
-- Grain: one row per child x census or exclusion row of those terms, with the child's
-- totals repeated on each; a child with no such rows has one row with null source.

with

terms as (
    select
        t.academic_year_start,
        t.term,
        t.term_start,
        t.term_end
    from int_school_terms__recent as t
),

span as (
    select
        min(t.term_start) as first_day,
        max(t.term_end) as last_day
    from terms as t
),

children as (
    select
        m.family_id,
        m.person_id
    from int_household_members__aged as m
    inner join int_family_attachment as fa on fa.family_id = m.family_id
    where m.is_child
),

exclusions as (
    select
        c.family_id,
        c.person_id,
        me.source,
        me.record_id,
        me.event_date,
        me.event_type || ' exclusion' as value,
        case when me.event_type = 'fixed' then 1 else 0 end as fixed,
        case when me.event_type = 'permanent' then 1 else 0 end as permanent,
        0 as sessions_possible,
        0 as sessions_unauthorised
    from int_member_events__linked as me
    inner join children as c on c.family_id = me.family_id and c.person_id = me.person_id
    cross join span as s
    where me.source = 'school_exclusions'
      and me.event_date between s.first_day and s.last_day
),

census as (
    select
        c.family_id,
        c.person_id,
        'school_census' as source,
        sc.record_id,
        t.term_end as event_date,
        format(
            '{} {}: {} of {} sessions unauthorised ({})',
            sc.term, sc.academic_year, coalesce(sc.sessions_unauthorised, 0),
            coalesce(sc.sessions_possible, 0), sc.provision
        ) as value,
        0 as fixed,
        0 as permanent,
        coalesce(sc.sessions_possible, 0) as sessions_possible,
        coalesce(sc.sessions_unauthorised, 0) as sessions_unauthorised
    from stg_school_census as sc
    inner join terms as t
        on t.term = sc.term
        and t.academic_year_start = cast(left(sc.academic_year, 4) as integer)
    inner join int_person_links__members as lk
        on lk.source = 'school_census' and lk.record_id = sc.record_id
    inner join children as c on c.family_id = lk.family_id and c.person_id = lk.person_id
),

school_rows as (
    select * from exclusions
    union all select * from census
),

with_children as (
    select
        c.family_id,
        c.person_id,
        sr.source,
        sr.record_id,
        sr.event_date,
        sr.value,
        coalesce(sr.fixed, 0) as fixed,
        coalesce(sr.permanent, 0) as permanent,
        coalesce(sr.sessions_possible, 0) as sessions_possible,
        coalesce(sr.sessions_unauthorised, 0) as sessions_unauthorised
    from children as c
    left join school_rows as sr on sr.family_id = c.family_id and sr.person_id = c.person_id
),

totals as (
    select
        wc.family_id,
        wc.person_id,
        wc.source,
        wc.record_id,
        wc.event_date,
        wc.value,
        sum(wc.fixed) over child as fixed_exclusions,
        sum(wc.permanent) over child as permanent_exclusions,
        sum(wc.sessions_possible) over child as sessions_possible,
        sum(wc.sessions_unauthorised) over child as sessions_unauthorised
    from with_children as wc
    window child as (partition by wc.family_id, wc.person_id)
),

final as (
    select
        t.family_id,
        t.person_id,
        t.source,
        t.record_id,
        t.event_date,
        t.value,
        cast(t.fixed_exclusions as integer) as fixed_exclusions,
        cast(t.permanent_exclusions as integer) as permanent_exclusions,
        cast(t.sessions_possible as bigint) as sessions_possible,
        cast(t.sessions_unauthorised as bigint) as sessions_unauthorised,
        cast(t.sessions_unauthorised as double) / nullif(t.sessions_possible, 0) as absence_rate,
        t.fixed_exclusions < $fixed_exclusions_min
            and t.permanent_exclusions = 0
            and (
                t.sessions_possible = 0
                or t.sessions_unauthorised
                    < t.sessions_possible * cast($absence_threshold as decimal(9, 6))
            ) as meets_education
    from totals as t
)

select * from final
