//! Plots for the lessons (feature `plot`): loss curves, fitted lines and curves, the loss
//! surface of a linear model with the path gradient descent took, and learning-rate sweeps.
//!
//! Every function returns a [`Figure`]: a 640x400 picture rendered both as SVG (sharp in
//! JupyterLab) and as PNG (the only image GitHub shows from a notebook). As the last
//! expression of a notebook cell, a `Figure` shows itself through
//! [`evcxr_display`](Figure::evcxr_display). The font is compiled in, so no system fonts
//! are needed, and the same data always gives byte-identical files.
//!
//! | function | shows |
//! | --- | --- |
//! | [`loss_curve`], [`loss_curve_titled`], [`loss_curve_log`] | loss per epoch, one line per series |
//! | [`fit_plot`] | data points and lines `y = w x + b` |
//! | [`curve_plot`] | data points and curves given point by point |
//! | [`loss_surface`] | MSE over `(w, b)` as a heat map, with a descent path |
//! | [`lr_comparison`] | loss curves for several learning rates, diverging runs marked |
//!
//! Missing values are not errors: `NaN` and infinite numbers are left out (a line breaks
//! there), and empty inputs give empty axes. Only inputs that cannot mean anything panic
//! with a message: `x` and `y` of different lengths, or a loss surface without data.
//!
//! ```
//! use autograd_core::plot;
//!
//! let losses: Vec<f32> = (0..50).map(|e| 2.0 * 0.9f32.powi(e) + 0.1).collect();
//! let fig = plot::loss_curve(&[("train", &losses)]);
//! assert!(fig.svg().starts_with("<svg"));
//! assert!(fig.png().starts_with(b"\x89PNG"));
//! // In a notebook cell, end with `fig` to show it; or save it:
//! fig.save(std::env::temp_dir().join("loss.png")).unwrap();
//! ```

mod axis;
mod chart;
mod encode;
mod text;

use std::fmt;
use std::io;
use std::path::Path;

use crate::notebook::evcxr_block;

use axis::{round_sig, Axis};
use chart::{render, Heat, Layer, Note, Plot, PALETTE};
// For drawings other than plots (the graph of a tensor, in `graph.rs`).
pub(crate) use chart::{render_picture, Picture};
pub(crate) use text::{plotters_size, text_width, FAMILY};

/// A rendered plot: the same picture as SVG text and as PNG bytes.
///
/// ```
/// use autograd_core::plot;
/// let fig = plot::fit_plot(&[0.0, 1.0, 2.0], &[0.1, 1.9, 4.2], &[("fit", 2.0, 0.0)]);
/// assert_eq!(fig.size(), (640, 400));
/// assert!(fig.svg().contains("fit"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Figure {
    svg: String,
    png: Vec<u8>,
    width: u32,
    height: u32,
}

impl Figure {
    /// The picture as an SVG document (starts with `<svg`).
    ///
    /// ```
    /// let fig = autograd_core::plot::loss_curve(&[("train", &[1.0, 0.5, 0.25])]);
    /// assert!(fig.svg().starts_with("<svg") && fig.svg().trim_end().ends_with("</svg>"));
    /// ```
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The picture as a PNG file (8-bit RGB).
    ///
    /// ```
    /// let fig = autograd_core::plot::loss_curve(&[("train", &[1.0, 0.5, 0.25])]);
    /// assert_eq!(&fig.png()[..8], b"\x89PNG\r\n\x1a\n");
    /// ```
    pub fn png(&self) -> &[u8] {
        &self.png
    }

