//! Time comes from a [`Clock`], never from `Utc::now()` inside a rule, so
//! expiry and rate windows can be tested by moving time.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

/// The source of "now". Cheap to clone.
#[derive(Clone, Debug)]
pub struct Clock(Inner);

#[derive(Clone, Debug)]
enum Inner {
    System,
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// The wall clock, in UTC.
    pub fn system() -> Self {
        Self(Inner::System)
    }
    /// A clock that stands still until [`Clock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self(Inner::Manual(Arc::new(Mutex::new(start))))
    }
    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Inner::System => Utc::now(),
            Inner::Manual(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }
    /// Moves a manual clock forward; the system clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Inner::Manual(t) = &self.0 {
            let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
            *t += by;
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}
