//! Text: the embedded font, and the bitmap backend that draws text with it.
//!
//! plotters is built without its system-font support (that needs fontconfig): the font is
//! compiled in and registered with plotters' `ab_glyph` backend, which then measures text
//! for the layout. The PNG's text is drawn by [`Raster`], which places each glyph at its
//! exact (sub-pixel) position; SVG text is left to the viewer. [`Raster`] also draws wide
//! lines without plotters' miter spikes.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use plotters::backend::BitMapBackend;
use plotters::style::FontStyle;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};

/// The font family written into the SVG: DejaVu Sans where installed, else Verdana (similar
/// widths), else any sans-serif font. The same name is the key of the embedded font.
pub(crate) const FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

/// DejaVu Sans, cut down to the characters plots use; see `assets/README.md`.
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans-subset.ttf");

/// The embedded font, registered with plotters on first use.
pub(crate) fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_BYTES).is_err() {
            panic!("plot: the embedded font could not be read");
        }
        FontRef::try_from_slice(FONT_BYTES).expect("plot: the embedded font could not be read")
    })
}

/// plotters' font sizes are 1.24 times the em size (its SVG backend writes `size / 1.24` as
/// the `font-size`): the size to ask plotters for, to get text `em` pixels tall.
pub(crate) fn plotters_size(em: f64) -> f64 {
    em * 1.24
}

/// The `ab_glyph` scale whose em square is `em` pixels.
fn scale_for_em(font: &FontRef<'static>, em: f32) -> PxScale {
    let units_per_em = font.units_per_em().unwrap_or(2048.0);
    PxScale::from(em * font.height_unscaled() / units_per_em)
}

/// Width in pixels of `text` set at `em` pixels per em (with kerning).
pub(crate) fn text_width(text: &str, em: f64) -> f64 {
    let font = font();
    let scaled = font.as_scaled(scale_for_em(font, em as f32));
    let mut width = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        prev = Some(id);
    }
    width as f64
}

/// A [`BitMapBackend`] that draws text itself with the embedded font, and wide polylines
/// with round joints; everything else is passed through.
pub(crate) struct Raster<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> Raster<'a> {
    pub(crate) fn new(inner: BitMapBackend<'a>) -> Self {
        Raster { inner }
    }
}

type Error<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Error<'a>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Error<'a>> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error<'a>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    /// A wide polyline, segment by segment with a round dot at each joint. plotters joins
    /// wide segments with unlimited miters, which shoot far out of the plot where a line
    /// turns back sharply (a noisy loss curve).
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error<'a>> {
        if style.stroke_width() <= 1 {
            return self.inner.draw_path(path, style);
        }
        let points: Vec<BackendCoord> = path.into_iter().collect();
        for segment in points.windows(2) {
            self.inner.draw_path(segment.iter().copied(), style)?;
        }
        let radius = style.stroke_width() / 2;
        for &joint in points.iter().skip(1).take(points.len().saturating_sub(2)) {
            self.inner.draw_circle(joint, radius, style, true)?;
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Error<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    /// Lays the glyphs out along a baseline with kerning and sub-pixel positions, anchors the
    /// line the way plotters' SVG backend does, rotates it if asked, and blends each glyph's
    /// coverage into the image.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Error<'a>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let font = font();
        let em = (style.size() / 1.24) as f32;
        let scale = scale_for_em(font, em);
        let scaled = font.as_scaled(scale);

        let width = text_width(text, em as f64) as f32;
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // Baseline below `pos`, as in the SVG backend: `dy` of 0.76em, 0.5ex or -0.5ex.
        let ex = 0.55 * em;
        let baseline = match style.anchor().v_pos {
            VPos::Top => 0.76 * em,
            VPos::Center => 0.5 * ex,
            VPos::Bottom => -0.5 * ex,
        };
        let (dx, baseline) = (dx.round(), baseline.round());
        let transform = style.transform();
        let (w, h) = self.get_size();

        let mut x = 0.0f32;
        let mut prev: Option<GlyphId> = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(scale, point(dx + x, baseline));
            x += scaled.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // a space
            };
            let bounds = outline.px_bounds();
            let mut pixels = Vec::new();
            outline.draw(|gx, gy, coverage| {
                if coverage > 0.0 {
                    let tx = bounds.min.x as i32 + gx as i32;
                    let ty = bounds.min.y as i32 + gy as i32;
                    pixels.push((tx, ty, coverage.min(1.0)));
                }
            });
            for (tx, ty, coverage) in pixels {
                let (rx, ry) = match transform {
                    FontTransform::None => (tx, ty),
                    FontTransform::Rotate90 => (-ty, tx),
                    FontTransform::Rotate180 => (-tx, -ty),
                    FontTransform::Rotate270 => (ty, -tx),
                };
                let (px, py) = (pos.0 + rx, pos.1 + ry);
                if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                    let alpha = color.alpha * coverage as f64;
                    self.inner.draw_pixel(
                        (px, py),
                        BackendColor {
                            alpha,
                            rgb: color.rgb,
                        },
                    )?;
                }
            }
        }
        Ok(())
    }
}
