//! # nonlin-plot
//!
//! Figures of activations and their derivatives in matplotlib's default look, as PNG or SVG, with an embedded
//! font — no Python, no system fonts. A figure is data ([`Figure`]) laid out into primitives ([`Scene`]) that
//! two renderers draw identically.
//!
//! ```
//! use nonlin_plot::{PlotOptions, figure, label};
//! let relu: nonlin::Activation = "relu".parse()?;
//! let fig = figure(&[(label(&relu), relu)], &PlotOptions::default())?;
//! let png = fig.to_png();
//! assert_eq!(&png[1..4], b"PNG");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod activations;
mod figure;
mod font;
mod scene;
mod ticks;

pub use activations::{PlotError, PlotOptions, Show, TAB10, figure, label, sample};
pub use figure::{Axes, Figure, HLine, Series};
pub use scene::{Cap, Cmd, Color, PathData, Scene, Shape, Stroke};
