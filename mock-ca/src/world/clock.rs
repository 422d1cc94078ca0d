//! The site's clock, in Japan time.
//!
//! Everything that depends on time (validity of issued certificates, the 14:00 mail cut-off, the
//! confirmation page's validity check) reads this clock, never the system clock directly, so that a
//! scenario can freeze it, set it or move it forward.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime, UtcOffset, macros::offset};

/// Japan Standard Time, the site's time zone.
pub const JST: UtcOffset = offset!(+9);

/// A clock that runs with the system's time or stands still, and can be set or moved either way.
#[derive(Debug)]
pub struct Clock {
    mode: Mutex<Mode>,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// The system's time plus a shift (zero unless the clock was set or advanced).
    Running { shift: Duration },
    /// A fixed instant: deterministic runs.
    Frozen { at: OffsetDateTime },
}

impl Clock {
    /// A clock that follows the system's time.
    pub fn system() -> Self {
        Self {
            mode: Mutex::new(Mode::Running {
                shift: Duration::ZERO,
            }),
        }
    }

    /// A clock that stands still at `at` until it is set or advanced.
    pub fn frozen(at: OffsetDateTime) -> Self {
        Self {
            mode: Mutex::new(Mode::Frozen { at }),
        }
    }

    /// The current time, in Japan time.
    pub fn now(&self) -> OffsetDateTime {
        let mode = *self.lock();
        let now = match mode {
            Mode::Running { shift } => OffsetDateTime::now_utc() + shift,
            Mode::Frozen { at } => at,
        };
        now.to_offset(JST)
    }

    /// Moves the clock to `at`; a running clock keeps running from there.
    pub fn set(&self, at: OffsetDateTime) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Running { .. } => Mode::Running {
                shift: at - OffsetDateTime::now_utc(),
            },
            Mode::Frozen { .. } => Mode::Frozen { at },
        };
    }

    /// Stops the clock at `at`.
    pub fn freeze(&self, at: OffsetDateTime) {
        *self.lock() = Mode::Frozen { at };
    }

    /// Sets the clock to `at` and lets it run from there.
    pub fn run_from(&self, at: OffsetDateTime) {
        *self.lock() = Mode::Running {
            shift: at - OffsetDateTime::now_utc(),
        };
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Running { shift } => Mode::Running { shift: shift + by },
            Mode::Frozen { at } => Mode::Frozen { at: at + by },
        };
    }

    /// Whether the clock stands still.
    pub fn is_frozen(&self) -> bool {
        matches!(*self.lock(), Mode::Frozen { .. })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        // The guarded value is a plain Copy value: a panic elsewhere cannot leave it half-written.
        self.mode
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn frozen_clock_stands_still_and_moves_only_when_told() {
        let clock = Clock::frozen(datetime!(2026-11-25 13:59 +9));
        assert_eq!(clock.now(), datetime!(2026-11-25 13:59 +9));
        clock.advance(Duration::minutes(1));
        assert_eq!(clock.now(), datetime!(2026-11-25 14:00 +9));
        assert_eq!(clock.now().offset(), JST);
    }

    #[test]
    fn set_running_clock_keeps_running_from_the_new_time() {
        let clock = Clock::system();
        clock.set(datetime!(2030-01-01 0:00 UTC));
        let now = clock.now();
        assert!(now >= datetime!(2030-01-01 0:00 UTC));
        assert!(now < datetime!(2030-01-01 0:01 UTC));
        assert!(!clock.is_frozen());
    }
}
