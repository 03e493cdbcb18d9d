-- Phase 2 problem 1, crime/ASB: as Phase 1 criterion 1 (a minor's proven offence, a
-- member's ASB order/injunction/contract, a housing ASB intervention on a tenancy the family
-- lives in) plus an adult member's police adult_offence, in the last $window_months months
-- before the date the family is judged on (T in a monthly run).
-- Wording, source and cases: crime_asb.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select e.*
    from int_family_events__crime_asb as e
    where e.kind in ('minor_offence', 'asb_order', 'housing_asb', 'adult_offence')
      and e.event_date > cast(e.as_of - to_months($window_months) as date)
      and e.event_date <= e.as_of
)

select * from final
