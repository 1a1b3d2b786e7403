//! Drawing primitives and the two renderers (PNG through tiny-skia, SVG as text). Text reaches them already
//! converted to filled glyph outlines, so both draw exactly the same geometry.

use std::fmt::Write;

/// An RGBA colour, components in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Color {
    pub r: f32,
    pub g: f32,
    pub b: f32,
    pub a: f32,
}

impl Color {
    /// From `#rrggbb`.
    pub const fn hex(rgb: u32) -> Self {
        Color {
            r: ((rgb >> 16) & 0xff) as f32 / 255.0,
            g: ((rgb >> 8) & 0xff) as f32 / 255.0,
            b: (rgb & 0xff) as f32 / 255.0,
            a: 1.0,
        }
    }

    /// The same colour with opacity `a`.
    pub const fn alpha(self, a: f32) -> Self {
        Color { a, ..self }
    }

    fn svg(&self) -> String {
        let c = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
        format!("#{:02x}{:02x}{:02x}", c(self.r), c(self.g), c(self.b))
    }
}

/// One path command, in pixels with y pointing down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmd {
    MoveTo(f32, f32),
    LineTo(f32, f32),
    QuadTo(f32, f32, f32, f32),
    CubicTo(f32, f32, f32, f32, f32, f32),
    Close,
}

/// A sequence of path commands.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathData(pub Vec<Cmd>);

impl PathData {
    /// An open polyline.
    pub fn polyline(points: &[(f32, f32)]) -> Self {
        let mut cmds = Vec::with_capacity(points.len());
        for (i, &(x, y)) in points.iter().enumerate() {
            cmds.push(if i == 0 { Cmd::MoveTo(x, y) } else { Cmd::LineTo(x, y) });
        }
        PathData(cmds)
    }

    /// A rectangle with corners rounded by `radius`.
    pub fn rounded_rect(x: f32, y: f32, w: f32, h: f32, radius: f32) -> Self {
        let r = radius.min(w / 2.0).min(h / 2.0);
        let k = 0.552_284_8 * r; // cubic approximation of a quarter circle
        PathData(vec![
            Cmd::MoveTo(x + r, y),
            Cmd::LineTo(x + w - r, y),
            Cmd::CubicTo(x + w - r + k, y, x + w, y + r - k, x + w, y + r),
            Cmd::LineTo(x + w, y + h - r),
            Cmd::CubicTo(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h),
            Cmd::LineTo(x + r, y + h),
            Cmd::CubicTo(x + r - k, y + h, x, y + h - r + k, x, y + h - r),
            Cmd::LineTo(x, y + r),
            Cmd::CubicTo(x, y + r - k, x + r - k, y, x + r, y),
            Cmd::Close,
        ])
    }

    /// The path moved by `(dx, dy)` and, first, rotated by `angle` radians about the origin (counter-clockwise
    /// on screen for positive angles).
    pub fn transformed(&self, angle: f32, dx: f32, dy: f32) -> Self {
        let (s, c) = angle.sin_cos();
        let t = |x: f32, y: f32| (x * c + y * s + dx, -x * s + y * c + dy);
        PathData(
            self.0
                .iter()
                .map(|cmd| match *cmd {
                    Cmd::MoveTo(x, y) => {
                        let p = t(x, y);
                        Cmd::MoveTo(p.0, p.1)
                    }
                    Cmd::LineTo(x, y) => {
                        let p = t(x, y);
                        Cmd::LineTo(p.0, p.1)
                    }
                    Cmd::QuadTo(x1, y1, x, y) => {
                        let (a, b) = (t(x1, y1), t(x, y));
                        Cmd::QuadTo(a.0, a.1, b.0, b.1)
                    }
                    Cmd::CubicTo(x1, y1, x2, y2, x, y) => {
                        let (a, b, p) = (t(x1, y1), t(x2, y2), t(x, y));
                        Cmd::CubicTo(a.0, a.1, b.0, b.1, p.0, p.1)
                    }
                    Cmd::Close => Cmd::Close,
                })
                .collect(),
        )
    }

    fn svg(&self) -> String {
        let mut d = String::new();
        for cmd in &self.0 {
            let _ = match *cmd {
                Cmd::MoveTo(x, y) => write!(d, "M{x:.2} {y:.2}"),
                Cmd::LineTo(x, y) => write!(d, "L{x:.2} {y:.2}"),
                Cmd::QuadTo(a, b, x, y) => write!(d, "Q{a:.2} {b:.2} {x:.2} {y:.2}"),
                Cmd::CubicTo(a, b, c, e, x, y) => write!(d, "C{a:.2} {b:.2} {c:.2} {e:.2} {x:.2} {y:.2}"),
                Cmd::Close => write!(d, "Z"),
            };
        }
        d
    }
}

/// Line ends, as matplotlib's capstyles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Butt,
    Round,
    Projecting,
}

/// How a path's outline is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Stroke {
    pub color: Color,
    pub width: f32,
    /// On/off lengths in pixels, `None` for solid.
    pub dash: Option<Vec<f32>>,
    pub cap: Cap,
}

