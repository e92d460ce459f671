//! The `plot` feature: every figure is a well-formed SVG and a valid PNG of 640x400, shows
//! what it should (axis titles, legend labels, one line per series), is byte-for-byte
//! reproducible, and survives NaN, infinities and empty input.
#![cfg(feature = "plot")]

use autograd_core::plot::{self, Figure};

const BLUE: &str = "#1F77B4"; // first colour of the palette
const ORANGE: &str = "#FF7F0E"; // second

// ----- helpers -------------------------------------------------------------------------

/// Checks the SVG is one `<svg>` element whose tags all open and close in order.
fn assert_well_formed(svg: &str) {
    assert!(
        svg.starts_with("<svg"),
        "SVG starts with {:?}",
        &svg[..svg.len().min(40)]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>').expect("a tag is never closed");
        let tag = &after[..close];
        assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "closing tag out of order");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().expect("empty tag"));
        }
        rest = &after[close + 1..];
        if stack.is_empty() {
            assert!(rest.trim().is_empty(), "content after </svg>");
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

/// The text of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            body.trim().to_string()
        })
        .collect()
}

fn has_text(fig: &Figure, text: &str) -> bool {
    texts(fig.svg()).iter().any(|t| t == text)
}

/// Number of `<polyline>`s drawn 2 px wide in `color`: plotters draws each line of a series
/// as one polyline, and one more for its legend entry.
fn lines_in(svg: &str, color: &str) -> usize {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| {
            let tag = &p[..p.find("/>").unwrap()];
            tag.contains(&format!("stroke=\"{color}\"")) && tag.contains("stroke-width=\"2\"")
        })
        .count()
}

/// Decodes the PNG far enough to check it: signature, header, chunk CRCs are not checked,
/// but the image data must inflate to exactly `height` rows of `width` RGB pixels with a
/// valid filter byte each. Returns the raw (still filtered) rows.
fn check_png(png: &[u8]) -> (u32, u32, Vec<u8>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut pos = 8;
    let (mut width, mut height) = (0, 0);
    let mut idat = Vec::new();
    let mut saw_end = false;
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let data = &png[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap());
                height = u32::from_be_bytes(data[4..8].try_into().unwrap());
                assert_eq!(&data[8..13], &[8, 2, 0, 0, 0], "8-bit RGB, not interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => saw_end = true,
            _ => {}
        }
        pos += 12 + len;
    }
    assert!(saw_end && pos == png.len(), "PNG ends with IEND");
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).expect("IDAT inflates");
    let stride = width as usize * 3 + 1;
    assert_eq!(raw.len(), stride * height as usize, "decoded size");
    assert!(raw.chunks(stride).all(|row| row[0] <= 4), "filter bytes");
    (width, height, raw)
}

/// The PNG's pixels, unfiltered.
fn pixels(png: &[u8]) -> Vec<[u8; 3]> {
    let (w, _, raw) = check_png(png);
    let stride = w as usize * 3;
    let mut prev = vec![0u8; stride];
    let mut out = Vec::new();
    for line in raw.chunks(stride + 1) {
        let mut row = vec![0u8; stride];
        for x in 0..stride {
            let a = if x >= 3 { row[x - 3] as i16 } else { 0 };
            let b = prev[x] as i16;
            let c = if x >= 3 { prev[x - 3] as i16 } else { 0 };
            let pred = match line[0] {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                _ => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
            };
            row[x] = line[1 + x].wrapping_add(pred as u8);
        }
        out.extend(row.chunks(3).map(|p| [p[0], p[1], p[2]]));
        prev = row;
    }
    out
}

/// Whether some pixel is within 12 of `rgb` on every channel.
fn has_color(png: &[u8], rgb: [u8; 3]) -> bool {
    pixels(png)
        .iter()
        .any(|p| p.iter().zip(rgb).all(|(&a, b)| a.abs_diff(b) <= 12))
}

