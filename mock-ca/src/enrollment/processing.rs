//! The back office's processing days and the 14:00 cut-off [MAIL-CUTOFF].
//!
//! The guide: 「14:00 以降に申請された場合、翌日以降の処理となります」. Processing days are Monday to
//! Friday in Japan time; public holidays are not modelled (the site's clock can be set to any day a
//! scenario needs). An application filed on a processing day before the cut-off is processed that
//! day (at once, or at the opening hour if filed before it); anything else waits for the opening
//! hour of the next processing day.

use time::{Duration, OffsetDateTime, Time, Weekday, macros::time};

use crate::world::clock::JST;

/// When the back office works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    /// Applications filed at or after this time wait for the next processing day.
    pub cutoff: Time,
    /// When a processing day's work starts.
    pub opening: Time,
}

impl Default for Calendar {
    fn default() -> Self {
        Self {
            cutoff: time!(14:00),
            opening: time!(9:00),
        }
    }
}

impl Calendar {
    /// Whether the back office works on the day of `at` (Japan time).
    pub fn is_processing_day(&self, at: OffsetDateTime) -> bool {
        !matches!(
            at.to_offset(JST).weekday(),
            Weekday::Saturday | Weekday::Sunday
        )
    }

    /// When an application filed at `filed_at` is processed (approved, its mails sent).
    pub fn processing_time(&self, filed_at: OffsetDateTime) -> OffsetDateTime {
        let local = filed_at.to_offset(JST);
        if self.is_processing_day(local) && local.time() < self.cutoff {
            let opening = local.replace_time(self.opening);
            return local.max(opening);
        }
        // At the end of time (year 9999) there is no next day: the application waits forever.
        let next = |day: OffsetDateTime| day.checked_add(Duration::days(1));
        let mut day = local.replace_time(self.opening);
        loop {
            match next(day) {
                Some(following) => day = following,
                None => return OffsetDateTime::new_in_offset(time::Date::MAX, self.opening, JST),
            }
            if self.is_processing_day(day) {
                return day;
            }
        }
    }

    /// Whether `filed_at` is past the cut-off: its mails go out on a later day.
    pub fn misses_cutoff(&self, filed_at: OffsetDateTime) -> bool {
        self.processing_time(filed_at).date() != filed_at.to_offset(JST).date()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn filed_before_the_cutoff_on_a_weekday_is_processed_at_once() {
        let calendar = Calendar::default();
        let at = datetime!(2026-11-25 13:59:59 +9); // a Wednesday
        assert_eq!(calendar.processing_time(at), at);
        assert!(!calendar.misses_cutoff(at));
    }

    #[test]
    fn filed_at_the_cutoff_is_processed_at_the_next_days_opening() {
        let calendar = Calendar::default();
        let at = datetime!(2026-11-25 14:00 +9);
        assert_eq!(calendar.processing_time(at), datetime!(2026-11-26 09:00 +9));
        assert!(calendar.misses_cutoff(at));
    }

    #[test]
    fn filed_on_friday_afternoon_or_at_the_weekend_waits_for_monday() {
        let calendar = Calendar::default();
        let monday = datetime!(2026-11-30 09:00 +9);
        assert_eq!(
            calendar.processing_time(datetime!(2026-11-27 15:00 +9)),
            monday
        );
        assert_eq!(
            calendar.processing_time(datetime!(2026-11-28 10:00 +9)),
            monday
        );
        assert_eq!(
            calendar.processing_time(datetime!(2026-11-29 23:59 +9)),
            monday
        );
    }

    #[test]
    fn filed_before_opening_on_a_weekday_is_processed_at_opening_the_same_day() {
        let calendar = Calendar::default();
        assert_eq!(
            calendar.processing_time(datetime!(2026-11-25 07:30 +9)),
            datetime!(2026-11-25 09:00 +9)
        );
        // A time given in UTC is judged in Japan time: 05:30 UTC is 14:30 JST.
        assert!(calendar.misses_cutoff(datetime!(2026-11-25 05:30 UTC)));
    }
}