    /// Width and height in pixels (of the PNG, and of the SVG's canvas).
    ///
    /// ```
    /// let fig = autograd_core::plot::loss_curve(&[("train", &[1.0, 0.5])]);
    /// assert_eq!(fig.size(), (640, 400));
    /// ```
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Shows the figure in a Jupyter notebook run by the evcxr kernel, which calls this for
    /// the value of a cell's last expression. It prints both an `image/svg+xml` and an
    /// `image/png` block; the notebook keeps both, and each viewer shows the one it prefers
    /// (JupyterLab the SVG, GitHub the PNG).
    ///
    /// ```
    /// let fig = autograd_core::plot::loss_curve(&[("train", &[1.0, 0.5])]);
    /// fig.evcxr_display(); // prints EVCXR_BEGIN_CONTENT image/svg+xml ... EVCXR_END_CONTENT
    /// ```
    pub fn evcxr_display(&self) {
        // One `println!`, so that no other output can land between the blocks.
        println!("{}", self.evcxr_blocks());
    }

    /// The SVG block, then the PNG block (base64) in evcxr's protocol.
    fn evcxr_blocks(&self) -> String {
        format!(
            "{}\n{}",
            evcxr_block("image/svg+xml", self.svg.trim_end()),
            evcxr_block("image/png", &encode::base64(&self.png))
        )
    }

    /// Writes the figure to `path`: SVG if it ends in `.svg`, PNG if it ends in `.png`
    /// (either case); any other extension is an `InvalidInput` error.
    ///
    /// ```
    /// let fig = autograd_core::plot::loss_curve(&[("train", &[1.0, 0.5])]);
    /// let dir = std::env::temp_dir();
    /// fig.save(dir.join("doc_loss.svg")).unwrap();
    /// fig.save(dir.join("doc_loss.png")).unwrap();
    /// assert!(fig.save(dir.join("doc_loss.jpg")).is_err());
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => std::fs::write(path, &self.svg),
            Some("png") => std::fs::write(path, &self.png),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "Figure::save: {} should end in .svg or .png",
                    path.display()
                ),
            )),
        }
    }
}

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Figure({}x{}, svg: {} bytes, png: {} bytes)",
            self.width,
            self.height,
            self.svg.len(),
            self.png.len()
        )
    }
}

/// Loss per epoch: one line per `(label, losses)` series, `losses[0]` at epoch 1, with a
/// legend. The y axis is logarithmic if the losses span more than 3 decades (all positive).
///
/// ```
/// use autograd_core::plot;
/// let train: Vec<f32> = (0..100).map(|e| 1.0 / (1.0 + e as f32)).collect();
/// let val: Vec<f32> = train.iter().map(|l| l * 1.2 + 0.05).collect();
/// let fig = plot::loss_curve(&[("train", &train), ("validation", &val)]);
/// assert!(fig.svg().contains("epoch") && fig.svg().contains("validation"));
/// ```
pub fn loss_curve(series: &[(&str, &[f32])]) -> Figure {
    render(&loss_plot(None, &per_epoch(series), None))
}

/// [`loss_curve`] with a title above the plot.
///
/// ```
/// let losses = [0.9f32, 0.5, 0.3, 0.25];
/// let fig = autograd_core::plot::loss_curve_titled("Linear regression", &[("train", &losses)]);
/// assert!(fig.svg().contains("Linear regression"));
/// ```
pub fn loss_curve_titled(title: &str, series: &[(&str, &[f32])]) -> Figure {
    render(&loss_plot(Some(title), &per_epoch(series), None))
}

/// [`loss_curve`] with a logarithmic y axis whatever the range. Losses that are zero or
/// negative are drawn on the bottom edge.
///
/// ```
/// let losses = [0.9f32, 0.5, 0.3, 0.25];
/// let fig = autograd_core::plot::loss_curve_log(&[("train", &losses)]);
/// assert!(fig.svg().contains("loss"));
/// ```
pub fn loss_curve_log(series: &[(&str, &[f32])]) -> Figure {
    render(&loss_plot(None, &per_epoch(series), Some(true)))
}