/// A path with an optional fill and stroke.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub path: PathData,
    pub fill: Option<Color>,
    pub stroke: Option<Stroke>,
    /// Clip to this rectangle `(x, y, w, h)` (the axes area for curves).
    pub clip: Option<(f32, f32, f32, f32)>,
}

/// Everything a figure draws, in order, on a white canvas of `width × height` pixels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub shapes: Vec<Shape>,
}

impl Scene {
    /// PNG bytes (8-bit RGBA, anti-aliased).
    pub fn to_png(&self) -> Vec<u8> {
        use tiny_skia::{FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Rect, StrokeDash, Transform};
        let mut pixmap = Pixmap::new(self.width.max(1), self.height.max(1)).expect("non-zero size");
        pixmap.fill(tiny_skia::Color::WHITE);
        for shape in &self.shapes {
            let mut pb = PathBuilder::new();
            for cmd in &shape.path.0 {
                match *cmd {
                    Cmd::MoveTo(x, y) => pb.move_to(x, y),
                    Cmd::LineTo(x, y) => pb.line_to(x, y),
                    Cmd::QuadTo(a, b, x, y) => pb.quad_to(a, b, x, y),
                    Cmd::CubicTo(a, b, c, d, x, y) => pb.cubic_to(a, b, c, d, x, y),
                    Cmd::Close => pb.close(),
                }
            }
            let Some(path) = pb.finish() else { continue };
            let mask = shape.clip.and_then(|(x, y, w, h)| {
                let mut m = tiny_skia::Mask::new(self.width, self.height)?;
                let rect = Rect::from_xywh(x, y, w, h)?;
                m.fill_path(&PathBuilder::from_rect(rect), FillRule::Winding, false, Transform::identity());
                Some(m)
            });
            let paint = |c: Color| {
                let mut p = Paint::default();
                p.set_color(tiny_skia::Color::from_rgba(c.r, c.g, c.b, c.a).unwrap_or(tiny_skia::Color::BLACK));
                p.anti_alias = true;
                p
            };
            if let Some(fill) = shape.fill {
                pixmap.fill_path(&path, &paint(fill), FillRule::Winding, Transform::identity(), mask.as_ref());
            }
            if let Some(s) = &shape.stroke {
                let stroke = tiny_skia::Stroke {
                    width: s.width,
                    line_cap: match s.cap {
                        Cap::Butt => LineCap::Butt,
                        Cap::Round => LineCap::Round,
                        Cap::Projecting => LineCap::Square,
                    },
                    line_join: LineJoin::Round,
                    dash: s.dash.clone().and_then(|d| StrokeDash::new(d, 0.0)),
                    ..Default::default()
                };
                pixmap.stroke_path(&path, &paint(s.color), &stroke, Transform::identity(), mask.as_ref());
            }
        }
        pixmap.encode_png().expect("PNG encoding of an in-memory pixmap")
    }

    /// An SVG document drawing the same shapes.
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.width, self.height);
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n"
        );
        let mut clips: Vec<(f32, f32, f32, f32)> = Vec::new();
        for shape in &self.shapes {
            let mut attrs = String::new();
            match shape.fill {
                Some(c) => {
                    let _ = write!(attrs, " fill=\"{}\"", c.svg());
                    if c.a < 1.0 {
                        let _ = write!(attrs, " fill-opacity=\"{:.3}\"", c.a);
                    }
                }
                None => attrs.push_str(" fill=\"none\""),
            }
            if let Some(s) = &shape.stroke {
                let _ = write!(
                    attrs,
                    " stroke=\"{}\" stroke-width=\"{:.3}\" stroke-linejoin=\"round\"",
                    s.color.svg(),
                    s.width
                );
                if s.color.a < 1.0 {
                    let _ = write!(attrs, " stroke-opacity=\"{:.3}\"", s.color.a);
                }
                let cap = match s.cap {
                    Cap::Butt => "butt",
                    Cap::Round => "round",
                    Cap::Projecting => "square",
                };
                let _ = write!(attrs, " stroke-linecap=\"{cap}\"");
                if let Some(d) = &s.dash {
                    let list: Vec<String> = d.iter().map(|v| format!("{v:.3}")).collect();
                    let _ = write!(attrs, " stroke-dasharray=\"{}\"", list.join(","));
                }
            }
            if let Some(c) = shape.clip {
                let id = match clips.iter().position(|k| *k == c) {
                    Some(i) => i,
                    None => {
                        clips.push(c);
                        let i = clips.len() - 1;
                        let _ = writeln!(
                            out,
                            "<clipPath id=\"clip{i}\"><rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\"/></clipPath>",
                            c.0, c.1, c.2, c.3
                        );
                        i
                    }
                };
                let _ = write!(attrs, " clip-path=\"url(#clip{id})\"");
            }
            let _ = writeln!(out, "<path d=\"{}\"{attrs}/>", shape.path.svg());
        }
        out.push_str("</svg>\n");
        out
    }
}
