-- The last $education_terms consecutive school terms before each date families are judged
-- on: the most recent terms that ended on or before that date (rules.md "School terms").
-- Terms of academic year `2013/14`: autumn 1 Sep-31 Dec 2013, spring 1 Jan-31 Mar 2014,
-- summer 1 Apr-31 Aug 2014. term_rank 1 is the most recent; academic_year_start is 2013
-- for `2013/14`. The dates are read from int_families__as_of, like every other dated
-- intermediate: one date in a monthly run, each engaged family's attachment date in a
-- point-in-time evaluation (cohort.programme.as_at), all in one query.
-- Grain: one row per date and term.

with

dates as (
    select distinct fa.as_of
    from int_families__as_of as fa
),

academic_years as (
    select
        d.as_of,
        cast(unnest(generate_series(
            cast(year(d.as_of) - $education_terms - 1 as bigint),
            cast(year(d.as_of) as bigint)
        )) as integer) as first_year
    from dates as d
),

terms as (
    select
        ay.as_of,
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
        tr.as_of,
        tr.academic_year_start,
        tr.academic_year,
        tr.term,
        tr.term_start,
        tr.term_end,
        row_number() over (partition by tr.as_of order by tr.term_end desc) as term_rank
    from terms as tr
    where tr.term_end <= tr.as_of
),

final as (
    select
        r.as_of,
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