/// Loss per step and per epoch on one plot, over epochs, with a logarithmic y axis: each
/// `(label, losses, per_epoch)` series has `per_epoch` values per epoch, value `k` drawn at
/// epoch `(k + 1) / per_epoch`. A loss per epoch has `per_epoch` 1; a mini-batch run's loss per
/// step has the number of batches per epoch (`loader.len()`), so its steps fall between the
/// epochs. Panics if a `per_epoch` is 0.
///
/// ```
/// use autograd_core::plot;
/// let per_step: Vec<f32> = (0..50).map(|s| 1.0 / (1.0 + s as f32)).collect(); // 10 per epoch
/// let per_epoch: Vec<f32> = (0..5).map(|e| 1.0 / (1.0 + e as f32)).collect();
/// let fig = plot::loss_curve_steps(&[("mini-batch, per step", &per_step, 10), ("full batch", &per_epoch, 1)]);
/// assert!(fig.svg().contains("per step") && fig.svg().contains("epoch"));
/// ```
pub fn loss_curve_steps(series: &[(&str, &[f32], usize)]) -> Figure {
    assert!(
        series.iter().all(|s| s.2 > 0),
        "loss_curve_steps: values per epoch must be at least 1"
    );
    render(&loss_plot(None, series, Some(true)))
}

/// Series of one value per epoch, as [`loss_plot`] takes them.
fn per_epoch<'a>(series: &[(&'a str, &'a [f32])]) -> Vec<(&'a str, &'a [f32], usize)> {
    series
        .iter()
        .map(|&(label, values)| (label, values, 1))
        .collect()
}

/// Data points `(x[i], y[i])` and, for each `(label, w, b)`, the line `y = w x + b` across
/// the plot: e.g. the model at a few chosen epochs. Axes "x" and "y", with a legend.
///
/// Panics if `x` and `y` have different lengths.
///
/// ```
/// use autograd_core::plot;
/// let x = [0.0f32, 1.0, 2.0, 3.0];
/// let y = [1.1f32, 2.9, 5.2, 6.8];
/// let fig = plot::fit_plot(&x, &y, &[("epoch 0", 0.0, 0.0), ("epoch 100", 1.95, 1.05)]);
/// assert!(fig.svg().contains("epoch 100"));
/// ```
pub fn fit_plot(x: &[f32], y: &[f32], lines: &[(&str, f32, f32)]) -> Figure {
    assert_eq!(
        x.len(),
        y.len(),
        "fit_plot: x has {} values but y has {}",
        x.len(),
        y.len()
    );
    let data = finite_pairs(x, y);
    let (xmin, xmax) = min_max(data.iter().map(|p| p.0)).unwrap_or((0.0, 1.0));
    let xaxis = Axis::linear("x", xmin, xmax, 0.05, false, 8);
    let (xa, xb) = (xaxis.lo, xaxis.hi);

    let mut layers = vec![Layer::Points {
        label: "data".into(),
        points: data.clone(),
        color: PALETTE[0],
    }];
    let mut line_ys = Vec::new();
    for (i, &(label, w, b)) in lines.iter().enumerate() {
        let (w, b) = (w as f64, b as f64);
        let seg: Vec<(f64, f64)> = [xa, xb].iter().map(|&x| (x, w * x + b)).collect();
        if seg.iter().all(|p| p.1.is_finite()) {
            line_ys.extend(seg.iter().map(|p| p.1));
            layers.push(Layer::Line {
                label: label.into(),
                segments: vec![seg],
                color: PALETTE[(i + 1) % PALETTE.len()],
                clipped_at: None,
            });
        } else {
            layers.push(Layer::Line {
                label: label.into(),
                segments: vec![],
                color: PALETTE[(i + 1) % PALETTE.len()],
                clipped_at: None,
            });
        }
    }
    let (ymin, ymax) = y_extent(data.iter().map(|p| p.1), line_ys.into_iter());
    let plot = Plot {
        title: None,
        x: xaxis,
        y: Axis::linear("y", ymin, ymax, 0.05, false, 6),
        layers,
        notes: vec![],
        heat: None,
    };
    render(&plot)
}

