//! Member States, their time zones and bank holidays. Reporting deadlines that fall on a
//! weekend day or a bank holiday *in the entity's Member State* move to noon of the next working
//! day there (RTS 2025/301 Art. 5(4)); both "weekend" and "noon" are local, so every deadline is
//! computed in the Member State's zone from the IANA database.
//!
//! Bank holidays are configuration, not code: they differ by state and year, and some (Easter)
//! move. A Member State without a configured list is treated as having none, and every deadline
//! explanation says so.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// EU and EEA Member States and the zone of their capital. Where a state spans zones (Portugal,
/// Spain), the capital's zone is the default; an entity can name its own zone.
const STATES: &[(&str, Tz)] = &[
    ("AT", Tz::Europe__Vienna),
    ("BE", Tz::Europe__Brussels),
    ("BG", Tz::Europe__Sofia),
    ("CY", Tz::Asia__Nicosia),
    ("CZ", Tz::Europe__Prague),
    ("DE", Tz::Europe__Berlin),
    ("DK", Tz::Europe__Copenhagen),
    ("EE", Tz::Europe__Tallinn),
    ("ES", Tz::Europe__Madrid),
    ("FI", Tz::Europe__Helsinki),
    ("FR", Tz::Europe__Paris),
    ("GR", Tz::Europe__Athens),
    ("HR", Tz::Europe__Zagreb),
    ("HU", Tz::Europe__Budapest),
    ("IE", Tz::Europe__Dublin),
    ("IS", Tz::Atlantic__Reykjavik),
    ("IT", Tz::Europe__Rome),
    ("LI", Tz::Europe__Vaduz),
    ("LT", Tz::Europe__Vilnius),
    ("LU", Tz::Europe__Luxembourg),
    ("LV", Tz::Europe__Riga),
    ("MT", Tz::Europe__Malta),
    ("NL", Tz::Europe__Amsterdam),
    ("NO", Tz::Europe__Oslo),
    ("PL", Tz::Europe__Warsaw),
    ("PT", Tz::Europe__Lisbon),
    ("RO", Tz::Europe__Bucharest),
    ("SE", Tz::Europe__Stockholm),
    ("SI", Tz::Europe__Ljubljana),
    ("SK", Tz::Europe__Bratislava),
];

/// The default zone of a Member State (ISO 3166 alpha-2; `EL` is accepted for Greece).
pub fn zone_of(state: &str) -> Option<Tz> {
    let s = if state == "EL" { "GR" } else { state };
    STATES.iter().find(|(c, _)| *c == s).map(|(_, z)| *z)
}

/// Bank holidays per Member State, as configured: `{DE: [2026-12-25, 2026-12-26], ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Holidays(pub BTreeMap<String, BTreeSet<NaiveDate>>);

impl Holidays {
    /// Refuses unknown Member States.
    pub fn validate(&self) -> Result<()> {
        for k in self.0.keys() {
            if zone_of(k).is_none() {
                return Err(Error::invalid(
                    format!("holidays.{k}"),
                    "not an EU/EEA Member State code (ISO 3166 alpha-2, e.g. DE)",
                ));
            }
        }
        Ok(())
    }

    /// Whether `state` has a configured list.
    pub fn configured(&self, state: &str) -> bool {
        self.0.contains_key(state)
    }

    /// Whether `day` is a bank holiday in `state`.
    pub fn is_holiday(&self, state: &str, day: NaiveDate) -> bool {
        self.0.get(state).is_some_and(|d| d.contains(&day))
    }

    /// Why `day` is not a working day in `state`, if it is not.
    pub fn non_working(&self, state: &str, day: NaiveDate) -> Option<&'static str> {
        match day.weekday() {
            Weekday::Sat => Some("a Saturday"),
            Weekday::Sun => Some("a Sunday"),
            _ if self.is_holiday(state, day) => Some("a bank holiday"),
            _ => None,
        }
    }

    /// The first working day after `day` in `state`.
    pub fn next_working_day(&self, state: &str, day: NaiveDate) -> NaiveDate {
        let mut d = day;
        loop {
            d = d.succ_opt().expect("date in range");
            if self.non_working(state, d).is_none() {
                return d;
            }
        }
    }
}
