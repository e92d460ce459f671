//! Axis ranges, tick positions and tick labels.
//!
//! A log axis is a linear axis over `log10` of the values: the plot code transforms the data,
//! and only the tick labels show the original numbers.

/// One axis: its title, its range in plot coordinates, and its ticks with their labels.
pub(crate) struct Axis {
    pub label: String,
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<(f64, String)>,
}

impl Axis {
    /// A linear axis showing `[min, max]` with `pad` (a fraction of the span) on each side,
    /// with at most `max_ticks` "nice" ticks (1, 2, 2.5 or 5 times a power of ten; whole
    /// numbers only if `integer`).
    pub fn linear(
        label: &str,
        min: f64,
        max: f64,
        pad: f64,
        integer: bool,
        max_ticks: usize,
    ) -> Axis {
        let (lo, hi) = padded(min, max, pad, integer);
        let ticks = linear_ticks(lo, hi, integer, max_ticks);
        Axis {
            label: label.to_string(),
            lo,
            hi,
            ticks,
        }
    }

    /// A log axis for positive values in `[min, max]`: plot coordinates are `log10(value)`.
    pub fn log(label: &str, min: f64, max: f64, pad: f64, max_ticks: usize) -> Axis {
        let (mut lo, mut hi) = (min.log10(), max.log10());
        if !(lo.is_finite() && hi.is_finite()) {
            (lo, hi) = (-1.0, 1.0);
        }
        if hi - lo < 1e-9 {
            lo -= 0.5;
            hi += 0.5;
        }
        let span = hi - lo;
        let (lo, hi) = (lo - pad * span, hi + pad * span);
        let ticks = log_ticks(lo, hi, max_ticks);
        Axis {
            label: label.to_string(),
            lo,
            hi,
            ticks,
        }
    }

    /// The label of the tick at `v`: plotters asks by value.
    pub fn label_at(&self, v: f64) -> String {
        self.ticks
            .iter()
            .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }

    pub fn tick_values(&self) -> Vec<f64> {
        self.ticks.iter().map(|t| t.0).collect()
    }
}

/// `[min, max]` widened by `pad` of the span on each side; an empty or flat range gets a
/// sensible width.
fn padded(min: f64, max: f64, pad: f64, integer: bool) -> (f64, f64) {
    let (mut min, mut max) = (min, max);
    if !(min.is_finite() && max.is_finite()) || min > max {
        (min, max) = (0.0, 1.0);
    }
    if max - min <= 1e-12 * (min.abs() + max.abs()) || max == min {
        let half = if integer {
            0.5
        } else if min == 0.0 {
            1.0
        } else {
            0.1 * min.abs()
        };
        return (min - half, max + half);
    }
    let span = max - min;
    (min - pad * span, max + pad * span)
}

/// The smallest "nice" step (1, 2, 2.5, 5 x 10^k) that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0] {
        if m * mag >= raw * (1.0 - 1e-9) {
            return m * mag;
        }
    }
    10.0 * mag
}

fn linear_ticks(lo: f64, hi: f64, integer: bool, max_ticks: usize) -> Vec<(f64, String)> {
    let max_ticks = max_ticks.max(2);
    let mut step = nice_step((hi - lo) / max_ticks as f64);
    if integer {
        step = step.max(1.0).round();
        if step == 3.0 {
            step = 2.0; // 2.5 rounded up: keep the 1-2-5 pattern
        }
    }
    loop {
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        if last - first < max_ticks as i64 || last < first {
            let decimals = decimals_for(step);
            return (first..=last)
                .map(|k| {
                    let v = k as f64 * step;
                    (v, format_number(v, decimals))
                })
                .collect();
        }
        step = nice_step(step * 1.01);
    }
}

/// How many decimals show every multiple of `step` exactly (2.5 -> 1, 0.25 -> 2).
fn decimals_for(step: f64) -> usize {
    (0..12)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(12)
}