fn assert_valid(fig: &Figure) {
    assert_well_formed(fig.svg());
    let (w, h, _) = check_png(fig.png());
    assert_eq!((w, h), (640, 400));
    assert_eq!(fig.size(), (640, 400));
}

fn decaying(n: usize, start: f32, rate: f32) -> Vec<f32> {
    (0..n).map(|e| start * rate.powi(e as i32) + 0.05).collect()
}

// ----- loss curves ---------------------------------------------------------------------

#[test]
fn loss_curve_has_axes_legend_and_one_line_per_series() {
    let train = decaying(100, 2.0, 0.95);
    let val = decaying(100, 2.2, 0.96);
    let fig = plot::loss_curve(&[("train", &train), ("validation", &val)]);
    assert_valid(&fig);
    for label in ["epoch", "loss", "train", "validation"] {
        assert!(has_text(&fig, label), "missing text {label:?}");
    }
    // Each series: its line and its legend sample.
    assert_eq!(lines_in(fig.svg(), BLUE), 2);
    assert_eq!(lines_in(fig.svg(), ORANGE), 2);
    // The PNG shows both colours.
    assert!(has_color(fig.png(), [31, 119, 180]));
    assert!(has_color(fig.png(), [255, 127, 14]));
    // Epochs are counted from 1 and the last one is on the axis.
    let ticks = texts(fig.svg());
    assert!(ticks.contains(&"100".to_string()), "{ticks:?}");
}

#[test]
fn loss_curve_titled_shows_the_title() {
    let fig = plot::loss_curve_titled("Linear regression", &[("train", &decaying(10, 1.0, 0.5))]);
    assert_valid(&fig);
    assert!(has_text(&fig, "Linear regression"));
}

#[test]
fn loss_curve_goes_log_when_the_losses_span_more_than_three_decades() {
    let wide = decaying(60, 10.0, 0.8); // 10 down to about 0.05 + 1e-5: 2.3 decades
    let fig = plot::loss_curve(&[("train", &wide)]);
    assert!(
        has_text(&fig, "2.0") || has_text(&fig, "2"),
        "linear ticks: {:?}",
        texts(fig.svg())
    );

    let wider: Vec<f32> = (0..60).map(|e| 10.0 * 0.7f32.powi(e)).collect(); // 10 to 1e-8
    let fig = plot::loss_curve(&[("train", &wider)]);
    assert_valid(&fig);
    let t = texts(fig.svg());
    assert!(
        t.iter().any(|s| s.starts_with("10⁻")),
        "decade ticks: {t:?}"
    );

    let fig = plot::loss_curve_log(&[("train", &wide)]);
    let t = texts(fig.svg());
    assert!(
        t.contains(&"0.1".to_string()) && t.contains(&"1".to_string()),
        "log ticks: {t:?}"
    );
}

#[test]
fn long_runs_are_thinned_in_the_svg() {
    let long: Vec<f32> = (0..100_000)
        .map(|e| 1.0 / (1.0 + e as f32 * 0.01) + 0.01 * ((e % 7) as f32))
        .collect();
    let fig = plot::loss_curve(&[("train", &long)]);
    assert_valid(&fig);
    assert!(
        fig.svg().len() < 120_000,
        "SVG of {} bytes",
        fig.svg().len()
    );
}

// ----- fits --------------------------------------------------------------------------------

#[test]
fn fit_plot_draws_points_and_each_line() {
    let x = [0.0f32, 1.0, 2.0, 3.0, 4.0];
    let y = [1.0f32, 3.1, 4.9, 7.2, 8.9];
    let fig = plot::fit_plot(&x, &y, &[("epoch 0", 0.0, 0.0), ("epoch 50", 1.9, 1.1)]);
    assert_valid(&fig);
    for label in ["x", "y", "data", "epoch 0", "epoch 50"] {
        assert!(has_text(&fig, label), "missing text {label:?}");
    }
    // 5 data points and the legend's sample point.
    assert_eq!(fig.svg().matches("<circle").count(), 6);
    assert_eq!(lines_in(fig.svg(), ORANGE), 2);
    assert_eq!(lines_in(fig.svg(), "#2CA02C"), 2);
}

