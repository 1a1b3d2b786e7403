//! `nn.Sequential`, and the modules that are not activations: Softmax, LogSoftmax, Flatten, Dropout.

use std::fmt;

use super::Module;
use crate::element::Element;
use crate::pyfmt::python_float;
use crate::{Error, Tensor};

/// `nn.Sequential`: layers applied in order; parameters are named `"{index}.{name}"` (`0.weight`, `2.bias`), as in
/// PyTorch's `state_dict`.
pub struct Sequential<T: Element = f32> {
    layers: Vec<Box<dyn Module<T>>>,
    training: bool,
}

impl<T: Element> Default for Sequential<T> {
    fn default() -> Self {
        Sequential { layers: Vec::new(), training: true }
    }
}

impl<T: Element> Sequential<T> {
    /// An empty container.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a layer (`Sequential.append`); returns `self` for chaining.
    pub fn push(mut self, layer: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a boxed layer.
    pub fn push_boxed(&mut self, layer: Box<dyn Module<T>>) {
        self.layers.push(layer);
    }

    /// The layers.
    pub fn layers(&self) -> &[Box<dyn Module<T>>] {
        &self.layers
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// `true` without layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Runs the layers and returns every intermediate output (`outputs[i]` is layer i's output).
    pub fn forward_all(&self, x: &Tensor<T>) -> Result<Vec<Tensor<T>>, Error> {
        let mut outputs = Vec::with_capacity(self.layers.len());
        let mut h = x.clone();
        for layer in &self.layers {
            h = layer.forward(&h)?;
            outputs.push(h.clone());
        }
        Ok(outputs)
    }
}

impl<T: Element> Module<T> for Sequential<T> {
    fn forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, Error> {
        self.layers.iter().try_fold(x.clone(), |h, layer| layer.forward(&h))
    }
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.named_parameters().into_iter().map(move |(n, p)| (format!("{i}.{n}"), p)))
            .collect()
    }
    fn train(&mut self, mode: bool) {
        self.training = mode;
        self.layers.iter_mut().for_each(|l| l.train(mode));
    }
    fn is_training(&self) -> bool {
        self.training
    }
}

impl<T: Element> fmt::Display for Sequential<T> {
    /// PyTorch's `repr`: one `(index): layer` line per layer, nested modules indented by two spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.layers.is_empty() {
            return f.write_str("Sequential()");
        }
        writeln!(f, "Sequential(")?;
        for (i, layer) in self.layers.iter().enumerate() {
            let text = layer.to_string().replace('\n', "\n  ");
            writeln!(f, "  ({i}): {text}")?;
        }
        f.write_str(")")
    }
}

/// A module without parameters defined by a function of the input and a repr.
macro_rules! stateless {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $ty:ty),* } |$s:ident, $x:ident| $forward:expr, |$f:ident| $repr:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $name {
            $(pub $field: $ty,)*
            training: bool,
        }

        impl<T: Element> Module<T> for $name {
            fn forward(&self, $x: &Tensor<T>) -> Result<Tensor<T>, Error> {
                let $s = self;
                $forward
            }
            fn train(&mut self, mode: bool) {
                self.training = mode;
            }
            fn is_training(&self) -> bool {
                self.training
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, $f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let $s = self;
                $repr
            }
        }
    };
}

stateless!(
    /// `nn.Softmax(dim)`.
    Softmax { dim: isize } |s, x| x.softmax(s.dim), |f| write!(f, "Softmax(dim={})", s.dim)
);
stateless!(
    /// `nn.LogSoftmax(dim)`.
    LogSoftmax { dim: isize } |s, x| x.log_softmax(s.dim), |f| write!(f, "LogSoftmax(dim={})", s.dim)
);
stateless!(
    /// `nn.Flatten(start_dim, end_dim)`; PyTorch's defaults are (1, −1).
    Flatten { start_dim: isize, end_dim: isize } |s, x| x.flatten(s.start_dim, s.end_dim),
    |f| write!(f, "Flatten(start_dim={}, end_dim={})", s.start_dim, s.end_dim)
);
stateless!(
    /// `nn.Dropout(p)`: active in training mode only.
    Dropout { p: f64 } |s, x| x.dropout(s.p, s.training), |f| write!(f, "Dropout(p={}, inplace=False)", python_float(s.p, false))
);

impl Softmax {
    /// `nn.Softmax(dim)`.
    pub fn new(dim: isize) -> Self {
        Softmax { dim, training: true }
    }
}

impl LogSoftmax {
    /// `nn.LogSoftmax(dim)`.
    pub fn new(dim: isize) -> Self {
        LogSoftmax { dim, training: true }
    }
}

impl Flatten {
    /// `nn.Flatten(start_dim, end_dim)`.
    pub fn new(start_dim: isize, end_dim: isize) -> Self {
        Flatten { start_dim, end_dim, training: true }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new(1, -1)
    }
}

impl Dropout {
    /// `nn.Dropout(p)`; `p` must be in [0, 1].
    pub fn new(p: f64) -> Result<Self, Error> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::Invalid {
                op: "Dropout",
                reason: format!("probability has to be between 0 and 1, but got {p}"),
            });
        }
        Ok(Dropout { p, training: true })
    }
}
