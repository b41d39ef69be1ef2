//! Forecasts of a meter's daily usage to the end of the period, with
//! prediction intervals.
//!
//! With fewer than [`MIN_HISTORY`] days the honest forecast is the run rate
//! (the mean day so far, for the days left), labelled an estimate. With two
//! weeks or more, two exponential-smoothing models are fitted to the daily
//! totals by minimising the one-step error: a damped trend (Holt) and, with
//! three weeks, additive weekly seasonality (Holt-Winters, period 7); the
//! one that forecasts the last week better is used. Intervals come from
//! simulation: 1,000 futures are drawn by feeding the fitted model its own
//! residuals, resampled, and the 80 % and 95 % intervals of the period's
//! total are read off them. So the interval widens with the days left and
//! with how erratic the history is, with no assumption that errors are
//! normal; the seed is fixed, so the same history gives the same forecast.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use utoipa::ToSchema;

/// Days of history needed before a model is fitted.
pub const MIN_HISTORY: usize = 14;
/// Days of history needed for the weekly model.
pub const MIN_SEASONAL: usize = 21;
const SIMULATIONS: usize = 1_000;

/// How a forecast was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Not enough days to say anything yet.
    Insufficient,
    /// The mean day so far, for the days left.
    RunRate,
    /// Damped-trend exponential smoothing.
    DampedTrend,
    /// Damped trend with weekly seasonality.
    Weekly,
    /// A level (seats, storage) stays where it is until someone changes it.
    Level,
}

/// A projection of the period's total.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Projection {
    /// How it was made.
    pub method: Method,
    /// The most likely total at the period's end.
    pub expected: f64,
    /// The 80 % interval.
    pub low80: f64,
    /// The 80 % interval.
    pub high80: f64,
    /// The 95 % interval.
    pub low95: f64,
    /// The 95 % interval.
    pub high95: f64,
    /// The expected total of each day left, in order (for the chart and
    /// the date a limit is crossed).
    pub path: Vec<f64>,
}

/// Exponential smoothing with damped trend and optional weekly season.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Params {
    alpha: f64,
    beta: f64,
    phi: f64,
    gamma: f64,
    seasonal: bool,
}

/// The state after filtering a series.
struct Fit {
    level: f64,
    trend: f64,
    season: [f64; 7],
    residuals: Vec<f64>,
    sse: f64,
}

fn filter(y: &[f64], p: Params) -> Fit {
    let n0 = if p.seasonal { 7 } else { 2 };
    let head = &y[..n0.min(y.len())];
    let mean = head.iter().sum::<f64>() / head.len().max(1) as f64;
    let mut season = [0.0; 7];
    if p.seasonal {
        for (i, v) in head.iter().enumerate() {
            season[i % 7] = v - mean;
        }
    }
    let mut level = mean;
    let mut trend = if p.seasonal || y.len() < 2 { 0.0 } else { y[1] - y[0] };
    let mut residuals = Vec::with_capacity(y.len());
    let mut sse = 0.0;
    for (t, &obs) in y.iter().enumerate() {
        let s = if p.seasonal { season[t % 7] } else { 0.0 };
        let forecast = level + p.phi * trend + s;
        let err = obs - forecast;
        if t >= n0 {
            residuals.push(err);
            sse += err * err;
        }
        let new_level = p.alpha * (obs - s) + (1.0 - p.alpha) * (level + p.phi * trend);
        trend = p.beta * (new_level - level) + (1.0 - p.beta) * p.phi * trend;
        if p.seasonal {
            season[t % 7] = p.gamma * (obs - new_level) + (1.0 - p.gamma) * s;
        }
        level = new_level;
    }
    Fit { level, trend, season, residuals, sse }
}

/// The parameters with the least one-step squared error, by a coarse grid
/// (the series are short; a grid is robust and fast enough).
fn fit(y: &[f64], seasonal: bool) -> (Params, Fit) {
    let grid = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
    let mut best: Option<(Params, Fit)> = None;
    for &alpha in &grid {
        for &beta in &[0.0, 0.05, 0.1, 0.2, 0.4] {
            for &phi in &[0.8, 0.9, 0.98] {
                for &gamma in if seasonal { &[0.05, 0.1, 0.3][..] } else { &[0.0][..] } {
                    let p = Params { alpha, beta, phi, gamma, seasonal };
                    let f = filter(y, p);
                    if best.as_ref().is_none_or(|(_, b)| f.sse < b.sse) {
                        best = Some((p, f));
                    }
                }
            }
        }
    }
    // The grid is never empty.
    best.unwrap_or_else(|| {
        let p = Params { alpha: 0.3, beta: 0.1, phi: 0.9, gamma: 0.1, seasonal };
        (p, filter(y, p))
    })
}