/// A tick value: plain decimals for ordinary sizes, `2.5e-5` style for tiny or huge ones.
fn format_number(v: f64, decimals: usize) -> String {
    let a = v.abs();
    if a < 1e-12 {
        return format!("{:.*}", decimals, 0.0);
    }
    if !(1e-4..1e6).contains(&a) {
        return format_sci(v);
    }
    let s = format!("{:.*}", decimals, v);
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// `v` with up to 3 significant digits, scientific form: `1e-5`, `2.5e6`.
fn format_sci(v: f64) -> String {
    let exp = v.abs().log10().floor() as i32;
    let mut mant = v / 10f64.powi(exp);
    mant = (mant * 100.0).round() / 100.0;
    let mant = format!("{mant}");
    let mant = mant.trim_end_matches('0').trim_end_matches('.');
    if mant == "1" {
        format!("1e{exp}")
    } else {
        format!("{mant}e{exp}")
    }
}

/// `v` rounded to `digits` significant digits.
pub(crate) fn round_sig(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// A value with `digits` significant digits, as a short label (colour bar ticks).
pub(crate) fn format_sig(v: f64, digits: i32) -> String {
    let r = round_sig(v, digits);
    if r == 0.0 {
        return "0".to_string();
    }
    let exp = r.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        return format_sci(r);
    }
    let decimals = (digits - 1 - exp).max(0) as usize;
    format!("{:.*}", decimals, r)
}

/// Ticks of a log axis whose plot coordinates run from `lo` to `hi` (in decades).
fn log_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<(f64, String)> {
    let first = lo.ceil() as i32;
    let last = hi.floor() as i32;
    let decades: Vec<i32> = (first..=last).collect();
    let decade_ticks = |decades: Vec<i32>| {
        let every = decades.len().div_ceil(max_ticks.max(2)) as i32;
        let plain = decades.iter().all(|&k| (-3..=3).contains(&k));
        decades
            .into_iter()
            .filter(|k| k.rem_euclid(every) == 0)
            .map(|k| {
                let label = if plain {
                    format_number(10f64.powi(k), (-k).max(0) as usize)
                } else {
                    power_of_ten(k)
                };
                (k as f64, label)
            })
            .collect::<Vec<_>>()
    };
    if decades.len() >= 4 {
        return decade_ticks(decades);
    }
    // A few decades: 1-2-5 if they fit, else decades, else every mantissa, else linear ticks.
    let with_mantissas = |mantissas: &[f64]| {
        let mut ticks = Vec::new();
        for k in (first - 1)..=(last + 1) {
            for &m in mantissas {
                let v = m * 10f64.powi(k);
                let p = v.log10();
                if p >= lo - 1e-9 && p <= hi + 1e-9 {
                    ticks.push((p, format_number(v, (-k).max(0) as usize)));
                }
            }
        }
        ticks
    };
    let ticks = with_mantissas(&[1.0, 2.0, 5.0]);
    if ticks.len() >= 3 && ticks.len() <= max_ticks {
        return ticks;
    }
    if decades.len() >= 2 {
        return decade_ticks(decades);
    }
    let ticks = with_mantissas(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    if ticks.len() >= 3 && ticks.len() <= max_ticks {
        return ticks;
    }
    let (vlo, vhi) = (10f64.powf(lo), 10f64.powf(hi));
    linear_ticks(vlo, vhi, false, max_ticks.min(5))
        .into_iter()
        .filter(|(v, _)| *v > 0.0)
        .map(|(v, s)| (v.log10(), s))
        .collect()
}

/// `10⁻⁵`, with Unicode superscripts (in the embedded font).
fn power_of_ten(k: i32) -> String {
    let sup: String = k
        .to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect();
    format!("10{sup}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &Axis) -> Vec<String> {
        axis.ticks.iter().map(|t| t.1.clone()).collect()
    }

    #[test]
    fn linear_ticks_are_nice() {
        let a = Axis::linear("x", 0.0, 10.0, 0.0, false, 6);
        assert_eq!(labels(&a), ["0", "2", "4", "6", "8", "10"]);
        let a = Axis::linear("x", 0.0, 1.0, 0.0, false, 6);
        assert_eq!(labels(&a), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        let a = Axis::linear("x", -1.0, 1.0, 0.0, false, 5);
        assert_eq!(labels(&a), ["-1.0", "-0.5", "0.0", "0.5", "1.0"]);
    }

    #[test]
    fn integer_axis_has_whole_ticks() {
        let a = Axis::linear("epoch", 1.0, 3.0, 0.03, true, 8);
        assert_eq!(labels(&a), ["1", "2", "3"]);
        let a = Axis::linear("epoch", 1.0, 1.0, 0.03, true, 8);
        assert_eq!(labels(&a), ["1"]);
        let a = Axis::linear("epoch", 1.0, 1000.0, 0.03, true, 8);
        assert_eq!(labels(&a), ["0", "200", "400", "600", "800", "1000"]);
    }

    #[test]
    fn log_ticks_are_decades() {
        let a = Axis::log("loss", 1e-3, 10.0, 0.0, 8);
        assert_eq!(labels(&a), ["0.001", "0.01", "0.1", "1", "10"]);
        let a = Axis::log("loss", 1e-6, 1.0, 0.0, 8);
        assert_eq!(
            labels(&a),
            ["10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰"]
        );
        let a = Axis::log("loss", 0.2, 8.0, 0.0, 8);
        assert_eq!(labels(&a), ["0.2", "0.5", "1", "2", "5"]);
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(format_number(0.0001, 4), "0.0001");
        assert_eq!(format_number(2.5e-5, 6), "2.5e-5");
        assert_eq!(format_number(1e6, 0), "1e6");
        assert_eq!(format_sig(1234.5, 2), "1200");
        assert_eq!(format_sig(0.012345, 2), "0.012");
        assert_eq!(format_sig(3.0, 2), "3.0");
    }
}