/// Data points `(x[i], y[i])` and curves, each `(label, xs, ys)` joined point by point in
/// the order given (sort by x for the graph of a function): e.g. an MLP's predictions on a
/// grid. Axes "x" and "y", with a legend.
///
/// Panics if `x` and `y`, or a curve's `xs` and `ys`, have different lengths.
///
/// ```
/// use autograd_core::plot;
/// let x: Vec<f32> = (0..20).map(|i| i as f32 / 4.0).collect();
/// let y: Vec<f32> = x.iter().map(|v| v.sin()).collect();
/// let grid: Vec<f32> = (0..100).map(|i| i as f32 / 20.0).collect();
/// let pred: Vec<f32> = grid.iter().map(|v| 0.9 * v.sin()).collect();
/// let fig = plot::curve_plot(&x, &y, &[("MLP", &grid, &pred)]);
/// assert!(fig.svg().contains("MLP"));
/// ```
pub fn curve_plot(x: &[f32], y: &[f32], curves: &[(&str, &[f32], &[f32])]) -> Figure {
    assert_eq!(
        x.len(),
        y.len(),
        "curve_plot: x has {} values but y has {}",
        x.len(),
        y.len()
    );
    for (label, xs, ys) in curves {
        assert_eq!(
            xs.len(),
            ys.len(),
            "curve_plot: curve {label:?} has {} x values but {} y values",
            xs.len(),
            ys.len()
        );
    }
    let data = finite_pairs(x, y);
    let curve_pts: Vec<Vec<(f64, f64)>> = curves
        .iter()
        .map(|(_, xs, ys)| finite_pairs(xs, ys))
        .collect();
    let all_x = data.iter().chain(curve_pts.iter().flatten()).map(|p| p.0);
    let (xmin, xmax) = min_max(all_x).unwrap_or((0.0, 1.0));
    let (ymin, ymax) = y_extent(
        data.iter().map(|p| p.1),
        curve_pts.iter().flatten().map(|p| p.1),
    );

    let mut layers = vec![Layer::Points {
        label: "data".into(),
        points: data,
        color: PALETTE[0],
    }];
    for (i, (label, xs, ys)) in curves.iter().enumerate() {
        let points: Vec<(f64, f64)> = xs
            .iter()
            .zip(ys.iter())
            .map(|(&a, &b)| (a as f64, b as f64))
            .collect();
        layers.push(Layer::Line {
            label: (*label).into(),
            segments: split_finite(points),
            color: PALETTE[(i + 1) % PALETTE.len()],
            clipped_at: None,
        });
    }
    let plot = Plot {
        title: None,
        x: Axis::linear("x", xmin, xmax, 0.05, false, 8),
        y: Axis::linear("y", ymin, ymax, 0.05, false, 6),
        layers,
        notes: vec![],
        heat: None,
    };
    render(&plot)
}