/// Forecasts `horizon` days after `y` from a fitted state; `noise` draws the
/// error of each step (zero for the expected path).
fn simulate(fit: &Fit, p: Params, start: usize, horizon: usize, mut noise: impl FnMut() -> f64) -> Vec<f64> {
    let (mut level, mut trend, mut season) = (fit.level, fit.trend, fit.season);
    let mut out = Vec::with_capacity(horizon);
    for h in 0..horizon {
        let t = start + h;
        let s = if p.seasonal { season[t % 7] } else { 0.0 };
        let expected = level + p.phi * trend + s;
        let obs = (expected + noise()).max(0.0);
        out.push(obs);
        let new_level = p.alpha * (obs - s) + (1.0 - p.alpha) * (level + p.phi * trend);
        trend = p.beta * (new_level - level) + (1.0 - p.beta) * p.phi * trend;
        if p.seasonal {
            season[t % 7] = p.gamma * (obs - new_level) + (1.0 - p.gamma) * s;
        }
        level = new_level;
    }
    out
}

/// Mean absolute error of forecasting the last `k` days from the rest.
fn holdout_error(y: &[f64], seasonal: bool, k: usize) -> f64 {
    let cut = y.len() - k;
    let (p, f) = fit(&y[..cut], seasonal);
    let path = simulate(&f, p, cut, k, || 0.0);
    path.iter().zip(&y[cut..]).map(|(a, b)| (a - b).abs()).sum::<f64>() / k as f64
}

/// Projects the period's total of a counted meter: `history` is the daily
/// totals up to today (oldest first, today last and possibly incomplete),
/// `so_far` the period's total so far, `days_left` the whole days after
/// today in the period.
pub fn project(history: &[f64], so_far: f64, days_in_period_so_far: usize, days_left: usize) -> Projection {
    let flat = |method| Projection {
        method,
        expected: so_far,
        low80: so_far,
        high80: so_far,
        low95: so_far,
        high95: so_far,
        path: vec![],
    };
    if days_left == 0 {
        return flat(Method::RunRate);
    }
    if history.len() < MIN_HISTORY {
        if days_in_period_so_far < 3 {
            return flat(Method::Insufficient);
        }
        return run_rate(history, so_far, days_left);
    }
    let seasonal = history.len() >= MIN_SEASONAL && holdout_error(history, true, 7) < holdout_error(history, false, 7);
    let (p, f) = fit(history, seasonal);
    let mean_path = simulate(&f, p, history.len(), days_left, || 0.0);
    let residuals = if f.residuals.is_empty() { vec![0.0] } else { f.residuals.clone() };
    let mut rng = StdRng::seed_from_u64(7);
    let mut totals: Vec<f64> = (0..SIMULATIONS)
        .map(|_| {
            let path = simulate(&f, p, history.len(), days_left, || residuals[rng.gen_range(0..residuals.len())]);
            so_far + path.iter().sum::<f64>()
        })
        .collect();
    totals.sort_by(|a, b| a.total_cmp(b));
    let q = |x: f64| totals[((x * (SIMULATIONS - 1) as f64).round() as usize).min(SIMULATIONS - 1)];
    Projection {
        method: if seasonal { Method::Weekly } else { Method::DampedTrend },
        expected: so_far + mean_path.iter().sum::<f64>(),
        low80: q(0.10),
        high80: q(0.90),
        low95: q(0.025),
        high95: q(0.975),
        path: mean_path,
    }
}

/// The run rate: the mean day so far for each day left; the interval from
/// the spread of the days so far, as if they were independent.
fn run_rate(history: &[f64], so_far: f64, days_left: usize) -> Projection {
    let n = history.len().max(1) as f64;
    // `+ 0.0`: the sum of nothing is -0.0, which would print as "-0".
    let mean = history.iter().sum::<f64>() / n + 0.0;
    let var = history.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    // The sum of the days left, and the uncertainty of the mean itself.
    let sd = (var * days_left as f64 + var / n * (days_left as f64).powi(2)).sqrt();
    let expected = so_far + mean * days_left as f64;
    Projection {
        method: Method::RunRate,
        expected,
        low80: (expected - 1.2816 * sd).max(so_far),
        high80: expected + 1.2816 * sd,
        low95: (expected - 1.96 * sd).max(so_far),
        high95: expected + 1.96 * sd,
        path: vec![mean; days_left],
    }
}

