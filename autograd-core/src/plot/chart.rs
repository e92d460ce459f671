//! One chart model for every plot, drawn by plotters twice: once into an SVG string, once
//! into a bitmap at twice the size that is then shrunk (anti-aliased) and stored as PNG.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{format_sig, Axis};
use super::encode;
use super::text::{self, plotters_size, Raster, FAMILY};
use super::Figure;

/// Size of every figure in pixels (the SVG's size, and the PNG's).
pub(crate) const WIDTH: u32 = 640;
pub(crate) const HEIGHT: u32 = 400;
/// The PNG is drawn this many times larger, then shrunk: this smooths its edges.
const SUPERSAMPLE: u32 = 2;
/// Width of the colour bar column of a heat map.
const COLORBAR_WIDTH: f64 = 84.0;

/// Text sizes (pixels per em).
const TITLE_EM: f64 = 16.0;
const DESC_EM: f64 = 14.0;
const TICK_EM: f64 = 12.5;
const LEGEND_EM: f64 = 12.5;
const NOTE_EM: f64 = 12.5;

/// matplotlib's "tab10" colours: distinct, and readable on white.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const AXIS_COLOR: RGBColor = RGBColor(60, 60, 60);
const GRID_COLOR: RGBColor = RGBColor(225, 225, 225);
const TEXT_COLOR: RGBColor = RGBColor(30, 30, 30);
/// Fill of the rectangle that marks where the SVG gets its heat-map image.
const HEAT_PLACEHOLDER: RGBColor = RGBColor(1, 2, 3);

/// Something drawn in data coordinates.
pub(crate) enum Layer {
    /// A polyline, broken into `segments` where the data had holes. `clipped_at` marks where
    /// a diverging run left the top of the plot.
    Line {
        label: String,
        segments: Vec<Vec<(f64, f64)>>,
        color: RGBColor,
        clipped_at: Option<(f64, f64)>,
    },
    /// Scatter points.
    Points {
        label: String,
        points: Vec<(f64, f64)>,
        color: RGBColor,
    },
    /// An optimisation path: a line with a white halo and a dot at each step.
    Path {
        label: String,
        points: Vec<(f64, f64)>,
        color: RGBColor,
    },
    /// A single marked point (the minimum of a loss surface).
    Star { label: String, at: (f64, f64) },
}

impl Layer {
    fn label(&self) -> &str {
        match self {
            Layer::Line { label, .. }
            | Layer::Points { label, .. }
            | Layer::Path { label, .. }
            | Layer::Star { label, .. } => label,
        }
    }

    /// Where this layer draws, in data coordinates: polylines and single points. The
    /// legend goes where it covers the least of it.
    fn footprint(&self) -> (Vec<&[Point]>, Vec<Point>) {
        match self {
            Layer::Line { segments, .. } => {
                (segments.iter().map(|s| s.as_slice()).collect(), vec![])
            }
            Layer::Points { points, .. } => (vec![], points.clone()),
            Layer::Path { points, .. } => (vec![points.as_slice()], vec![]),
            Layer::Star { at, .. } => (vec![], vec![*at]),
        }
    }
}

/// A point in data coordinates.
type Point = (f64, f64);

/// A text label next to a data point, pushed `toward` a direction (in pixels, y down).
pub(crate) struct Note {
    pub at: (f64, f64),
    pub text: String,
    pub toward: (f64, f64),
}

/// The mean squared error of the line `w * x + b` over a data set, for the loss surface. It
/// only needs the means of x, y, x², xy and y².
pub(crate) struct Heat {
    pub mx: f64,
    pub my: f64,
    pub mxx: f64,
    pub mxy: f64,
    pub myy: f64,
    /// Loss at the optimum and the largest loss on the grid: the colour scale's ends.
    pub lmin: f64,
    pub lmax: f64,
    /// Losses of the iso-lines, also the colour bar's ticks.
    pub levels: Vec<f64>,
}

