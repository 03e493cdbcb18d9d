-- The Phase 1 programme families at $as_of and their attachment (rules.md "Phase 1 results").
-- A family is in the programme when its status was automatic or discretionary when first
-- identified: the earliest phase1 month in family_history, on or before $as_of, with one of
-- those statuses. Only families that exist at $as_of (families_base) can be measured.
--   attached_on      the earliest engagements.attached_on for the family_id (as published),
--                    else the date first identified
--   baseline         the $baseline_months months before attachment, (baseline_after, attached_on]
--   outcome          the last $outcome_months months before T, (outcome_after, $as_of]
--   financial_year   the year 1 April - 31 March the attachment falls in (2012 for 2012/13)
--   results_payment  R = $total_per_family_gbp x (1 - attachment fee share of that year);
--                    null when the year has no configured share (nothing payable)
-- education_at_identification is criterion 2 in identification_history at the first
-- identification; null when that month predates the table (education then not relevant).
-- A family attached after $as_of is not yet attached and is left out.
-- History kept under a family id since retired (the family was merged into another:
-- int_family_ids__current) counts for the family it became, so a merged family was
-- first identified when the first of its parts was.
-- Grain: one row per programme family in families_base.

with

families as (
    select
        fb.family_id,
        fb.district
    from families_base as fb
),

identified as (
    select
        coalesce(cf.family_id, fh.family_id) as family_id,
        fh.as_of,
        fh.status
    from family_history as fh
    left join int_family_ids__current as cf on cf.old_id = fh.family_id
    where fh.programme = 'phase1'
      and fh.as_of <= $as_of
      and list_contains($in_programme_statuses, fh.status)
),

first_identified as (
    select
        i.family_id,
        min(i.as_of) as first_identified,
        -- two parts identified the same month: automatic before discretionary
        arg_min(i.status, (i.as_of, i.status)) as identified_status
    from identified as i
    group by i.family_id
),

criteria_then as (
    select
        coalesce(cf.family_id, ih.family_id) as family_id,
        ih.as_of,
        bool_or(ih.education) as education
    from identification_history as ih
    left join int_family_ids__current as cf on cf.old_id = ih.family_id
    where ih.programme = 'phase1'
    group by 1, 2
),

engagements as (
    select
        e.family_id,
        min(e.attached_on) as attached_on,
        arg_min(e.row_number, e.attached_on) as engagement_row
    from stg_engagements as e
    group by e.family_id
),

fee_shares as (
    select
        unnest($attachment_fee_years) as financial_year,
        unnest($attachment_fee_shares) as fee_share
),

attached as (
    select
        f.family_id,
        f.district,
        fi.first_identified,
        fi.identified_status,
        ct.education as education_at_identification,
        coalesce(en.attached_on, fi.first_identified) as attached_on,
        case when en.attached_on is not null then 'engagements' else 'first_identified' end
            as attachment_source,
        case
            when en.attached_on is not null then format('engagements row {}', en.engagement_row)
            else format('family_history {}', strftime(fi.first_identified, '%Y-%m-%d'))
        end as attachment_record
    from families as f
    inner join first_identified as fi on fi.family_id = f.family_id
    left join criteria_then as ct
        on ct.family_id = f.family_id and ct.as_of = fi.first_identified
    left join engagements as en on en.family_id = f.family_id
),

final as (
    select
        a.family_id,
        a.district,
        a.first_identified,
        a.identified_status,
        a.education_at_identification,
        a.attached_on,
        a.attachment_source,
        a.attachment_record,
        cast(a.attached_on - to_months($baseline_months) as date) as baseline_after,
        cast($as_of - to_months($outcome_months) as date) as outcome_after,
        year(a.attached_on) - case when month(a.attached_on) < 4 then 1 else 0 end
            as financial_year,
        fs.fee_share,
        cast(
            cast($total_per_family_gbp as decimal(12, 2))
            * (1 - cast(fs.fee_share as decimal(9, 6)))
            as decimal(12, 2)
        ) as results_payment_gbp
    from attached as a
    left join fee_shares as fs
        on fs.financial_year
            = year(a.attached_on) - case when month(a.attached_on) < 4 then 1 else 0 end
    where a.attached_on <= $as_of
)

select * from final