/// The first day (counted from tomorrow, 1-based) on which the running total
/// reaches `limit`, following `path` from `so_far`.
pub fn crossing(so_far: f64, path: &[f64], limit: f64) -> Option<usize> {
    // A meter not in use reaches nothing, even a limit of 0.
    if so_far <= 0.0 && path.iter().all(|v| *v <= 0.0) {
        return None;
    }
    if so_far >= limit {
        return Some(0);
    }
    let mut total = so_far;
    for (i, v) in path.iter().enumerate() {
        total += v;
        if total >= limit {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise of amplitude `a` (a sum of incommensurate sines).
    fn noise(t: usize, a: f64) -> f64 {
        a * ((t as f64 * 1.7).sin() * 0.6 + (t as f64 * 0.37).cos() * 0.4)
    }

    /// Days 0..n of a series, and the true total of days n..n+left.
    fn split(f: impl Fn(usize) -> f64, n: usize, left: usize) -> (Vec<f64>, f64) {
        let history: Vec<f64> = (0..n).map(&f).collect();
        let future: f64 = (n..n + left).map(&f).sum();
        (history, future)
    }

    #[test]
    fn steady_growth_is_projected_within_five_percent_and_inside_the_80_percent_interval() {
        // 35 days of history, 100 a day growing by 3 a day, ±10 noise; the
        // period has 12 days left and 600 so far.
        let f = |t: usize| 100.0 + 3.0 * t as f64 + noise(t, 10.0);
        let (history, future) = split(f, 35, 12);
        let so_far = 600.0;
        let p = project(&history, so_far, 19, 12);
        let truth = so_far + future;
        assert_eq!(p.method, Method::DampedTrend);
        assert!((p.expected - truth).abs() / truth < 0.05, "expected {} truth {truth}", p.expected);
        assert!(p.low80 <= truth && truth <= p.high80, "{p:?} truth {truth}");
        assert!(p.low95 <= p.low80 && p.high80 <= p.high95);
    }

    #[test]
    fn a_weekly_pattern_is_recognised_and_projected_within_five_percent() {
        // Weekdays 200, weekends 40, ±8 noise: a run rate or a trend alone
        // misses the weekends left in the period.
        let f = |t: usize| if t % 7 >= 5 { 40.0 } else { 200.0 } + noise(t, 8.0);
        let (history, future) = split(f, 42, 9);
        let so_far = 2_000.0;
        let p = project(&history, so_far, 21, 9);
        let truth = so_far + future;
        assert_eq!(p.method, Method::Weekly);
        assert!((p.expected - truth).abs() / truth < 0.05, "expected {} truth {truth}", p.expected);
        assert!(p.low80 <= truth && truth <= p.high80, "{p:?} truth {truth}");
    }

    #[test]
    fn a_short_history_gives_a_run_rate_and_the_first_days_nothing() {
        let p = project(&[10.0, 12.0, 11.0, 9.0], 42.0, 4, 26);
        assert_eq!(p.method, Method::RunRate);
        assert!((p.expected - (42.0 + 10.5 * 26.0)).abs() < 1e-9);
        assert!(p.low80 < p.expected && p.expected < p.high80);
        assert_eq!(project(&[5.0], 5.0, 1, 29).method, Method::Insufficient);
    }

    #[test]
    fn the_interval_widens_with_the_days_left() {
        let f = |t: usize| 50.0 + noise(t, 15.0);
        let (history, _) = split(f, 28, 0);
        let near = project(&history, 0.0, 20, 3);
        let far = project(&history, 0.0, 5, 25);
        assert!(far.high80 - far.low80 > near.high80 - near.low80);
    }

    #[test]
    fn the_crossing_day_is_the_first_on_which_the_total_reaches_the_limit() {
        assert_eq!(crossing(90.0, &[5.0, 5.0, 5.0], 100.0), Some(2));
        assert_eq!(crossing(100.0, &[], 100.0), Some(0));
        assert_eq!(crossing(10.0, &[1.0, 1.0], 100.0), None);
    }
}
