//! Text as glyph outlines from the embedded DejaVu Sans (matplotlib's default font; licence in
//! `fonts/LICENSE_DEJAVU`), so figures look the same on machines without fonts and in PNG and SVG alike.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, OutlineCurve};

use crate::scene::{Cmd, PathData};

static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).expect("the embedded font parses"))
}

/// Horizontal metrics of a laid-out string at a size, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub width: f32,
    /// Distance from the baseline up to the font's ascender.
    pub ascent: f32,
    /// Distance from the baseline down to the font's descender (positive).
    pub descent: f32,
}

fn scale(size_px: f32) -> f32 {
    size_px / font().units_per_em().unwrap_or(2048.0)
}

/// Width and vertical extent of `text` at `size_px` (the em size, as matplotlib's font size).
pub fn measure(text: &str, size_px: f32) -> Metrics {
    let f = font();
    let s = scale(size_px);
    let mut width = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            width += f.kern_unscaled(p, id) * s;
        }
        width += f.h_advance_unscaled(id) * s;
        prev = Some(id);
    }
    Metrics { width, ascent: f.ascent_unscaled() * s, descent: -f.descent_unscaled() * s }
}

/// The outline of `text` with its baseline's left end at the origin, y pointing down, in pixels.
pub fn outline(text: &str, size_px: f32) -> PathData {
    let f = font();
    let s = scale(size_px);
    let mut cmds = Vec::new();
    let mut pen = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            pen += f.kern_unscaled(p, id) * s;
        }
        if let Some(o) = f.outline(id) {
            let pt = |p: ab_glyph::Point| (pen + p.x * s, -p.y * s);
            let mut last: Option<(f32, f32)> = None;
            for curve in &o.curves {
                let (start, end) = match curve {
                    OutlineCurve::Line(a, b) => (*a, *b),
                    OutlineCurve::Quad(a, _, b) => (*a, *b),
                    OutlineCurve::Cubic(a, _, _, b) => (*a, *b),
                };
                let start = pt(start);
                if last.is_none_or(|l| (l.0 - start.0).abs() > 1e-4 || (l.1 - start.1).abs() > 1e-4) {
                    if last.is_some() {
                        cmds.push(Cmd::Close);
                    }
                    cmds.push(Cmd::MoveTo(start.0, start.1));
                }
                match curve {
                    OutlineCurve::Line(_, b) => {
                        let b = pt(*b);
                        cmds.push(Cmd::LineTo(b.0, b.1));
                    }
                    OutlineCurve::Quad(_, c, b) => {
                        let (c, b) = (pt(*c), pt(*b));
                        cmds.push(Cmd::QuadTo(c.0, c.1, b.0, b.1));
                    }
                    OutlineCurve::Cubic(_, c1, c2, b) => {
                        let (c1, c2, b) = (pt(*c1), pt(*c2), pt(*b));
                        cmds.push(Cmd::CubicTo(c1.0, c1.1, c2.0, c2.1, b.0, b.1));
                    }
                }
                last = Some(pt(end));
            }
            if last.is_some() {
                cmds.push(Cmd::Close);
            }
        }
        pen += f.h_advance_unscaled(id) * s;
        prev = Some(id);
    }
    PathData(cmds)
}