impl Heat {
    pub fn loss(&self, w: f64, b: f64) -> f64 {
        // mean((w x + b - y)^2), expanded
        w * w * self.mxx + 2.0 * w * b * self.mx + b * b - 2.0 * w * self.mxy - 2.0 * b * self.my
            + self.myy
    }

    /// Where a loss sits on the colour scale, 0 to 1. The square root makes the iso-lines of
    /// a quadratic bowl evenly spaced.
    pub fn shade(&self, loss: f64) -> f64 {
        let span = self.lmax - self.lmin;
        if span <= 0.0 || !span.is_finite() {
            return 0.0;
        }
        ((loss - self.lmin) / span).clamp(0.0, 1.0).sqrt()
    }

    /// The heat map as RGB pixels, `w x h`, over `x` (the parameter w) and `y` (b), with
    /// thin iso-lines at `levels`.
    fn image(&self, x: (f64, f64), y: (f64, f64), w: usize, h: usize) -> Vec<u8> {
        let mut shade = vec![0.0; w * h];
        let mut band = vec![0u8; w * h];
        for j in 0..h {
            let b = y.1 - (j as f64 + 0.5) / h as f64 * (y.1 - y.0);
            for i in 0..w {
                let wv = x.0 + (i as f64 + 0.5) / w as f64 * (x.1 - x.0);
                let l = self.loss(wv, b);
                shade[j * w + i] = self.shade(l);
                band[j * w + i] = self.levels.iter().filter(|&&lv| l >= lv).count() as u8;
            }
        }
        let mut rgb = Vec::with_capacity(w * h * 3);
        for j in 0..h {
            for i in 0..w {
                let k = j * w + i;
                let edge = (i + 1 < w && band[k + 1] != band[k])
                    || (j + 1 < h && band[k + w] != band[k])
                    || (i > 0 && band[k - 1] != band[k])
                    || (j > 0 && band[k - w] != band[k]);
                let mut c = viridis(shade[k]);
                if edge {
                    c = iso_line_color(c);
                }
                rgb.extend_from_slice(&[c.0, c.1, c.2]);
            }
        }
        rgb
    }
}

/// The viridis colour map (dark blue-purple at 0, yellow at 1).
pub(crate) fn viridis(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 9] = [
        (68.0, 1.0, 84.0),
        (71.0, 44.0, 122.0),
        (59.0, 81.0, 139.0),
        (44.0, 113.0, 142.0),
        (33.0, 145.0, 140.0),
        (39.0, 173.0, 129.0),
        (92.0, 200.0, 99.0),
        (170.0, 220.0, 50.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    } * 8.0;
    let i = (t.floor() as usize).min(7);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| (p + f * (q - p)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Lighter on dark colours, darker on light ones: an iso-line visible on the whole map.
fn iso_line_color(c: RGBColor) -> RGBColor {
    let lum = 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
    let f = |v: u8| {
        if lum > 140.0 {
            (v as f64 * 0.62) as u8
        } else {
            (v as f64 + (255.0 - v as f64) * 0.45) as u8
        }
    };
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// Everything one figure shows.
pub(crate) struct Plot {
    pub title: Option<String>,
    pub x: Axis,
    pub y: Axis,
    pub layers: Vec<Layer>,
    pub notes: Vec<Note>,
    pub heat: Option<Heat>,
}

/// Draws `plot` as PNG and as SVG.
pub(crate) fn render(plot: &Plot) -> Figure {
    text::font(); // registers the font with plotters before any text is measured

    let (w, h) = (WIDTH * SUPERSAMPLE, HEIGHT * SUPERSAMPLE);
    let mut pixels = vec![255u8; (w * h * 3) as usize];
    let mut heat_image = None;
    {
        let backend = Raster::new(BitMapBackend::with_buffer(&mut pixels, (w, h)));
        let root = backend.into_drawing_area();
        plot.draw(&root, SUPERSAMPLE as f64, Some(&mut heat_image))
            .unwrap_or_else(|e| panic!("plot: {e}"));
        root.present().unwrap_or_else(|e| panic!("plot: {e}"));
    }
    let png = encode::png_rgb(WIDTH, HEIGHT, &encode::downsample2(&pixels, w, h));

    let mut svg = String::new();
    let heat_area = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let area = plot
            .draw(&root, 1.0, None)
            .unwrap_or_else(|e| panic!("plot: {e}"));
        root.present().unwrap_or_else(|e| panic!("plot: {e}"));
        area
    };
    if let (Some((image, iw, ih)), Some(area)) = (heat_image, heat_area) {
        svg = embed_heat_image(&svg, &image, (iw, ih), area);
    }
    Figure {
        svg,
        png,
        width: WIDTH,
        height: HEIGHT,
    }
}

/// A drawing without axes, on a canvas of its own size: the graph of a tensor.
/// [`render_picture`] turns it into a [`Figure`] as [`render`] does a plot.
pub(crate) trait Picture {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);

    /// Draws on `root`, already white, with every length multiplied by `scale`.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        scale: f64,
    ) -> Result<(), String>;
}

