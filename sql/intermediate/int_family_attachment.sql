-- The Phase 1 programme families at $as_of and their attachment (rules.md "Phase 1 results").
-- Two ways in:
--   engaged      a family with an engagements row is judged as at its attachment date (its
--                earliest attached_on on or before $as_of: int_engagements__judged, from the
--                point-in-time criteria in attachment_status / attachment_flags, on its
--                membership at $as_of). It is in the programme when it was automatic or
--                discretionary that day (status_on_attachment); "at identification" then
--                means that day. Its history in this warehouse does not decide:
--                first_identified and identified_status keep saying when a run of this
--                warehouse first found it automatic or discretionary (null if none did).
--   not engaged  otherwise a family is in the programme when it was automatic or
--                discretionary when first identified: the earliest phase1 month in
--                family_history, on or before $as_of, with one of those statuses; it is
--                attached on that date. History kept under a family id since retired (the
--                family was merged into another: int_family_history__current) counts for
--                the family it became, so a merged family was first identified when the
--                first of its parts was.
-- Only families that exist at $as_of (families_base) can be measured. attachment_note says
-- where a run of this warehouse on the attachment date found another status (its
-- membership was that day's): rules.md's reading is kept, and the note records why.
--   baseline         the $baseline_months months before attachment, (baseline_after, attached_on]
--   outcome          the last $outcome_months months before T, (outcome_after, $as_of]
--   financial_year   the year 1 April - 31 March the attachment falls in (2012 for 2012/13)
--   results_payment  R = $total_per_family_gbp x (1 - attachment fee share of that year);
--                    null when the year has no configured share (nothing payable)
-- education_at_identification is criterion 2 on the attachment date for an engaged family,
-- else in identification_history at the first identification (null when that month
-- predates the table: education then not relevant).
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
        fh.family_id,
        fh.as_of,
        fh.status
    from int_family_history__current as fh
    where fh.as_of <= $as_of
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

engaged as (
    select
        j.family_id,
        j.judged_on,
        j.deciding_row,
        j.status_on_attachment,
        j.education_on_attachment,
        j.criteria_met_on_attachment,
        j.history_status,
        list_contains($in_programme_statuses, j.status_on_attachment) as admitted
    from int_engagements__judged as j
    where j.family_id is not null
      and (j.row_number = j.deciding_row or j.deciding_row is null)
),

by_engagement as (
    select
        f.family_id,
        f.district,
        fi.first_identified,
        fi.identified_status,
        e.status_on_attachment,
        e.education_on_attachment as education_at_identification,
        e.judged_on as attached_on,
        'engagements' as attachment_source,
        format('engagements row {}', e.deciding_row) as attachment_record,
        case when e.history_status is not null and e.history_status <> e.status_on_attachment
            then format('the run as of {} found it {} on that day''s membership; rules.md judges '
                        || 'it on the membership at {}', strftime(e.judged_on, '%Y-%m-%d'),
                        e.history_status, strftime(cast($as_of as date), '%Y-%m-%d'))
            end as attachment_note
    from families as f
    inner join engaged as e on e.family_id = f.family_id
    left join first_identified as fi on fi.family_id = f.family_id
    where e.admitted
),

by_history as (
    select
        f.family_id,
        f.district,
        fi.first_identified,
        fi.identified_status,
        fi.identified_status as status_on_attachment,
        ct.education as education_at_identification,
        fi.first_identified as attached_on,
        'first_identified' as attachment_source,
        format('family_history {}', strftime(fi.first_identified, '%Y-%m-%d')) as attachment_record,
        cast(null as varchar) as attachment_note
    from families as f
    inner join first_identified as fi on fi.family_id = f.family_id
    left join criteria_then as ct
        on ct.family_id = f.family_id and ct.as_of = fi.first_identified
    where f.family_id not in (select e.family_id from engaged as e)
),

attached as (
    select * from by_engagement
    union all select * from by_history
),

fee_shares as (
    select
        unnest($attachment_fee_years) as financial_year,
        unnest($attachment_fee_shares) as fee_share
),

final as (
    select
        a.family_id,
        a.district,
        a.first_identified,
        a.identified_status,
        a.status_on_attachment,
        a.education_at_identification,
        a.attached_on,
        a.attachment_source,
        a.attachment_record,
        a.attachment_note,
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