#[test]
fn curve_plot_draws_each_curve() {
    let x: Vec<f32> = (0..10).map(|i| i as f32).collect();
    let y: Vec<f32> = x.iter().map(|v| v * v).collect();
    let grid: Vec<f32> = (0..50).map(|i| i as f32 / 5.0).collect();
    let pred: Vec<f32> = grid.iter().map(|v| v * v * 0.9).collect();
    let fig = plot::curve_plot(&x, &y, &[("MLP", &grid, &pred)]);
    assert_valid(&fig);
    assert!(has_text(&fig, "MLP") && has_text(&fig, "data"));
    assert_eq!(lines_in(fig.svg(), ORANGE), 2);
    assert_eq!(fig.svg().matches("<circle").count(), 11);
}

#[test]
#[should_panic(expected = "fit_plot: x has 2 values but y has 3")]
fn fit_plot_rejects_mismatched_data() {
    plot::fit_plot(&[1.0, 2.0], &[1.0, 2.0, 3.0], &[]);
}

#[test]
#[should_panic(expected = "curve \"f\" has 2 x values but 1 y values")]
fn curve_plot_rejects_mismatched_curves() {
    plot::curve_plot(&[], &[], &[("f", &[0.0, 1.0], &[0.0])]);
}

// ----- loss surface ----------------------------------------------------------------------

fn descent(x: &[f32], y: &[f32], steps: usize, lr: f32) -> Vec<(f32, f32)> {
    let (mut w, mut b) = (-1.0f32, 3.0f32);
    let n = x.len() as f32;
    let mut path = vec![(w, b)];
    for _ in 0..steps {
        let r: Vec<f32> = x.iter().zip(y).map(|(xi, yi)| w * xi + b - yi).collect();
        let gw = r.iter().zip(x).map(|(ri, xi)| 2.0 * ri * xi).sum::<f32>() / n;
        let gb = r.iter().map(|ri| 2.0 * ri).sum::<f32>() / n;
        w -= lr * gw;
        b -= lr * gb;
        path.push((w, b));
    }
    path
}

#[test]
fn loss_surface_shows_the_map_the_path_and_its_ends() {
    let x: Vec<f32> = (0..20).map(|i| i as f32 / 10.0).collect();
    let y: Vec<f32> = x.iter().map(|v| 2.0 * v + 1.0).collect();
    let path = descent(&x, &y, 30, 0.3);
    let fig = plot::loss_surface(&x, &y, &path);
    assert_valid(&fig);
    for label in [
        "w",
        "b",
        "loss",
        "start",
        "end",
        "gradient descent",
        "least-squares minimum",
    ] {
        assert!(has_text(&fig, label), "missing text {label:?}");
    }
    // The heat map is one embedded PNG image, not thousands of rectangles.
    assert_eq!(fig.svg().matches("<image").count(), 1);
    assert!(fig
        .svg()
        .contains("href=\"data:image/png;base64,iVBORw0KGgo"));
    assert!(fig.svg().matches("<rect").count() < 200);
    // A dot per step (with its white edge), plus the legend's.
    assert_eq!(fig.svg().matches("<circle").count(), 2 * path.len() + 1);
    // Viridis' dark end (the valley) and the path's red are in the PNG.
    assert!(has_color(fig.png(), [68, 1, 84]) || has_color(fig.png(), [71, 20, 100]));
    assert!(has_color(fig.png(), [214, 39, 40]));
}

#[test]
fn loss_surface_without_a_path_still_shows_the_minimum() {
    let fig = plot::loss_surface(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0], &[]);
    assert_valid(&fig);
    assert!(has_text(&fig, "least-squares minimum"));
    assert!(!has_text(&fig, "start"));
}

#[test]
#[should_panic(expected = "loss_surface: needs at least one data point")]
fn loss_surface_needs_data() {
    plot::loss_surface(&[], &[], &[(0.0, 0.0)]);
}

// ----- learning rates ----------------------------------------------------------------------

