//! Losses with PyTorch's definitions, reductions and `grad_fn` names.

use std::fmt;

use crate::element::Element;
use crate::{Error, Tensor};

/// How a loss combines its per-element values (`reduction=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// One loss per element (per sample for class losses).
    None,
    /// The average (PyTorch's default).
    #[default]
    Mean,
    /// The sum.
    Sum,
}

impl Reduction {
    fn apply<T: Element>(self, values: Vec<T>, shape: Vec<usize>) -> (Vec<T>, Vec<usize>, T) {
        let n = values.len();
        match self {
            Reduction::None => (values, shape, T::ONE),
            Reduction::Sum => (vec![values.iter().fold(T::ZERO, |a, &b| a + b)], vec![], T::ONE),
            Reduction::Mean => {
                let scale = T::from_f64(1.0 / n as f64);
                let s = values.iter().fold(T::ZERO, |a, &b| a + b) / T::from_f64(n as f64);
                (vec![s], vec![], scale)
            }
        }
    }

    /// The upstream gradient for element `i` (a scalar for Mean/Sum).
    fn grad<T: Element>(self, g: &[T], i: usize, scale: T) -> T {
        match self {
            Reduction::None => g[i],
            _ => g[0] * scale,
        }
    }
}

fn same_shape<T: Element>(op: &'static str, a: &Tensor<T>, b: &Tensor<T>) -> Result<(), Error> {
    if a.shape() != b.shape() {
        return Err(Error::Shape {
            op,
            expected: format!("a target of the input's shape {:?}", a.shape()),
            got: b.shape().to_vec(),
        });
    }
    Ok(())
}

/// `F.mse_loss(input, target, reduction)`: `(input − target)²` (`MseLossBackward0`). Both receive gradients.
pub fn mse_loss<T: Element>(input: &Tensor<T>, target: &Tensor<T>, reduction: Reduction) -> Result<Tensor<T>, Error> {
    same_shape("mse_loss", input, target)?;
    let diff: Vec<T> = input.data().iter().zip(target.data().iter()).map(|(&a, &b)| a - b).collect();
    let values = diff.iter().map(|&d| d * d).collect();
    let (v, shape, scale) = reduction.apply(values, input.shape().to_vec());
    Ok(Tensor::from_op(v, shape, "MseLossBackward0", vec![input.clone(), target.clone()], move |g| {
        let two = T::from_f64(2.0);
        let gi: Vec<T> = diff.iter().enumerate().map(|(i, &d)| two * d * reduction.grad(g, i, scale)).collect();
        let gt = gi.iter().map(|&x| -x).collect();
        vec![Some(gi), Some(gt)]
    }))
}

fn check_classes(op: &'static str, shape: &[usize], target: &[usize]) -> Result<(usize, usize), Error> {
    let [n, c] = *shape else {
        return Err(Error::Shape { op, expected: "a 2-D input (batch, classes)".into(), got: shape.to_vec() });
    };
    if target.len() != n {
        return Err(Error::Invalid { op, reason: format!("expected {n} targets (one per row), got {}", target.len()) });
    }
    if let Some((i, &t)) = target.iter().enumerate().find(|(_, t)| **t >= c) {
        return Err(Error::Index { op, index: format!("target {t} (sample {i})"), size: c });
    }
    Ok((n, c))
}

/// `F.nll_loss(log_probs, target, reduction)` for class-index targets: `−log_probs[i, target[i]]`
/// (`NllLossBackward0`).
pub fn nll_loss<T: Element>(log_probs: &Tensor<T>, target: &[usize], reduction: Reduction) -> Result<Tensor<T>, Error> {
    let (n, c) = check_classes("nll_loss", log_probs.shape(), target)?;
    let values: Vec<T> = {
        let x = log_probs.data();
        target.iter().enumerate().map(|(i, &t)| -x[i * c + t]).collect()
    };
    let (v, shape, scale) = reduction.apply(values, vec![n]);
    let target = target.to_vec();
    Ok(Tensor::from_op(v, shape, "NllLossBackward0", vec![log_probs.clone()], move |g| {
        let mut gx = vec![T::ZERO; n * c];
        for (i, &t) in target.iter().enumerate() {
            gx[i * c + t] = -reduction.grad(g, i, scale);
        }
        vec![Some(gx)]
    }))
}