/// The loss surface of the model `y = w x + b`: the MSE `mean((w x + b - y)²)` over a grid of
/// `(w, b)` as a heat map with iso-lines and a colour bar, the gradient-descent `path` (the
/// `(w, b)` after each step) drawn on top with its start and end labelled, and the
/// least-squares minimum marked. The grid is chosen to hold the path and the minimum.
///
/// Panics if `x` and `y` have different lengths or hold no finite pair.
///
/// ```
/// use autograd_core::plot;
/// let x = [1.0f32, 2.0, 3.0, 4.0];
/// let y = [3.0f32, 5.0, 7.0, 9.0]; // y = 2x + 1
/// let path = [(0.0f32, 0.0f32), (1.2, 0.4), (1.7, 0.7), (1.9, 0.9)];
/// let fig = plot::loss_surface(&x, &y, &path);
/// assert!(fig.svg().contains("start") && fig.svg().contains("end"));
/// ```
pub fn loss_surface(x: &[f32], y: &[f32], path: &[(f32, f32)]) -> Figure {
    assert_eq!(
        x.len(),
        y.len(),
        "loss_surface: x has {} values but y has {}",
        x.len(),
        y.len()
    );
    let data = finite_pairs(x, y);
    assert!(
        !data.is_empty(),
        "loss_surface: needs at least one data point (x[i], y[i]) with finite values"
    );
    let n = data.len() as f64;
    let mean = |f: &dyn Fn(&(f64, f64)) -> f64| data.iter().map(f).sum::<f64>() / n;
    let (mx, my) = (mean(&|p| p.0), mean(&|p| p.1));
    let (mxx, mxy, myy) = (
        mean(&|p| p.0 * p.0),
        mean(&|p| p.0 * p.1),
        mean(&|p| p.1 * p.1),
    );
    let var = mxx - mx * mx;
    let (w_opt, b_opt) = if var > 1e-12 * (1.0 + mxx) {
        let w = (mxy - mx * my) / var;
        (w, my - w * mx)
    } else {
        (0.0, my)
    };

    let steps: Vec<(f64, f64)> = path
        .iter()
        .map(|&(w, b)| (w as f64, b as f64))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    let ws = steps.iter().map(|p| p.0).chain([w_opt]);
    let bs = steps.iter().map(|p| p.1).chain([b_opt]);
    let ((wlo, whi), (blo, bhi)) = (
        min_max(ws).unwrap_or((0.0, 0.0)),
        min_max(bs).unwrap_or((0.0, 0.0)),
    );
    let (mut wspan, mut bspan) = (whi - wlo, bhi - blo);
    if wspan < 1e-9 && bspan < 1e-9 {
        (wspan, bspan) = (1.0 + w_opt.abs(), 1.0 + b_opt.abs());
    }
    let (wspan, bspan) = (wspan.max(0.25 * bspan), bspan.max(0.25 * wspan));
    let (wc, bc) = ((wlo + whi) / 2.0, (blo + bhi) / 2.0);
    let xaxis = Axis::linear("w", wc - 0.7 * wspan, wc + 0.7 * wspan, 0.0, false, 7);
    let yaxis = Axis::linear("b", bc - 0.7 * bspan, bc + 0.7 * bspan, 0.0, false, 6);

    let mut heat = Heat {
        mx,
        my,
        mxx,
        mxy,
        myy,
        lmin: 0.0,
        lmax: 0.0,
        levels: vec![],
    };
    heat.lmin = heat.loss(w_opt, b_opt).max(0.0);
    heat.lmax = [
        (xaxis.lo, yaxis.lo),
        (xaxis.lo, yaxis.hi),
        (xaxis.hi, yaxis.lo),
        (xaxis.hi, yaxis.hi),
    ]
    .iter()
    .map(|&(w, b)| heat.loss(w, b))
    .fold(heat.lmin, f64::max);
    for k in 1..8 {
        let v = k as f64 / 8.0;
        let level = round_sig(heat.lmin + v * v * (heat.lmax - heat.lmin), 2);
        if level > heat.lmin && level < heat.lmax && heat.levels.last() != Some(&level) {
            heat.levels.push(level);
        }
    }

    // Label directions in pixels (y down); the plot is about 1.6 times wider than tall.
    let toward = |from: (f64, f64), to: (f64, f64)| {
        let (dx, dy) = ((to.0 - from.0) / wspan * 1.6, -(to.1 - from.1) / bspan);
        if dx.abs() + dy.abs() < 1e-9 {
            None
        } else {
            Some((dx, dy))
        }
    };
    let mut notes = Vec::new();
    if let Some(&first) = steps.first() {
        let dir = steps
            .get(1)
            .and_then(|&next| toward(next, first))
            .unwrap_or((-1.0, -1.0));
        notes.push(Note {
            at: first,
            text: "start".into(),
            toward: dir,
        });
    }
    if steps.len() > 1 {
        let last = steps[steps.len() - 1];
        let prev = steps[..steps.len() - 1]
            .iter()
            .rev()
            .find(|&&p| p != last)
            .copied();
        let dir = prev.and_then(|p| toward(p, last)).unwrap_or((1.0, 1.0));
        notes.push(Note {
            at: last,
            text: "end".into(),
            toward: dir,
        });
    }

    let plot = Plot {
        title: None,
        x: xaxis,
        y: yaxis,
        layers: vec![
            Layer::Path {
                label: "gradient descent".into(),
                points: steps,
                color: PALETTE[3],
            },
            Layer::Star {
                label: "least-squares minimum".into(),
                at: (w_opt, b_opt),
            },
        ],
        notes,
        heat: Some(heat),
    };
    render(&plot)
}