#[test]
fn lr_comparison_labels_runs_and_marks_divergence() {
    let slow = decaying(40, 1.0, 0.99);
    let good = decaying(40, 1.0, 0.8);
    let nan: Vec<f32> = (0..40)
        .map(|e| if e < 5 { 10f32.powi(e) } else { f32::NAN })
        .collect();
    let huge: Vec<f32> = (0..40).map(|e| 1.5f32.powi(e)).collect(); // finite, 11 decades up
    let fig = plot::lr_comparison(&[(0.001, &slow), (0.1, &good), (1.0, &nan), (0.5, &huge)]);
    assert_valid(&fig);
    for label in [
        "lr = 0.001",
        "lr = 0.1",
        "lr = 1 (diverged)",
        "lr = 0.5 (diverged)",
        "epoch",
        "loss",
    ] {
        assert!(
            has_text(&fig, label),
            "missing text {label:?} in {:?}",
            texts(fig.svg())
        );
    }
    // Diverged runs end in a triangle at the top edge (plotters draws it as a polygon).
    assert_eq!(fig.svg().matches("<polygon").count(), 2);
}

// ----- robustness ------------------------------------------------------------------------

#[test]
fn same_input_same_bytes() {
    let x: Vec<f32> = (0..15).map(|i| i as f32 / 5.0).collect();
    let y: Vec<f32> = x
        .iter()
        .map(|v| 3.0 * v - 1.0 + (v * 7.0).sin() * 0.2)
        .collect();
    let losses = decaying(80, 3.0, 0.9);
    let path = descent(&x, &y, 20, 0.2);
    let make: Vec<Box<dyn Fn() -> Figure>> = vec![
        Box::new(|| plot::loss_curve(&[("train", &losses)])),
        Box::new(|| plot::fit_plot(&x, &y, &[("fit", 3.0, -1.0)])),
        Box::new(|| plot::curve_plot(&x, &y, &[("f", &x, &y)])),
        Box::new(|| plot::loss_surface(&x, &y, &path)),
        Box::new(|| plot::lr_comparison(&[(0.1, &losses)])),
    ];
    for f in &make {
        let (a, b) = (f(), f());
        assert_eq!(a.svg(), b.svg());
        assert_eq!(a.png(), b.png());
    }
}

#[test]
fn nan_and_infinity_do_not_panic() {
    let bad = [
        1.0f32,
        f32::NAN,
        0.5,
        f32::INFINITY,
        0.25,
        f32::NEG_INFINITY,
        0.1,
    ];
    assert_valid(&plot::loss_curve(&[("train", &bad)]));
    assert_valid(&plot::loss_curve_log(&[
        ("train", &bad),
        ("zero", &[0.0, -1.0, 0.0]),
    ]));
    let fig = plot::loss_curve(&[("nan", &[f32::NAN, f32::NAN])]);
    assert_valid(&fig);
    assert!(has_text(&fig, "nan"));

    let x = [0.0f32, 1.0, f32::NAN, 3.0];
    let y = [0.0f32, f32::INFINITY, 2.0, 3.0];
    assert_valid(&plot::fit_plot(
        &x,
        &y,
        &[("line", f32::NAN, 0.0), ("ok", 1.0, 0.0)],
    ));
    assert_valid(&plot::curve_plot(&x, &y, &[("c", &x, &y)]));
    assert_valid(&plot::loss_surface(
        &x,
        &y,
        &[(f32::NAN, 0.0), (0.5, 0.5), (f32::INFINITY, 1.0)],
    ));
    assert_valid(&plot::lr_comparison(&[
        (0.1, &[f32::NAN; 5]),
        (0.2, &[f32::INFINITY]),
    ]));
    // A descent that blows up: the grid follows it, nothing overflows.
    assert_valid(&plot::loss_surface(
        &[1.0, 2.0],
        &[1.0, 2.0],
        &[(0.0, 0.0), (1e30, -1e30)],
    ));
}

