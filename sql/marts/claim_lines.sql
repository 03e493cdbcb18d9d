-- The claim workbook's rows (claims/<window end>.xlsx): one per family x result in the
-- `results` mart of the window ending $as_of, with the evidence internal audit checks:
-- the attachment and its source, the results payment R and the ledger's reason, ASB events
-- and minors' proven offences in the baseline and outcome periods, each child's exclusions
-- and absence over the last terms, and each adult's out-of-work spells and employment
-- events since the baseline began. Person ids only: no names.

with

window_results as (
    select r.*
    from results as r
),

attachment as (
    select
        fa.family_id,
        fa.first_identified,
        fa.attachment_record,
        fa.baseline_after,
        fa.outcome_after
    from int_family_attachment as fa
),

flags as (
    select
        rf.family_id,
        rf.result,
        rf.detail,
        len(rf.evidence) as evidence_items
    from result_flags as rf
),

counts as (
    select ec.*
    from int_family_asb_offending__counted as ec
),

children as (
    select distinct
        c.family_id,
        c.person_id,
        c.fixed_exclusions,
        c.permanent_exclusions,
        c.sessions_possible,
        c.sessions_unauthorised,
        c.absence_rate
    from int_family_children__school as c
),

children_text as (
    select
        c.family_id,
        string_agg(
            format(
                '{}: {} fixed and {} permanent exclusions, {} unauthorised absence ({} of {} sessions)',
                c.person_id, c.fixed_exclusions, c.permanent_exclusions,
                coalesce(format('{:.1f}%', 100 * c.absence_rate), 'no'),
                c.sessions_unauthorised, c.sessions_possible
            ),
            '; ' order by c.person_id
        ) as children_school
    from children as c
    group by c.family_id
),

adults as (
    select
        ad.family_id,
        ad.person_id
    from int_family_adults__attached as ad
),

work_items as (
    select
        bs.family_id,
        bs.person_id,
        bs.spell_start as event_date,
        format(
            '{} {} to {}', bs.benefit, strftime(bs.spell_start, '%Y-%m-%d'),
            coalesce(strftime(bs.spell_end, '%Y-%m-%d'), 'open')
        ) as item
    from int_member_events__benefit_spells as bs
    inner join adults as ad on ad.family_id = bs.family_id and ad.person_id = bs.person_id
    inner join attachment as a on a.family_id = bs.family_id
    where list_contains($out_of_work_benefits, bs.benefit)
      and bs.spell_start <= $as_of
      and (bs.spell_end is null or bs.spell_end > a.baseline_after)

    union all

    select
        e.family_id,
        e.person_id,
        e.event_date,
        format('{} {}', e.event_type, strftime(e.event_date, '%Y-%m-%d')) as item
    from int_member_events__employment as e
    inner join adults as ad on ad.family_id = e.family_id and ad.person_id = e.person_id
    inner join attachment as a on a.family_id = e.family_id
    where e.event_date <= $as_of
      and e.event_date > least(a.baseline_after, cast($as_of - to_months($work_programme_exclusion_months) as date))
),

work_by_adult as (
    select
        wi.family_id,
        wi.person_id,
        wi.person_id || ': ' || string_agg(wi.item, ', ' order by wi.event_date, wi.item) as line
    from work_items as wi
    group by wi.family_id, wi.person_id
),

work_text as (
    select
        wa.family_id,
        string_agg(wa.line, '; ' order by wa.person_id) as adult_work
    from work_by_adult as wa
    group by wa.family_id
),

final as (
    select
        r.district,
        r.family_id,
        r.result,
        r.achieved_on,
        r.payment_gbp,
        r.already_claimed,
        r.payment_reason,
        r.gross_gbp,
        r.paid_before_gbp,
        r.results_payment_gbp,
        r.financial_year,
        r.attached_on,
        r.attachment_source,
        a.attachment_record,
        a.first_identified,
        cast(a.baseline_after + interval 1 day as date) as baseline_from,
        r.attached_on as baseline_to,
        cast(a.outcome_after + interval 1 day as date) as outcome_from,
        cast($as_of as date) as outcome_to,
        coalesce(ct.asb_baseline, 0) as asb_baseline,
        coalesce(ct.asb_outcome, 0) as asb_outcome,
        coalesce(ct.offences_baseline, 0) as offences_baseline,
        coalesce(ct.offences_outcome, 0) as offences_outcome,
        tx.children_school,
        wt.adult_work,
        f.detail,
        f.evidence_items
    from window_results as r
    left join attachment as a on a.family_id = r.family_id
    left join flags as f on f.family_id = r.family_id and f.result = r.result
    left join counts as ct on ct.family_id = r.family_id
    left join children_text as tx on tx.family_id = r.family_id
    left join work_text as wt on wt.family_id = r.family_id
    order by r.district, r.family_id, r.result
)

select * from final
