//! Periods the measures cover and the buckets a trend is cut into. Periods are half-open
//! (`from` included, `to` excluded) and in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

/// A half-open span of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First instant included.
    pub from: DateTime<Utc>,
    /// First instant after it.
    pub to: DateTime<Utc>,
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

fn first_of_month(year: i32, month: u32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year, month, 1)
        .ok_or_else(|| format!("{year}-{month:02} is not a month"))
}

fn month_after(d: NaiveDate) -> Result<NaiveDate, String> {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    first_of_month(y, m)
}

impl Period {
    /// The `days` days up to `now`.
    pub fn last_days(now: DateTime<Utc>, days: i64) -> Period {
        Period {
            from: now - Duration::days(days),
            to: now,
        }
    }

    /// Reads `2026-Q3` (a quarter), `2026-11` (a month), `2026` (a year) or
    /// `2026-09-01..2026-11-30` (dates, both included).
    pub fn parse(s: &str) -> Result<Period, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "period {s:?} is not a quarter (2026-Q3), a month (2026-11), a year (2026) or dates (2026-09-01..2026-11-30)"
            )
        };
        if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (date(a)?, date(b)?);
            if b < a {
                return Err(format!("period {s:?} ends before it starts"));
            }
            let end = b.succ_opt().ok_or_else(bad)?;
            return Ok(Period {
                from: midnight(a),
                to: midnight(end),
            });
        }
        if let Some((y, q)) = s.split_once("-Q") {
            let year: i32 = y.parse().map_err(|_| bad())?;
            let q: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            let start = first_of_month(year, 3 * q - 2)?;
            let end = if q == 4 {
                first_of_month(year + 1, 1)?
            } else {
                first_of_month(year, 3 * q + 1)?
            };
            return Ok(Period {
                from: midnight(start),
                to: midnight(end),
            });
        }
        if let Some((y, m)) = s.split_once('-') {
            let start =
                first_of_month(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?)?;
            return Ok(Period {
                from: midnight(start),
                to: midnight(month_after(start)?),
            });
        }
        let year: i32 = s.parse().map_err(|_| bad())?;
        Ok(Period {
            from: midnight(first_of_month(year, 1)?),
            to: midnight(first_of_month(year + 1, 1)?),
        })
    }

    /// Whether `t` falls in it.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }

    /// Its length in days (fractional).
    pub fn days(&self) -> f64 {
        (self.to - self.from).num_seconds().max(0) as f64 / 86_400.0
    }
}

/// How a trend is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Calendar days (UTC).
    Day,
    /// ISO weeks, from Monday.
    Week,
    /// Calendar months.
    Month,
}

impl Granularity {
    /// Reads `day`, `week` or `month`.
    pub fn parse(s: &str) -> Result<Granularity, String> {
        match s {
            "day" => Ok(Granularity::Day),
            "week" => Ok(Granularity::Week),
            "month" => Ok(Granularity::Month),
            other => Err(format!("granularity {other:?} is not day, week or month")),
        }
    }

    /// The buckets that cover `p`, each labelled (`2026-11-30`, `2026-W48`, `2026-11`) and cut
    /// to `p` at both ends. At most 1,000 (a longer trend is refused by the caller).
    pub fn buckets(self, p: Period) -> Vec<(String, Period)> {
        let mut out = Vec::new();
        let mut day = p.from.date_naive();
        // Align to the bucket's start.
        day = match self {
            Granularity::Day => day,
            // Checked: a period may start at the calendar's first day.
            Granularity::Week => day
                .checked_sub_signed(Duration::days(i64::from(
                    day.weekday().num_days_from_monday(),
                )))
                .unwrap_or(day),
            Granularity::Month => first_of_month(day.year(), day.month()).unwrap_or(day),
        };
        while midnight(day) < p.to && out.len() < 1000 {
            let next = match self {
                Granularity::Day => day.succ_opt(),
                Granularity::Week => day.checked_add_signed(Duration::days(7)),
                Granularity::Month => month_after(day).ok(),
            };
            let Some(next) = next else { break };
            let label = match self {
                Granularity::Day => day.format("%Y-%m-%d").to_string(),
                Granularity::Week => {
                    let w = day.iso_week();
                    format!("{}-W{:02}", w.year(), w.week())
                }
                Granularity::Month => day.format("%Y-%m").to_string(),
            };
            out.push((
                label,
                Period {
                    from: midnight(day).max(p.from),
                    to: midnight(next).min(p.to),
                },
            ));
            day = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_of_a_period_at_the_calendar_s_first_day_do_not_overflow() {
        // chrono's first date is a Tuesday: aligning it to Monday would step before it.
        let p = Period {
            from: chrono::NaiveDate::MIN
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc())
                .unwrap(),
            to: (chrono::NaiveDate::MIN + chrono::Duration::days(2))
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc())
                .unwrap(),
        };
        assert!(!Granularity::Week.buckets(p).is_empty());
    }

    #[test]
    fn periods_read_quarters_months_years_and_dates() {
        let q = Period::parse("2026-Q4").unwrap();
        assert_eq!(q.from.to_rfc3339(), "2026-10-01T00:00:00+00:00");
        assert_eq!(q.to.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        let m = Period::parse("2026-02").unwrap();
        assert_eq!(m.days(), 28.0);
        assert_eq!(Period::parse("2026").unwrap().days(), 365.0);
        let d = Period::parse("2026-09-01..2026-09-30").unwrap();
        assert_eq!(d.days(), 30.0);
        for bad in [
            "2026-Q5",
            "2026-13",
            "Q3",
            "2026-09-30..2026-09-01",
            "yesterday",
            "",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn buckets_cover_the_period_exactly() {
        let p = Period::parse("2026-11-01..2026-11-30").unwrap();
        let weeks = Granularity::Week.buckets(p);
        assert_eq!(weeks.first().unwrap().0, "2026-W44");
        assert_eq!(weeks.first().unwrap().1.from, p.from, "cut to the period");
        assert_eq!(weeks.last().unwrap().1.to, p.to);
        let days: f64 = weeks.iter().map(|(_, b)| b.days()).sum();
        assert_eq!(days, 30.0);
        assert_eq!(
            Granularity::Month
                .buckets(Period::parse("2026-Q3").unwrap())
                .len(),
            3
        );
        assert_eq!(Granularity::Day.buckets(p).len(), 30);
    }
}
