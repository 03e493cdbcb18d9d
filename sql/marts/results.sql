-- results.csv for the claim window ending $as_of (data contract section 3; rules.md
-- "Money"): the window's achieved results (results_history) after the claims ledger: the
-- standing claims (claims_current: not withdrawn) of this window and earlier ones, so a
-- re-run of a submitted window shows its results as already claimed (the claim workbook
-- says who submitted it and when). Within a family, results are paid in the order
-- crime_asb_education, continuous_employment, progress_to_work, and never beyond R in all:
--   already_claimed  claimed in a standing submission of this or an earlier window:
--                    already_claimed = 1, pays 0
--   employment_paid  progress_to_work once continuous_employment has been claimed or is
--                    achieved in this window: pays 0
--   no_fee_share     the attachment's financial year has no configured fee share: pays 0
--   payable          pays its full value
--   balance_only     pays only what is left of R (e.g. continuous_employment after an
--                    earlier crime_asb_education claim)
--   cap_reached      nothing is left of R: pays 0
-- payment_reason values are cohort.results.PaymentReason.

with

achieved as (
    select
        rh.family_id,
        rh.result,
        rh.achieved_on,
        rh.district,
        rh.attached_on,
        rh.attachment_source,
        rh.financial_year,
        rh.fee_share,
        rh.results_payment_gbp,
        rh.gross_gbp
    from results_history as rh
    where rh.as_of = $as_of
),

result_order as (
    select
        ro.result,
        ro.position
    from (values
        ('crime_asb_education', 1),
        ('continuous_employment', 2),
        ('progress_to_work', 3)
    ) as ro(result, position)
),

earlier_claims as (
    -- a claim for a family since merged into another counts for the family it became
    select
        coalesce(cf.family_id, c.family_id) as family_id,
        c.result,
        c.payment_gbp
    from claims_current as c
    left join int_family_ids__current as cf on cf.old_id = c.family_id
    where c.window_end <= $as_of
),

paid_before as (
    select
        ec.family_id,
        sum(ec.payment_gbp) as paid_gbp,
        list(ec.result) as results
    from earlier_claims as ec
    group by ec.family_id
),

ledgered as (
    select
        a.*,
        ro.position,
        coalesce(pb.paid_gbp, 0) as paid_before_gbp,
        list_contains(coalesce(pb.results, []), a.result) as claimed_before,
        list_contains(coalesce(pb.results, []), 'continuous_employment')
            or bool_or(a.result = 'continuous_employment') over (partition by a.family_id)
            as employment_paid
    from achieved as a
    inner join result_order as ro on ro.result = a.result
    left join paid_before as pb on pb.family_id = a.family_id
),

reasoned as (
    select
        l.*,
        case
            when l.claimed_before then 'already_claimed'
            when l.result = 'progress_to_work' and l.employment_paid then 'employment_paid'
            when l.results_payment_gbp is null then 'no_fee_share'
            else 'payable'
        end as first_reason
    from ledgered as l
),

capped as (
    select
        r.*,
        case when r.first_reason = 'payable' then r.gross_gbp else 0 end as counted_gbp,
        greatest(coalesce(r.results_payment_gbp, 0) - r.paid_before_gbp, 0) as balance_gbp
    from reasoned as r
),

running as (
    select
        c.*,
        sum(c.counted_gbp) over (
            partition by c.family_id order by c.position rows unbounded preceding
        ) as counted_to_here
    from capped as c
),

paid as (
    select
        r.*,
        cast(
            greatest(
                least(r.balance_gbp, r.counted_to_here)
                - least(r.balance_gbp, r.counted_to_here - r.counted_gbp),
                0
            ) as decimal(12, 2)
        ) as payment_gbp
    from running as r
),

final as (
    select
        p.family_id,
        p.result,
        p.achieved_on,
        p.payment_gbp,
        case when p.claimed_before then 1 else 0 end as already_claimed,
        p.district,
        p.attached_on,
        p.attachment_source,
        p.financial_year,
        p.fee_share,
        p.results_payment_gbp,
        p.gross_gbp,
        cast(p.paid_before_gbp as decimal(12, 2)) as paid_before_gbp,
        case
            when p.first_reason <> 'payable' then p.first_reason
            when p.payment_gbp = p.gross_gbp then 'payable'
            when p.payment_gbp > 0 then 'balance_only'
            else 'cap_reached'
        end as payment_reason
    from paid as p
    order by p.family_id, p.position
)

select * from final
