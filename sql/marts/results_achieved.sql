-- The results achieved in the claim window ending $as_of, before the claims ledger: one row
-- per programme family x result achieved (result_flags), with the family's attachment and
-- the full value of the result, gross_gbp = share x R (rules.md "Money":
-- $crime_asb_education_share, $continuous_employment_share, $progress_to_work_share of the
-- results payment R of the attachment's financial year). Kept per window in
-- results_history, so the ledger can be applied again when the window is submitted.

with

achieved as (
    select
        rf.family_id,
        rf.result,
        rf.achieved_on
    from result_flags as rf
    where rf.achieved
),

attachment as (
    select
        fa.family_id,
        fa.district,
        fa.attached_on,
        fa.attachment_source,
        fa.financial_year,
        fa.fee_share,
        fa.results_payment_gbp
    from int_family_attachment as fa
),

shares as (
    select
        s.result,
        cast(s.share as decimal(9, 6)) as share
    from (values
        ('crime_asb_education', $crime_asb_education_share),
        ('continuous_employment', $continuous_employment_share),
        ('progress_to_work', $progress_to_work_share)
    ) as s(result, share)
),

final as (
    select
        a.family_id,
        a.result,
        a.achieved_on,
        fm.district,
        fm.attached_on,
        fm.attachment_source,
        fm.financial_year,
        fm.fee_share,
        fm.results_payment_gbp,
        cast(fm.results_payment_gbp * sh.share as decimal(12, 2)) as gross_gbp
    from achieved as a
    inner join attachment as fm on fm.family_id = a.family_id
    inner join shares as sh on sh.result = a.result
    order by a.family_id, a.result
)

select * from final
