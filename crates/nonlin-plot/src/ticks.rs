//! Tick positions and labels as matplotlib's defaults choose them (`AutoLocator` = `MaxNLocator(nbins='auto',
//! steps=[1, 2, 2.5, 5, 10])`, and `ScalarFormatter` with a Unicode minus).

/// `MaxNLocator.tick_values(vmin, vmax)` with at most `nbins` intervals; returns ticks that may lie slightly
/// outside the view, as matplotlib's do (the caller keeps those inside).
pub fn max_n_locator(vmin: f64, vmax: f64, nbins: usize) -> Vec<f64> {
    let (vmin, vmax) = if vmin <= vmax { (vmin, vmax) } else { (vmax, vmin) };
    if !(vmax - vmin).is_finite() || vmax == vmin {
        return vec![vmin];
    }
    let nbins = nbins.max(1) as f64;
    // scale_range
    let dv = vmax - vmin;
    let meanv = (vmax + vmin) / 2.0;
    let offset = if meanv.abs() / dv < 100.0 { 0.0 } else { 10f64.powf(meanv.abs().log10().floor()).copysign(meanv) };
    let scale = 10f64.powf((dv / nbins).log10().floor());
    let (lo, hi) = (vmin - offset, vmax - offset);
    let raw_step = (hi - lo) / nbins;
    let steps: Vec<f64> = [0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0].iter().map(|s| s * scale).collect();
    let istep = steps.iter().position(|&s| s >= raw_step).unwrap_or(steps.len() - 1);
    let tol = if offset > 0.0 { (10f64.powf((offset / raw_step).log10() - 12.0)).clamp(1e-10, 0.4999) } else { 1e-10 };
    let mut ticks = Vec::new();
    for &step in steps[..=istep].iter().rev() {
        let best_vmin = (lo / step).floor() * step;
        let edge_le = |x: f64| {
            let (d, m) = ((x / step).floor(), x.rem_euclid(step));
            if (m / step - 1.0).abs() < tol { d + 1.0 } else { d }
        };
        let edge_ge = |x: f64| {
            let (d, m) = ((x / step).floor(), x.rem_euclid(step));
            if (m / step).abs() < tol { d } else { d + 1.0 }
        };
        let low = edge_le(lo - best_vmin);
        let high = edge_ge(hi - best_vmin);
        ticks = ((low as i64)..=(high as i64)).map(|i| i as f64 * step + best_vmin).collect();
        let inside = ticks.iter().filter(|&&t| t >= lo && t <= hi).count();
        if inside >= 2 {
            break;
        }
    }
    ticks.iter().map(|t| t + offset).collect()
}

/// Labels for ticks: the fewest decimals that tell them apart (as `ScalarFormatter` picks), with matplotlib's
/// Unicode minus sign; `%g`-style for very large or small magnitudes.
pub fn labels(ticks: &[f64]) -> Vec<String> {
    let max = ticks.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    let minus = |s: String| s.replacen('-', "\u{2212}", 1);
    if max != 0.0 && !(1e-4..1e5).contains(&max) {
        return ticks.iter().map(|t| minus(format!("{t:e}"))).collect();
    }
    let step = ticks.windows(2).map(|w| (w[1] - w[0]).abs()).fold(f64::INFINITY, f64::min);
    let decimals = (0..=6)
        .find(|&d| {
            let factor = 10f64.powi(d);
            step.is_infinite() || ((step * factor) - (step * factor).round()).abs() < 1e-6 * step * factor
        })
        .unwrap_or(6) as usize;
    ticks
        .iter()
        .map(|&t| {
            let t = if t.abs() < step * 1e-9 { 0.0 } else { t };
            minus(format!("{t:.decimals$}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected ticks are matplotlib 3.11's for the same limits (`tools/reference/mpl_relu.py` prints the ReLU
    /// figure's: x [−6 … 6] step 2, y [−1 … 6] step 1).
    #[test]
    fn matches_matplotlib_for_the_tutorial_figure() {
        assert_eq!(max_n_locator(-5.5, 5.5, 9), vec![-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0]);
        assert_eq!(max_n_locator(-0.25, 5.25, 9), vec![-1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn labels_use_the_fewest_decimals_and_a_unicode_minus() {
        assert_eq!(labels(&[-4.0, -2.0, 0.0, 2.0]), ["\u{2212}4", "\u{2212}2", "0", "2"]);
        assert_eq!(labels(&[0.0, 0.25, 0.5]), ["0.00", "0.25", "0.50"]);
        assert_eq!(labels(&[-0.5, 0.0, 0.5, 1.0]), ["\u{2212}0.5", "0.0", "0.5", "1.0"]);
    }
}