/// Loss curves for several learning rates, one `(lr, losses)` per run, labelled
/// `lr = 0.001` etc., on a logarithmic y axis. A run that diverged (a `NaN` or infinite loss,
/// or a loss that grew to more than 10 times where it started) is drawn until it leaves the
/// top of the plot, marked there with a triangle, and labelled `(diverged)`.
///
/// ```
/// use autograd_core::plot;
/// let slow: Vec<f32> = (0..50).map(|e| 0.98f32.powi(e)).collect();
/// let fast: Vec<f32> = (0..50).map(|e| 0.8f32.powi(e)).collect();
/// let boom: Vec<f32> = (0..50).map(|e| 3.0f32.powi(e)).collect(); // overflows to inf
/// let fig = plot::lr_comparison(&[(0.01, &slow), (0.1, &fast), (1.0, &boom)]);
/// assert!(fig.svg().contains("lr = 0.01") && fig.svg().contains("lr = 1 (diverged)"));
/// ```
pub fn lr_comparison(runs: &[(f32, &[f32])]) -> Figure {
    struct Run {
        label: String,
        values: Vec<f64>,
        diverged: bool,
    }
    let runs: Vec<Run> = runs
        .iter()
        .map(|&(lr, losses)| {
            let values: Vec<f64> = losses.iter().map(|&v| v as f64).collect();
            let first = values.iter().copied().find(|v| v.is_finite());
            let last = values.iter().copied().rev().find(|v| v.is_finite());
            let has_bad = values.iter().any(|v| !v.is_finite());
            let grew = match (first, last) {
                (Some(f), Some(l)) => f > 0.0 && l > 10.0 * f,
                _ => false,
            };
            let diverged = has_bad || grew;
            let label = format!("lr = {lr}{}", if diverged { " (diverged)" } else { "" });
            Run {
                label,
                values,
                diverged,
            }
        })
        .collect();

    let n = runs.iter().map(|r| r.values.len()).max().unwrap_or(0);
    let fine = |v: &f64| v.is_finite() && *v > 0.0;
    let kept_max = runs
        .iter()
        .filter(|r| !r.diverged)
        .flat_map(|r| r.values.iter().copied().filter(fine))
        .fold(f64::NAN, f64::max);
    let start_max = runs
        .iter()
        .filter_map(|r| r.values.iter().copied().find(fine))
        .fold(f64::NAN, f64::max);
    let top = if kept_max.is_finite() {
        kept_max
    } else if start_max.is_finite() {
        10.0 * start_max
    } else {
        1.0
    };
    // Room above the kept runs, for the diverged ones to be seen leaving the plot.
    let top = if runs.iter().any(|r| r.diverged) {
        3.0 * top
    } else {
        top
    };
    let bottom = runs
        .iter()
        .flat_map(|r| {
            r.values
                .iter()
                .copied()
                .take_while(|v| v.is_finite() && *v <= top)
        })
        .filter(|v| *v > 0.0)
        .fold(f64::NAN, f64::min);
    let bottom = if bottom.is_finite() {
        bottom
    } else {
        top / 10.0
    };
    let yaxis = Axis::log("loss", bottom, top, 0.04, 7);

    let mut layers = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let mut points = Vec::new();
        let mut clipped_at = None;
        for (e, &v) in run.values.iter().enumerate() {
            let x = (e + 1) as f64;
            if !v.is_finite() || v.log10() > yaxis.hi {
                if run.diverged {
                    points.push((x, yaxis.hi));
                    clipped_at = Some((x, yaxis.hi));
                    break;
                }
                continue;
            }
            points.push((x, if v > 0.0 { v.log10() } else { yaxis.lo }));
        }
        let segments = split_finite(points)
            .into_iter()
            .map(|s| decimate(s, 1.0, n.max(1) as f64))
            .collect();
        layers.push(Layer::Line {
            label: run.label.clone(),
            segments,
            color: PALETTE[i % PALETTE.len()],
            clipped_at,
        });
    }
    let plot = Plot {
        title: None,
        x: Axis::linear("epoch", 1.0, n.max(1) as f64, 0.02, true, 8),
        y: yaxis,
        layers,
        notes: vec![],
        heat: None,
    };
    render(&plot)
}

