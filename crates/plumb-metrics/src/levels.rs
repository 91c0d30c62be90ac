//! The performance levels of the DORA research programme's 2023 report, as Apache DevLake
//! stores them (its `dora_benchmarks`, which closes the gaps and overlaps of the published
//! table). Data, not code: a later benchmark is another table.

use serde::Serialize;

/// A performance level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Elite.
    Elite,
    /// High.
    High,
    /// Medium.
    Medium,
    /// Low.
    Low,
}

/// The benchmark the levels come from.
pub const BENCHMARK: &str = "DORA 2023 (as Apache DevLake's dora_benchmarks)";

/// Deployment days per week: elite at 5 or more (on demand), high at 1 or more (daily to
/// weekly), medium at one a month or more, low below.
pub fn deployment_frequency(days_per_week: f64) -> Level {
    if days_per_week >= 5.0 {
        Level::Elite
    } else if days_per_week >= 1.0 {
        Level::High
    } else if days_per_week >= 7.0 / 30.0 {
        Level::Medium
    } else {
        Level::Low
    }
}

/// Median lead time for changes, in hours: under a day, under a week, under a month, more.
pub fn lead_time(median_hours: f64) -> Level {
    under(median_hours, [24.0, 24.0 * 7.0, 24.0 * 30.0])
}

/// Change failure rate (0..1): at most 5 %, 10 %, 15 %, more.
pub fn change_failure_rate(rate: f64) -> Level {
    if rate <= 0.05 {
        Level::Elite
    } else if rate <= 0.10 {
        Level::High
    } else if rate <= 0.15 {
        Level::Medium
    } else {
        Level::Low
    }
}

/// Median failed deployment recovery time, in hours: under an hour, a day, a week, more.
pub fn recovery_time(median_hours: f64) -> Level {
    under(median_hours, [1.0, 24.0, 24.0 * 7.0])
}

fn under(v: f64, bounds: [f64; 3]) -> Level {
    if v < bounds[0] {
        Level::Elite
    } else if v < bounds[1] {
        Level::High
    } else if v < bounds[2] {
        Level::Medium
    } else {
        Level::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_fall_on_the_documented_side() {
        assert_eq!(deployment_frequency(5.0), Level::Elite);
        assert_eq!(deployment_frequency(4.9), Level::High);
        assert_eq!(deployment_frequency(1.0), Level::High);
        assert_eq!(deployment_frequency(0.25), Level::Medium);
        assert_eq!(deployment_frequency(0.2), Level::Low);
        assert_eq!(lead_time(23.9), Level::Elite);
        assert_eq!(lead_time(24.0), Level::High);
        assert_eq!(lead_time(24.0 * 30.0), Level::Low);
        assert_eq!(change_failure_rate(0.05), Level::Elite);
        assert_eq!(change_failure_rate(0.151), Level::Low);
        assert_eq!(recovery_time(0.5), Level::Elite);
        assert_eq!(recovery_time(24.0 * 7.0), Level::Low);
    }
}