/// Draws `picture` as PNG (supersampled, like a plot) and as SVG.
pub(crate) fn render_picture(picture: &impl Picture) -> Figure {
    text::font(); // registers the font with plotters before any text is drawn

    let (width, height) = picture.size();
    let (w, h) = (width * SUPERSAMPLE, height * SUPERSAMPLE);
    let mut pixels = vec![255u8; (w * h * 3) as usize];
    {
        let root = Raster::new(BitMapBackend::with_buffer(&mut pixels, (w, h))).into_drawing_area();
        picture
            .draw(&root, SUPERSAMPLE as f64)
            .unwrap_or_else(|e| panic!("plot: {e}"));
        root.present().unwrap_or_else(|e| panic!("plot: {e}"));
    }
    let png = encode::png_rgb(width, height, &encode::downsample2(&pixels, w, h));

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).unwrap_or_else(|e| panic!("plot: {e}"));
        picture
            .draw(&root, 1.0)
            .unwrap_or_else(|e| panic!("plot: {e}"));
        root.present().unwrap_or_else(|e| panic!("plot: {e}"));
    }
    Figure {
        svg,
        png,
        width,
        height,
    }
}

/// Replaces the placeholder rectangle of the SVG by the heat map drawn for the PNG, shrunk
/// and embedded as a PNG image (thousands of SVG rectangles would be far bigger).
fn embed_heat_image(svg: &str, image: &[u8], (iw, ih): (u32, u32), area: PixelRect) -> String {
    let (x0, y0, pw, ph) = area;
    let png = encode::png_rgb(iw / 2, ih / 2, &encode::downsample2(image, iw, ih));
    let image = format!(
        r#"<image x="{x0}" y="{y0}" width="{pw}" height="{ph}" preserveAspectRatio="none" href="data:image/png;base64,{}"/>"#,
        encode::base64(&png)
    );
    let marker = r##"fill="#010203""##;
    let Some(at) = svg.find(marker) else {
        return svg.to_string();
    };
    let start = svg[..at].rfind('<').unwrap_or(at);
    let end = at + svg[at..].find("/>").map_or(0, |e| e + 2);
    format!("{}{}{}", &svg[..start], image, &svg[end..])
}

/// A heat map's RGB pixels, width and height.
type HeatImage = (Vec<u8>, u32, u32);

/// x, y, width and height of the plotting area, in pixels.
type PixelRect = (i32, i32, u32, u32);

fn font_at(em: f64, s: f64) -> TextStyle<'static> {
    (FAMILY, plotters_size(em * s))
        .into_font()
        .color(&TEXT_COLOR)
}

