-- The last $education_terms consecutive school terms: the most recent terms that ended on
-- or before $as_of (rules.md "School terms"). Terms of academic year `2013/14`: autumn
-- 1 Sep-31 Dec 2013, spring 1 Jan-31 Mar 2014, summer 1 Apr-31 Aug 2014.
-- term_rank 1 is the most recent; academic_year_start is 2013 for `2013/14`. as_of is the
-- date the terms are counted back from: a point-in-time evaluation runs this file once per
-- date it judges on (cohort.programme.as_at) and the rules join on it.

with

academic_years as (
    select
        cast(gs.first_year as integer) as first_year
    from generate_series(
        cast(year($as_of) - $education_terms - 1 as bigint),
        cast(year($as_of) as bigint)
    ) as gs(first_year)
),

terms as (
    select
        ay.first_year as academic_year_start,
        format('{}/{}', ay.first_year, right(cast(ay.first_year + 1 as varchar), 2))
            as academic_year,
        t.term,
        case t.term
            when 'autumn' then make_date(ay.first_year, 9, 1)
            when 'spring' then make_date(ay.first_year + 1, 1, 1)
            when 'summer' then make_date(ay.first_year + 1, 4, 1)
        end as term_start,
        case t.term
            when 'autumn' then make_date(ay.first_year, 12, 31)
            when 'spring' then make_date(ay.first_year + 1, 3, 31)
            when 'summer' then make_date(ay.first_year + 1, 8, 31)
        end as term_end
    from academic_years as ay
    cross join (values ('autumn'), ('spring'), ('summer')) as t(term)
),

ranked as (
    select
        tr.academic_year_start,
        tr.academic_year,
        tr.term,
        tr.term_start,
        tr.term_end,
        row_number() over (order by tr.term_end desc) as term_rank
    from terms as tr
    where tr.term_end <= $as_of
),

final as (
    select
        cast($as_of as date) as as_of,
        r.term_rank,
        r.academic_year_start,
        r.academic_year,
        r.term,
        r.term_start,
        r.term_end
    from ranked as r
    where r.term_rank <= $education_terms
)

select * from final