/// The loss curves' plot; `log`: `None` decides from the data.
/// Series `(label, values, per_epoch)`: value `k` at epoch `(k + 1) / per_epoch`.
fn loss_plot(title: Option<&str>, series: &[(&str, &[f32], usize)], log: Option<bool>) -> Plot {
    let epoch_of = |k: usize, per_epoch: usize| (k + 1) as f64 / per_epoch as f64;
    let last = series
        .iter()
        .map(|s| epoch_of(s.1.len().saturating_sub(1), s.2))
        .fold(1.0, f64::max);
    let first = series.iter().map(|s| epoch_of(0, s.2)).fold(1.0, f64::min);
    let finite: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter())
        .map(|&v| v as f64)
        .filter(|v| v.is_finite())
        .collect();
    let positive = || finite.iter().copied().filter(|&v| v > 0.0);
    let log = log.unwrap_or_else(|| {
        let all_positive = finite.iter().all(|&v| v > 0.0);
        match min_max(positive()) {
            Some((lo, hi)) => all_positive && hi / lo > 1e3,
            None => false,
        }
    });
    let yaxis = if log {
        let (lo, hi) = min_max(positive()).unwrap_or((0.1, 1.0));
        Axis::log("loss", lo, hi, 0.04, 7)
    } else {
        let (lo, hi) = min_max(finite.iter().copied()).unwrap_or((0.0, 1.0));
        Axis::linear("loss", lo, hi, 0.05, false, 6)
    };
    let xaxis = Axis::linear("epoch", first, last, 0.02, true, 8);
    let layers = series
        .iter()
        .enumerate()
        .map(|(i, &(label, values, per_epoch))| {
            let points = values.iter().enumerate().map(|(e, &v)| {
                let v = v as f64;
                let y = match (log, v > 0.0) {
                    (false, _) => v,
                    (true, true) => v.log10(),
                    (true, false) if v.is_finite() => yaxis.lo,
                    (true, false) => f64::NAN,
                };
                (epoch_of(e, per_epoch), y)
            });
            Layer::Line {
                label: label.into(),
                segments: split_finite(points.collect())
                    .into_iter()
                    .map(|s| decimate(s, first, last))
                    .collect(),
                color: PALETTE[i % PALETTE.len()],
                clipped_at: None,
            }
        })
        .collect();
    Plot {
        title: title.map(str::to_string),
        x: xaxis,
        y: yaxis,
        layers,
        notes: vec![],
        heat: None,
    }
}

/// The pairs `(x[i], y[i])` where both are finite.
fn finite_pairs(x: &[f32], y: &[f32]) -> Vec<(f64, f64)> {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| (a as f64, b as f64))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect()
}

/// Smallest and largest finite value, if any.
fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// The y range to show: all the data, and the model's values but only up to one data span
/// beyond the data (so that a bad early model does not squash the data into a line).
fn y_extent(data: impl Iterator<Item = f64>, model: impl Iterator<Item = f64>) -> (f64, f64) {
    let model = min_max(model);
    match (min_max(data), model) {
        (Some((lo, hi)), Some((mlo, mhi))) => {
            let span = (hi - lo).max(1e-6 * (1.0 + lo.abs().max(hi.abs())));
            (lo.min(mlo.max(lo - span)), hi.max(mhi.min(hi + span)))
        }
        (Some(d), None) => d,
        (None, Some(m)) => m,
        (None, None) => (0.0, 1.0),
    }
}