#[test]
fn empty_input_gives_empty_axes() {
    for fig in [
        plot::loss_curve(&[]),
        plot::loss_curve(&[("train", &[])]),
        plot::loss_curve_log(&[]),
        plot::fit_plot(&[], &[], &[]),
        plot::curve_plot(&[], &[], &[]),
        plot::lr_comparison(&[]),
        plot::lr_comparison(&[(0.1, &[])]),
    ] {
        assert_valid(&fig);
    }
    let fig = plot::loss_curve(&[("train", &[0.5])]); // a single epoch
    assert_valid(&fig);
    assert!(has_text(&fig, "1"));
}

#[test]
fn labels_are_escaped_and_unicode_is_kept() {
    let fig = plot::loss_curve(&[("a<b & \"c\"", &[1.0, 0.5]), ("η = 0.1 → α²", &[1.0, 0.7])]);
    assert_valid(&fig);
    assert!(fig.svg().contains("a&lt;b &amp; &quot;c&quot;"));
    assert!(has_text(&fig, "η = 0.1 → α²"));
}

#[test]
fn save_writes_by_extension() {
    let fig = plot::loss_curve(&[("train", &[1.0, 0.5, 0.2])]);
    let dir = std::env::temp_dir().join(format!("autograd-core-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    fig.save(dir.join("a.svg")).unwrap();
    fig.save(dir.join("a.PNG")).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("a.svg")).unwrap(),
        fig.svg()
    );
    assert_eq!(std::fs::read(dir.join("a.PNG")).unwrap(), fig.png());
    let err = fig.save(dir.join("a.jpg")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(fig.save(dir.join("no_extension")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn debug_is_a_short_summary() {
    let fig = plot::loss_curve(&[("train", &[1.0, 0.5])]);
    let s = format!("{fig:?}");
    assert!(
        s.starts_with("Figure(640x400, svg: ") && s.len() < 80,
        "{s}"
    );
}

/// The points of the longest polyline drawn in `color` (the series, not its legend sample).
fn longest_line(svg: &str, color: &str) -> Vec<(f64, f64)> {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p.contains(&format!("stroke=\"{color}\"")))
        .map(|p| {
            let points = p
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            points
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect::<Vec<(f64, f64)>>()
        })
        .max_by_key(Vec::len)
        .expect("a line in that colour")
}

#[test]
fn loss_curve_steps_puts_steps_between_epochs() {
    // 5 epochs of 10 steps, and one loss per epoch: step 10k ends epoch k, where the epoch's
    // value is drawn
    let steps = decaying(50, 2.0, 0.95);
    let epochs: Vec<f32> = (0..5).map(|e| steps[10 * e + 9]).collect();
    let fig = plot::loss_curve_steps(&[("per step", &steps, 10), ("per epoch", &epochs, 1)]);
    assert_valid(&fig);
    for label in ["epoch", "loss", "per step", "per epoch"] {
        assert!(has_text(&fig, label), "missing text {label:?}");
    }
    let (step_line, epoch_line) = (
        longest_line(fig.svg(), BLUE),
        longest_line(fig.svg(), ORANGE),
    );
    assert_eq!((step_line.len(), epoch_line.len()), (50, 5));
    // the same epoch, the same point: x and y of step 10k+9 equal those of epoch k
    for k in 0..5 {
        let (a, b) = (step_line[10 * k + 9], epoch_line[k]);
        assert!(
            (a.0 - b.0).abs() <= 1.0 && (a.1 - b.1).abs() <= 1.0,
            "epoch {k}: {a:?} vs {b:?}"
        );
    }
    // ten steps per epoch: the first step is a tenth of an epoch in, left of epoch 1
    assert!(step_line[0].0 < epoch_line[0].0);
    let ticks = texts(fig.svg());
    assert!(ticks.contains(&"5".to_string()), "{ticks:?}");
}

#[test]
#[should_panic(expected = "values per epoch must be at least 1")]
fn loss_curve_steps_rejects_zero_values_per_epoch() {
    plot::loss_curve_steps(&[("train", &[1.0, 0.5], 0)]);
}