/// `F.cross_entropy(logits, target, reduction)` for class-index targets: `nll_loss(log_softmax(logits, 1))`, so the
/// graph has PyTorch's two nodes (`NllLossBackward0` ← `LogSoftmaxBackward0`).
pub fn cross_entropy<T: Element>(
    logits: &Tensor<T>,
    target: &[usize],
    reduction: Reduction,
) -> Result<Tensor<T>, Error> {
    check_classes("cross_entropy", logits.shape(), target)?;
    nll_loss(&logits.log_softmax(1)?, target, reduction)
}

/// `F.binary_cross_entropy_with_logits(input, target, reduction)`:
/// `max(x, 0) − x·y + ln(1 + e^(−|x|))`, stable for any `x` (`BinaryCrossEntropyWithLogitsBackward0`).
pub fn binary_cross_entropy_with_logits<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Result<Tensor<T>, Error> {
    same_shape("binary_cross_entropy_with_logits", input, target)?;
    let (x, y) = (input.to_vec(), target.to_vec());
    let values = x
        .iter()
        .zip(&y)
        .map(|(&x, &y)| {
            let (x, y) = (x.to_f64(), y.to_f64());
            T::from_f64(x.max(0.0) - x * y + (-x.abs()).exp().ln_1p())
        })
        .collect();
    let (v, shape, scale) = reduction.apply(values, input.shape().to_vec());
    Ok(Tensor::from_op(
        v,
        shape,
        "BinaryCrossEntropyWithLogitsBackward0",
        vec![input.clone(), target.clone()],
        move |g| {
            let sigmoid = |x: f64| if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) };
            let gi = x
                .iter()
                .zip(&y)
                .enumerate()
                .map(|(i, (&x, &y))| {
                    T::from_f64((sigmoid(x.to_f64()) - y.to_f64()) * reduction.grad(g, i, scale).to_f64())
                })
                .collect();
            let gt = x.iter().enumerate().map(|(i, &x)| -x * reduction.grad(g, i, scale)).collect();
            vec![Some(gi), Some(gt)]
        },
    ))
}

macro_rules! loss_module {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name {
            pub reduction: Reduction,
        }

        impl $name {
            /// The loss with the given reduction.
            pub fn new(reduction: Reduction) -> Self {
                $name { reduction }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "()"))
            }
        }
    };
}

loss_module!(
    /// `nn.MSELoss(reduction)`.
    MSELoss
);
loss_module!(
    /// `nn.CrossEntropyLoss(reduction)` with class-index targets.
    CrossEntropyLoss
);
loss_module!(
    /// `nn.NLLLoss(reduction)` with class-index targets.
    NLLLoss
);
loss_module!(
    /// `nn.BCEWithLogitsLoss(reduction)`.
    BCEWithLogitsLoss
);

impl MSELoss {
    /// `loss(input, target)`.
    pub fn forward<T: Element>(&self, input: &Tensor<T>, target: &Tensor<T>) -> Result<Tensor<T>, Error> {
        mse_loss(input, target, self.reduction)
    }
}

impl CrossEntropyLoss {
    /// `loss(logits, target)`.
    pub fn forward<T: Element>(&self, logits: &Tensor<T>, target: &[usize]) -> Result<Tensor<T>, Error> {
        cross_entropy(logits, target, self.reduction)
    }
}

impl NLLLoss {
    /// `loss(log_probs, target)`.
    pub fn forward<T: Element>(&self, log_probs: &Tensor<T>, target: &[usize]) -> Result<Tensor<T>, Error> {
        nll_loss(log_probs, target, self.reduction)
    }
}

impl BCEWithLogitsLoss {
    /// `loss(logits, target)`.
    pub fn forward<T: Element>(&self, input: &Tensor<T>, target: &Tensor<T>) -> Result<Tensor<T>, Error> {
        binary_cross_entropy_with_logits(input, target, self.reduction)
    }
}