impl Plot {
    /// Draws the plot on `root`, with every size multiplied by `s`. A heat map is drawn as
    /// pixels, and kept in `raster`, if that is given (PNG); else a placeholder marks its
    /// place (SVG). Returns the plotting area if there is a heat map.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
        raster: Option<&mut Option<HeatImage>>,
    ) -> Result<Option<PixelRect>, String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let px = move |v: f64| (v * s).round() as u32;

        let chart_area = match &self.heat {
            Some(_) => root.split_horizontally(px(WIDTH as f64 - COLORBAR_WIDTH)).0,
            None => root.clone(),
        };

        let tick_w = self
            .y
            .ticks
            .iter()
            .map(|t| text::text_width(&t.1, TICK_EM))
            .fold(0.0, f64::max);
        let mut builder = ChartBuilder::on(&chart_area);
        builder
            .margin_top(px(match (&self.title, &self.heat) {
                (Some(_), _) => 12.0,
                (None, Some(_)) => 26.0,
                (None, None) => 14.0,
            }))
            .margin_right(px(if self.heat.is_some() { 6.0 } else { 18.0 }))
            .margin_left(px(8.0))
            .margin_bottom(px(6.0))
            .x_label_area_size(px(TICK_EM + DESC_EM + 20.0))
            .y_label_area_size(px(tick_w + DESC_EM + 22.0));
        if let Some(title) = &self.title {
            builder.caption(title, font_at(TITLE_EM, s));
        }
        let x_range = Ticked {
            lo: self.x.lo,
            hi: self.x.hi,
            ticks: self.x.tick_values(),
        };
        let y_range = Ticked {
            lo: self.y.lo,
            hi: self.y.hi,
            ticks: self.y.tick_values(),
        };
        let mut chart = builder.build_cartesian_2d(x_range, y_range).map_err(err)?;

        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let area: PixelRect = (
            xr.start,
            yr.start,
            (xr.end - xr.start) as u32,
            (yr.end - yr.start) as u32,
        );
        if let Some(heat) = &self.heat {
            if let Some(keep) = raster {
                let img = heat.image(
                    (self.x.lo, self.x.hi),
                    (self.y.lo, self.y.hi),
                    area.2 as usize,
                    area.3 as usize,
                );
                let elem = BitMapElement::with_ref((area.0, area.1), (area.2, area.3), &img)
                    .ok_or("heat map buffer size")?;
                root.draw(&elem).map_err(err)?;
                *keep = Some((img, area.2, area.3));
            } else {
                chart.plotting_area().fill(&HEAT_PLACEHOLDER).map_err(err)?;
            }
        }

        let fmt_x = |v: &f64| self.x.label_at(*v);
        let fmt_y = |v: &f64| self.y.label_at(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .x_desc(self.x.label.as_str())
            .y_desc(self.y.label.as_str())
            .label_style(font_at(TICK_EM, s))
            .axis_desc_style(font_at(DESC_EM, s))
            .bold_line_style(GRID_COLOR.stroke_width(px(1.0)))
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS_COLOR.stroke_width(px(1.0)))
            .set_all_tick_mark_size(px(4.0));
        if self.heat.is_some() {
            mesh.disable_mesh();
        }
        mesh.draw().map_err(err)?;

        let clip = Clip {
            x: (self.x.lo, self.x.hi),
            y: (self.y.lo, self.y.hi),
        };
        let mut has_legend = false;
        for layer in &self.layers {
            has_legend |= !layer.label().is_empty();
            self.draw_layer(&mut chart, layer, &clip, s).map_err(err)?;
        }

        let mut note_boxes = Vec::new();
        for note in &self.notes {
            if !clip.contains(note.at) {
                continue;
            }
            let (cx, cy) = chart.backend_coord(&note.at);
            let (tx, ty) = note.toward;
            let norm = (tx * tx + ty * ty).sqrt().max(1e-9);
            let (dx, dy) = (tx / norm, ty / norm);
            let gap = 16.0 * s;
            let (x, y) = (
                cx + (dx * gap).round() as i32,
                cy + (dy * gap).round() as i32,
            );
            let h = if dx > 0.35 {
                HPos::Left
            } else if dx < -0.35 {
                HPos::Right
            } else {
                HPos::Center
            };
            let v = if dy > 0.35 {
                VPos::Top
            } else if dy < -0.35 {
                VPos::Bottom
            } else {
                VPos::Center
            };
            let tw = text::text_width(&note.text, NOTE_EM) * s;
            let th = NOTE_EM * s;
            let left = match h {
                HPos::Left => x as f64,
                HPos::Center => x as f64 - tw / 2.0,
                HPos::Right => x as f64 - tw,
            };
            let top = match v {
                VPos::Top => y as f64,
                VPos::Center => y as f64 - th / 2.0,
                VPos::Bottom => y as f64 - th,
            };
            let pad = 2.0 * s;
            // Keep the label inside the plot.
            let left = left
                .min((area.0 + area.2 as i32) as f64 - tw - 2.0 * pad)
                .max(area.0 as f64 + 2.0 * pad)
                .round();
            let top = top
                .min((area.1 + area.3 as i32) as f64 - th - 2.0 * pad)
                .max(area.1 as f64 + 2.0 * pad)
                .round();
            note_boxes.push((
                (left - pad) as i32 - area.0,
                (top - pad) as i32 - area.1,
                (left + tw + pad) as i32 - area.0,
                (top + th + pad) as i32 - area.1,
            ));
            root.draw(&Rectangle::new(
                [
                    ((left - pad) as i32, (top - pad) as i32),
                    ((left + tw + pad) as i32, (top + th + pad) as i32),
                ],
                WHITE.mix(0.8).filled(),
            ))
            .map_err(err)?;
            let style = font_at(NOTE_EM, s).pos(Pos::new(HPos::Left, VPos::Top));
            root.draw_text(&note.text, &style, (left as i32, top as i32))
                .map_err(err)?;
        }

        // A frame around the plot: the mesh drew the left and bottom sides.
        let (fx, fy) = (area.0 + area.2 as i32 - 1, area.1);
        let frame = AXIS_COLOR.stroke_width(px(1.0));
        root.draw(&PathElement::new(
            vec![(area.0 - 1, fy), (fx, fy), (fx, area.1 + area.3 as i32)],
            frame,
        ))
        .map_err(err)?;

        if has_legend {
            let font = font_at(LEGEND_EM, s);
            let labels: Vec<&str> = self
                .layers
                .iter()
                .map(Layer::label)
                .filter(|l| !l.is_empty())
                .collect();
            let (margin, symbol) = (px(8.0), px(26.0));
            let mut text_w = 0;
            let mut last_h = 0;
            for label in &labels {
                let (w, h) = root.estimate_text_size(label, &font).map_err(err)?;
                text_w = text_w.max(w as i32);
                last_h = h as i32;
            }
            // The box plotters will draw (see its `SeriesLabelStyle::draw`).
            let line_h = (plotters_size(LEGEND_EM * s) * 1.25).round() as i32;
            let w = text_w + (symbol + 2 * margin) as i32;
            let h = (labels.len() as i32 - 1) * line_h + last_h + 2 * margin as i32;
            let position = self.legend_position(&chart, (w, h), &note_boxes, s);
            chart
                .configure_series_labels()
                .position(position)
                .margin(margin)
                .legend_area_size(symbol)
                .label_font(font)
                .background_style(WHITE.mix(0.88))
                .border_style(RGBColor(200, 200, 200).stroke_width(px(1.0)))
                .draw()
                .map_err(err)?;
        }

        if let Some(heat) = &self.heat {
            self.draw_colorbar(root, heat, area, s).map_err(err)?;
            return Ok(Some(area));
        }
        Ok(None)
    }

    fn draw_layer<'c, DB: DrawingBackend + 'c>(
        &self,
        chart: &mut ChartContext<'c, DB, Cartesian2d<Ticked, Ticked>>,
        layer: &Layer,
        clip: &Clip,
        s: f64,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let px = move |v: f64| (v * s).round() as u32;
        let sym = (26.0 * s) as i32 - px(4.0) as i32;
        match layer {
            Layer::Line {
                label,
                segments,
                color,
                clipped_at,
            } => {
                let style = color.stroke_width(px(2.0));
                let pieces: Vec<Vec<(f64, f64)>> =
                    segments.iter().flat_map(|seg| clip.polyline(seg)).collect();
                // A value alone between gaps (NaN) is a dot: a one-point line shows nothing.
                let dots: Vec<(f64, f64)> = pieces
                    .iter()
                    .filter(|p| p.len() == 1)
                    .map(|p| p[0])
                    .collect();
                chart.draw_series(
                    dots.into_iter()
                        .map(move |p| Circle::new(p, px(2.0), style.filled())),
                )?;
                let anno = chart
                    .draw_series(pieces.into_iter().map(move |p| PathElement::new(p, style)))?;
                if !label.is_empty() {
                    let c = *color;
                    anno.label(label.as_str()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + sym, y)], c.stroke_width(px(2.0)))
                    });
                }
                if let Some(at) = clipped_at {
                    let (x, y) = (at.0, clip.y.1);
                    chart.draw_series(std::iter::once(TriangleMarker::new(
                        (x, y),
                        px(5.0),
                        color.filled(),
                    )))?;
                }
            }
            Layer::Points {
                label,
                points,
                color,
            } => {
                let style = color.mix(0.75).filled();
                let r = px(3.0);
                let anno = chart.draw_series(
                    points
                        .iter()
                        .filter(|p| clip.contains(**p))
                        .map(move |p| Circle::new(*p, r, style)),
                )?;
                if !label.is_empty() {
                    anno.label(label.as_str())
                        .legend(move |(x, y)| Circle::new((x + sym / 2, y), r, style));
                }
            }
            Layer::Path {
                label,
                points,
                color,
            } => {
                let pieces = clip.polyline(points);
                let halo = WHITE.stroke_width(px(5.0));
                chart.draw_series(pieces.iter().map(|p| PathElement::new(p.clone(), halo)))?;
                let line = color.stroke_width(px(2.0));
                chart.draw_series(pieces.iter().map(|p| PathElement::new(p.clone(), line)))?;
                let r = px(2.5);
                let dot = color.filled();
                let edge = WHITE.stroke_width(px(1.0));
                chart.draw_series(
                    points
                        .iter()
                        .filter(|p| clip.contains(**p))
                        .map(|p| Circle::new(*p, r + px(1.0), edge.filled())),
                )?;
                let anno = chart.draw_series(
                    points
                        .iter()
                        .filter(|p| clip.contains(**p))
                        .map(|p| Circle::new(*p, r, dot)),
                )?;
                if !label.is_empty() {
                    let c = *color;
                    anno.label(label.as_str()).legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (sym, 0)], c.stroke_width(px(2.0)))
                            + Circle::new((sym / 2, 0), r, c.filled())
                    });
                }
            }
            Layer::Star { label, at } => {
                if clip.contains(*at) {
                    let size = px(7.0);
                    let back = WHITE.stroke_width(px(5.0));
                    let fore = BLACK.stroke_width(px(2.0));
                    chart.draw_series(std::iter::once(Cross::new(*at, size, back)))?;
                    let anno = chart.draw_series(std::iter::once(Cross::new(*at, size, fore)))?;
                    if !label.is_empty() {
                        anno.label(label.as_str()).legend(move |(x, y)| {
                            EmptyElement::at((x + sym / 2, y))
                                + Cross::new((0, 0), size, WHITE.stroke_width(px(5.0)))
                                + Cross::new((0, 0), size, BLACK.stroke_width(px(2.0)))
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Where the legend box (`size` in pixels) covers the least of the plot: the corners
    /// first, then the middles of the sides. The result is relative to the plotting area.
    fn legend_position<'c, DB: DrawingBackend + 'c>(
        &self,
        chart: &ChartContext<'c, DB, Cartesian2d<Ticked, Ticked>>,
        size: (i32, i32),
        note_boxes: &[(i32, i32, i32, i32)],
        s: f64,
    ) -> SeriesLabelPosition {
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (x0, y0, pw, ph) = (xr.start, yr.start, xr.end - xr.start, yr.end - yr.start);
        let to_px = |p: &(f64, f64)| {
            let (x, y) = chart.backend_coord(p);
            ((x - x0) as f64, (y - y0) as f64)
        };
        // Sample every line about every 2 pixels, so steep lines count as much as flat ones.
        let mut samples: Vec<(f64, f64)> = Vec::new();
        for layer in &self.layers {
            let (lines, points) = layer.footprint();
            for line in lines {
                let pix: Vec<(f64, f64)> = line.iter().map(to_px).collect();
                samples.extend(pix.first());
                for w in pix.windows(2) {
                    let len = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
                    let n = (len / (2.0 * s)).ceil().min(2000.0) as usize;
                    for i in 1..=n {
                        let t = i as f64 / n as f64;
                        samples.push((
                            w[0].0 + t * (w[1].0 - w[0].0),
                            w[0].1 + t * (w[1].1 - w[0].1),
                        ));
                    }
                }
            }
            samples.extend(points.iter().map(to_px));
        }
        let (w, h) = size;
        let inset = (8.0 * s) as i32;
        let xs = [pw - w - inset, inset, (pw - w) / 2];
        let ys = [inset, ph - h - inset, (ph - h) / 2];
        let order = [
            (0, 0),
            (1, 0),
            (0, 1),
            (1, 1),
            (2, 0),
            (2, 1),
            (0, 2),
            (1, 2),
        ];
        let pad = 4.0 * s;
        let cost = |(i, j): (usize, usize)| {
            let (bx, by) = (xs[i] as f64, ys[j] as f64);
            let covered = samples
                .iter()
                .filter(|p| {
                    p.0 >= bx - pad
                        && p.0 <= bx + w as f64 + pad
                        && p.1 >= by - pad
                        && p.1 <= by + h as f64 + pad
                })
                .count();
            let notes = note_boxes
                .iter()
                .filter(|n| n.0 < xs[i] + w && n.2 > xs[i] && n.1 < ys[j] + h && n.3 > ys[j])
                .count();
            covered + 10_000 * notes
        };
        let best = order
            .iter()
            .copied()
            .min_by_key(|&c| cost(c))
            .unwrap_or((0, 0));
        SeriesLabelPosition::Coordinate(xs[best.0], ys[best.1])
    }

    /// The colour bar right of a heat map, with the iso-line losses as ticks.
    fn draw_colorbar<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        heat: &Heat,
        area: PixelRect,
        s: f64,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let x0 = ((WIDTH as f64 - COLORBAR_WIDTH + 10.0) * s).round() as i32;
        let x1 = x0 + (14.0 * s).round() as i32;
        let (top, bottom) = (area.1, area.1 + area.3 as i32);
        let steps = 96;
        for i in 0..steps {
            let ya = bottom - ((i as f64) / steps as f64 * (bottom - top) as f64).round() as i32;
            let yb =
                bottom - (((i + 1) as f64) / steps as f64 * (bottom - top) as f64).round() as i32;
            let c = viridis((i as f64 + 0.5) / steps as f64);
            root.draw(&Rectangle::new([(x0, yb), (x1, ya)], c.filled()))?;
        }
        root.draw(&Rectangle::new(
            [(x0, top), (x1, bottom)],
            AXIS_COLOR.stroke_width((s).round() as u32),
        ))?;
        let label_style = font_at(11.5, s).pos(Pos::new(HPos::Left, VPos::Center));
        let mut ticks: Vec<(f64, String)> = vec![(0.0, format_sig(heat.lmin, 2))];
        ticks.extend(
            heat.levels
                .iter()
                .map(|&l| (heat.shade(l), format_sig(l, 2))),
        );
        ticks.push((1.0, format_sig(heat.lmax, 2)));
        let min_gap = 14.0 * s;
        let mut last_y = f64::INFINITY;
        for (t, label) in ticks {
            let y = bottom as f64 - t * (bottom - top) as f64;
            if (last_y - y).abs() < min_gap {
                continue;
            }
            last_y = y;
            let y = y.round() as i32;
            root.draw(&PathElement::new(
                vec![(x1, y), (x1 + (4.0 * s) as i32, y)],
                AXIS_COLOR.stroke_width(s.round() as u32),
            ))?;
            root.draw_text(&label, &label_style, (x1 + (7.0 * s) as i32, y))?;
        }
        let title = font_at(DESC_EM, s).pos(Pos::new(HPos::Center, VPos::Bottom));
        root.draw_text(
            "loss",
            &title,
            ((x0 + x1) / 2 + (6.0 * s) as i32, top - (6.0 * s) as i32),
        )?;
        Ok(())
    }
}

/// A linear axis whose ticks (grid lines and labels) are exactly the ones [`Axis`] chose.
#[derive(Clone)]
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let t = if t.is_finite() {
            t.clamp(-10.0, 10.0)
        } else {
            0.0
        };
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The visible rectangle in data coordinates; lines are cut to it so that nothing is drawn
/// over the axes.
struct Clip {
    x: (f64, f64),
    y: (f64, f64),
}

impl Clip {
    fn contains(&self, p: (f64, f64)) -> bool {
        p.0 >= self.x.0 && p.0 <= self.x.1 && p.1 >= self.y.0 && p.1 <= self.y.1
    }

    /// The visible pieces of a polyline (Liang-Barsky on each segment).
    fn polyline(&self, pts: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
        let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current: Vec<(f64, f64)> = Vec::new();
        if pts.len() == 1 && self.contains(pts[0]) {
            return vec![pts.to_vec()];
        }
        for w in pts.windows(2) {
            match self.segment(w[0], w[1]) {
                Some((a, b)) => {
                    if current.last() != Some(&a) {
                        if current.len() > 1 {
                            pieces.push(std::mem::take(&mut current));
                        }
                        current.clear();
                        current.push(a);
                    }
                    current.push(b);
                }
                None => {
                    if current.len() > 1 {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current.clear();
                }
            }
        }
        if current.len() > 1 {
            pieces.push(current);
        }
        pieces
    }

    fn segment(&self, a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [
            (-dx, a.0 - self.x.0),
            (dx, self.x.1 - a.0),
            (-dy, a.1 - self.y.0),
            (dy, self.y.1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if t0 > t1 || !t0.is_finite() || !t1.is_finite() {
            return None;
        }
        let at = |t: f64| {
            if t == 0.0 {
                a
            } else if t == 1.0 {
                b
            } else {
                (a.0 + t * dx, a.1 + t * dy)
            }
        };
        Some((at(t0), at(t1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_cuts_lines_at_the_edges() {
        let clip = Clip {
            x: (0.0, 1.0),
            y: (0.0, 1.0),
        };
        let pieces = clip.polyline(&[(-1.0, 0.5), (0.5, 0.5), (0.5, 2.0), (0.8, 0.5)]);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(0.0, 0.5), (0.5, 0.5), (0.5, 1.0)]);
        assert_eq!(pieces[1][1], (0.8, 0.5));
        assert!(clip.polyline(&[(2.0, 2.0), (3.0, 3.0)]).is_empty());
    }

    #[test]
    fn viridis_ends() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
    }
}