/// Splits a polyline where a coordinate is not finite.
fn split_finite(points: Vec<(f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut segments = Vec::new();
    let mut current = Vec::new();
    for p in points {
        if p.0.is_finite() && p.1.is_finite() {
            current.push(p);
        } else if !current.is_empty() {
            segments.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}

/// Thins a long series (x increasing over `[x_lo, x_hi]`) to at most 4 points per 1/1200 of
/// the x range, keeping each slice's first, lowest, highest and last point: the drawing is
/// the same, the SVG much smaller.
fn decimate(points: Vec<(f64, f64)>, x_lo: f64, x_hi: f64) -> Vec<(f64, f64)> {
    const SLICES: f64 = 1200.0;
    if points.len() <= 2400 {
        return points;
    }
    let width = (x_hi - x_lo).max(1e-12) / SLICES;
    let slice = |p: &(f64, f64)| ((p.0 - x_lo) / width).floor() as i64;
    let mut out = Vec::new();
    let mut start = 0;
    while start < points.len() {
        let id = slice(&points[start]);
        let end = start
            + points[start..]
                .iter()
                .take_while(|p| slice(p) == id)
                .count();
        let group = &points[start..end];
        let by_y = |a: &&(f64, f64), b: &&(f64, f64)| a.1.total_cmp(&b.1);
        let lowest = group
            .iter()
            .enumerate()
            .min_by(|a, b| by_y(&a.1, &b.1))
            .map_or(0, |m| m.0);
        let highest = group
            .iter()
            .enumerate()
            .max_by(|a, b| by_y(&a.1, &b.1))
            .map_or(0, |m| m.0);
        let mut keep = [0, lowest, highest, group.len() - 1];
        keep.sort_unstable();
        let mut prev = usize::MAX;
        for k in keep {
            if k != prev {
                out.push(group[k]);
                prev = k;
            }
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evcxr_output_has_an_svg_and_a_png_block() {
        let fig = loss_curve(&[("train", &[1.0, 0.5])]);
        let out = fig.evcxr_blocks();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "EVCXR_BEGIN_CONTENT image/svg+xml");
        assert!(lines[1].starts_with("<svg"));
        let end_svg = lines
            .iter()
            .position(|l| *l == "EVCXR_END_CONTENT")
            .unwrap();
        assert_eq!(lines[1..end_svg].join("\n"), fig.svg().trim_end());
        assert_eq!(
            &lines[end_svg + 1..],
            [
                "EVCXR_BEGIN_CONTENT image/png",
                &encode::base64(fig.png()),
                "EVCXR_END_CONTENT"
            ]
        );
        // evcxr finds a block by this text anywhere in a line: the SVG must not contain it.
        assert_eq!(out.matches("EVCXR_BEGIN_CONTENT").count(), 2);
    }

    #[test]
    fn decimate_keeps_extremes_and_ends() {
        let pts: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, ((i * 7919) % 1000) as f64))
            .collect();
        let thin = decimate(pts.clone(), 0.0, 9999.0);
        assert!(thin.len() < 5000);
        assert_eq!(thin.first(), pts.first());
        assert_eq!(thin.last(), pts.last());
        let max = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        assert_eq!(max(&thin), max(&pts));
    }

    #[test]
    fn split_finite_breaks_at_holes() {
        let segs = split_finite(vec![(1.0, 1.0), (2.0, f64::NAN), (3.0, 3.0), (4.0, 4.0)]);
        assert_eq!(segs, vec![vec![(1.0, 1.0)], vec![(3.0, 3.0), (4.0, 4.0)]]);
    }
}
