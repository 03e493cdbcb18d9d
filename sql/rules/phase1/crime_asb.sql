-- Phase 1 criterion 1, crime/ASB: a member under 18 with a proven offence, a member's
-- ASB order/injunction/contract, or a housing ASB intervention on a tenancy the family
-- lives in, dated in the last $crime_window_months months, (D - N months, D], where D is the
-- date the family is judged on (T in a monthly run).
-- Wording, source and cases: crime_asb.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select e.*
    from int_family_events__crime_asb as e
    where e.kind in ('minor_offence', 'asb_order', 'housing_asb')
      and e.event_date > cast(e.as_of - to_months($crime_window_months) as date)
      and e.event_date <= e.as_of
)

select * from final
