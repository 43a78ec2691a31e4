//! Least-squares trends and what "flat" means for a soak's per-bucket series.
//!
//! A series is flat when the growth its fitted line shows over the whole run (slope × span)
//! is within its noise: twice the standard deviation of the values around that line, or a
//! floor for series so smooth that any wiggle would count (a share of the mean). A series
//! that falls is flat too: memory given back or latency that improves is no regression.

/// `y = intercept + slope × x`, fitted by least squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub slope: f64,
    pub intercept: f64,
    /// Standard deviation of the residuals (n − 2 degrees of freedom).
    pub residual_sd: f64,
}

/// The least-squares line through `points`; `None` with fewer than three points or a single
/// `x`.
pub fn fit(points: &[(f64, f64)]) -> Option<Fit> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / nf;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let ssr: f64 = points
        .iter()
        .map(|p| (p.1 - intercept - slope * p.0).powi(2))
        .sum();
    Some(Fit {
        slope,
        intercept,
        residual_sd: (ssr / (nf - 2.0)).sqrt(),
    })
}

/// A series' trend against its noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub mean: f64,
    /// Per hour of the run.
    pub slope_per_hour: f64,
    /// What the line gains from the first bucket to the last.
    pub drift: f64,
    /// How much drift counts as noise.
    pub tolerance: f64,
    pub flat: bool,
}

/// The trend of `(seconds, value)` points; `floor_share` of the mean is the least tolerance.
/// `None` when there are too few points to fit (then nothing can be said).
pub fn trend(points: &[(f64, f64)], floor_share: f64) -> Option<Trend> {
    let fit = fit(points)?;
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let first = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let last = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let drift = fit.slope * (last - first);
    let tolerance = (2.0 * fit.residual_sd).max(floor_share * mean.abs());
    Some(Trend {
        mean,
        slope_per_hour: fit.slope * 3600.0,
        drift,
        tolerance,
        flat: drift <= tolerance,
    })
}

/// Where `values` (any order) have their `q`-quantile (0..=1), nearest rank.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, slope: f64, noise: impl Fn(usize) -> f64) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let x = i as f64 * 60.0;
                (x, 100.0 + slope * x + noise(i))
            })
            .collect()
    }

    #[test]
    fn fits_an_exact_line() {
        let f = fit(&line(10, 0.5, |_| 0.0)).unwrap();
        assert!((f.slope - 0.5).abs() < 1e-9);
        assert!((f.intercept - 100.0).abs() < 1e-9);
        assert!(f.residual_sd < 1e-9);
        assert_eq!(fit(&[(0.0, 1.0), (1.0, 2.0)]), None);
        assert_eq!(fit(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn noise_without_growth_is_flat() {
        // Alternating ±10 around 100: no trend, plenty of noise.
        let points = line(60, 0.0, |i| if i % 2 == 0 { 10.0 } else { -10.0 });
        let t = trend(&points, 0.0).unwrap();
        assert!(t.flat, "{t:?}");
        assert!(t.drift.abs() < t.tolerance);
    }

    #[test]
    fn steady_growth_is_not_flat() {
        // +1 per minute for an hour with ±1 of noise: 59 up, far beyond 2 × 1.
        let points = line(60, 1.0 / 60.0, |i| if i % 2 == 0 { 1.0 } else { -1.0 });
        let t = trend(&points, 0.0).unwrap();
        assert!(!t.flat, "{t:?}");
        assert!((t.slope_per_hour - 60.0).abs() < 1.0);
        assert!((t.drift - 59.0).abs() < 1.0);
    }

    #[test]
    fn the_floor_absorbs_tiny_growth_of_a_smooth_series() {
        // +0.5 over the run on a mean near 100, no noise: 0.5 % growth.
        let points = line(12, 0.5 / (11.0 * 60.0), |_| 0.0);
        assert!(!trend(&points, 0.0).unwrap().flat);
        assert!(trend(&points, 0.02).unwrap().flat);
    }

    #[test]
    fn falling_is_flat() {
        let points = line(30, -1.0, |_| 0.0);
        assert!(trend(&points, 0.0).unwrap().flat);
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(quantile(&values, 0.5), Some(50.0));
        assert_eq!(quantile(&values, 0.99), Some(99.0));
        assert_eq!(quantile(&values, 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
