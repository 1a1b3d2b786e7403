//! Operations, each with its backward beside its forward.

use nonlin::{Activation, GeluApproximate};

use super::shape::{broadcast, broadcast_offsets, normalize_dim, reduce_to, split_at_dim};
use super::{Tensor, numel};
use crate::Error;
use crate::element::Element;

/// The result of an elementwise binary op with broadcasting: values, output shape, and each input's offset for
/// every output element.
type Broadcasted<T> = (Vec<T>, Vec<usize>, Vec<usize>, Vec<usize>);

fn broadcast_binary<T: Element>(
    op: &'static str,
    a: &Tensor<T>,
    b: &Tensor<T>,
    f: impl Fn(T, T) -> T,
) -> Result<Broadcasted<T>, Error> {
    let out = broadcast(op, a.shape(), b.shape())?;
    let (oa, ob) = (broadcast_offsets(a.shape(), &out), broadcast_offsets(b.shape(), &out));
    let (da, db) = (a.data(), b.data());
    let values = oa.iter().zip(&ob).map(|(&i, &j)| f(da[i], db[j])).collect();
    Ok((values, out, oa, ob))
}

/// The PyTorch `grad_fn` name of an activation's node.
fn activation_node_name(act: &Activation) -> &'static str {
    match act {
        Activation::Relu => "ReluBackward0",
        Activation::Relu6 | Activation::Hardtanh { .. } => "HardtanhBackward0",
        Activation::LeakyRelu { .. } => "LeakyReluBackward0",
        Activation::Prelu { .. } => "PreluKernelBackward0",
        Activation::Rrelu { .. } => "RreluWithNoiseBackward0",
        Activation::Elu { .. } | Activation::Selu => "EluBackward0",
        Activation::Celu { .. } => "CeluBackward0",
        Activation::Gelu { .. } => "GeluBackward0",
        Activation::Silu => "SiluBackward0",
        Activation::Mish => "MishBackward0",
        Activation::Softplus { .. } => "SoftplusBackward0",
        Activation::Softsign => "DivBackward0",
        Activation::Sigmoid => "SigmoidBackward0",
        Activation::Tanh => "TanhBackward0",
        Activation::LogSigmoid => "LogSigmoidBackward0",
        Activation::Hardsigmoid => "HardsigmoidBackward0",
        Activation::Hardswish => "HardswishBackward0",
        Activation::Hardshrink { .. } => "HardshrinkBackward0",
        Activation::Softshrink { .. } => "SoftshrinkBackward0",
        Activation::Tanhshrink => "SubBackward0",
        Activation::Threshold { .. } => "ThresholdBackward0",
    }
}

impl<T: Element> Tensor<T> {
    // ---------------------------------------------------------------- elementwise arithmetic

    /// `self + other` with broadcasting (`AddBackward0`).
    pub fn add(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        let (v, out, _, _) = broadcast_binary("add", self, other, |a, b| a + b)?;
        let (sa, sb, so) = (self.shape().to_vec(), other.shape().to_vec(), out.clone());
        Ok(Tensor::from_op(v, out, "AddBackward0", vec![self.clone(), other.clone()], move |g| {
            vec![Some(reduce_to(g, &sa, &so)), Some(reduce_to(g, &sb, &so))]
        }))
    }

    /// `self − other` with broadcasting (`SubBackward0`).
    pub fn sub(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        let (v, out, _, _) = broadcast_binary("sub", self, other, |a, b| a - b)?;
        let (sa, sb, so) = (self.shape().to_vec(), other.shape().to_vec(), out.clone());
        Ok(Tensor::from_op(v, out, "SubBackward0", vec![self.clone(), other.clone()], move |g| {
            let neg: Vec<T> = g.iter().map(|&x| -x).collect();
            vec![Some(reduce_to(g, &sa, &so)), Some(reduce_to(&neg, &sb, &so))]
        }))
    }

    /// `self · other` elementwise with broadcasting (`MulBackward0`).
    pub fn mul(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        let (v, out, oa, ob) = broadcast_binary("mul", self, other, |a, b| a * b)?;
        let (sa, sb, so) = (self.shape().to_vec(), other.shape().to_vec(), out.clone());
        let (da, db) = (self.to_vec(), other.to_vec());
        Ok(Tensor::from_op(v, out, "MulBackward0", vec![self.clone(), other.clone()], move |g| {
            let ga: Vec<T> = g.iter().zip(&ob).map(|(&g, &j)| g * db[j]).collect();
            let gb: Vec<T> = g.iter().zip(&oa).map(|(&g, &i)| g * da[i]).collect();
            vec![Some(reduce_to(&ga, &sa, &so)), Some(reduce_to(&gb, &sb, &so))]
        }))
    }

    /// `self / other` elementwise with broadcasting (`DivBackward0`).
    pub fn div(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        let (v, out, oa, ob) = broadcast_binary("div", self, other, |a, b| a / b)?;
        let (sa, sb, so) = (self.shape().to_vec(), other.shape().to_vec(), out.clone());
        let (da, db) = (self.to_vec(), other.to_vec());
        Ok(Tensor::from_op(v, out, "DivBackward0", vec![self.clone(), other.clone()], move |g| {
            let ga: Vec<T> = g.iter().zip(&ob).map(|(&g, &j)| g / db[j]).collect();
            let gb: Vec<T> =
                g.iter().zip(oa.iter().zip(&ob)).map(|(&g, (&i, &j))| -g * da[i] / (db[j] * db[j])).collect();
            vec![Some(reduce_to(&ga, &sa, &so)), Some(reduce_to(&gb, &sb, &so))]
        }))
    }

    /// `self + c` (`AddBackward0`).
    pub fn add_scalar(&self, c: T) -> Tensor<T> {
        let v = self.data().iter().map(|&x| x + c).collect();
        Tensor::from_op(v, self.shape().to_vec(), "AddBackward0", vec![self.clone()], |g| vec![Some(g.to_vec())])
    }

    /// `self · c` (`MulBackward0`).
    pub fn mul_scalar(&self, c: T) -> Tensor<T> {
        let v = self.data().iter().map(|&x| x * c).collect();
        Tensor::from_op(v, self.shape().to_vec(), "MulBackward0", vec![self.clone()], move |g| {
            vec![Some(g.iter().map(|&g| g * c).collect())]
        })
    }

    /// `−self` (`NegBackward0`).
    pub fn neg(&self) -> Tensor<T> {
        let v = self.data().iter().map(|&x| -x).collect();
        Tensor::from_op(v, self.shape().to_vec(), "NegBackward0", vec![self.clone()], |g| {
            vec![Some(g.iter().map(|&g| -g).collect())]
        })
    }

    /// `eˣ` (`ExpBackward0`).
    pub fn exp(&self) -> Tensor<T> {
        let v: Vec<T> = self.data().iter().map(|&x| T::from_f64(x.to_f64().exp())).collect();
        let y = v.clone();
        Tensor::from_op(v, self.shape().to_vec(), "ExpBackward0", vec![self.clone()], move |g| {
            vec![Some(g.iter().zip(&y).map(|(&g, &y)| g * y).collect())]
        })
    }

    /// `ln x` (`LogBackward0`).
    pub fn log(&self) -> Tensor<T> {
        let x = self.to_vec();
        let v = x.iter().map(|&x| T::from_f64(x.to_f64().ln())).collect();
        Tensor::from_op(v, self.shape().to_vec(), "LogBackward0", vec![self.clone()], move |g| {
            vec![Some(g.iter().zip(&x).map(|(&g, &x)| g / x).collect())]
        })
    }

    // ---------------------------------------------------------------- comparisons (no gradient)

    fn compare(&self, other: &Tensor<T>, op: &'static str, f: impl Fn(T, T) -> bool) -> Result<Tensor<T>, Error> {
        let (v, out, _, _) = broadcast_binary(op, self, other, |a, b| if f(a, b) { T::ONE } else { T::ZERO })?;
        Ok(Tensor::leaf(v, out))
    }

    /// `(self > other)` as 1.0/0.0 values (`(a > b).to(a.dtype)`); no gradient.
    pub fn gt(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        self.compare(other, "gt", |a, b| a > b)
    }

    /// `(self < other)` as 1.0/0.0 values; no gradient.
    pub fn lt(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        self.compare(other, "lt", |a, b| a < b)
    }

    /// `(self >= other)` as 1.0/0.0 values; no gradient.
    pub fn ge(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        self.compare(other, "ge", |a, b| a >= b)
    }

    /// `(self <= other)` as 1.0/0.0 values; no gradient.
    pub fn le(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        self.compare(other, "le", |a, b| a <= b)
    }

    /// `(self == other)` as 1.0/0.0 values; no gradient.
    pub fn eq(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        self.compare(other, "eq", |a, b| a == b)
    }

    // ---------------------------------------------------------------- matrix products

    fn require_2d(&self, op: &'static str) -> Result<(usize, usize), Error> {
        match *self.shape() {
            [r, c] => Ok((r, c)),
            _ => Err(Error::Shape { op, expected: "a 2-D tensor".into(), got: self.shape().to_vec() }),
        }
    }

    /// Matrix product of two 2-D tensors (`torch.mm`, `MmBackward0`).
    pub fn mm(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        let (m, k) = self.require_2d("mm")?;
        let (k2, n) = other.require_2d("mm")?;
        if k != k2 {
            return Err(Error::Shape {
                op: "mm",
                expected: format!("a right operand with {k} rows (left is {m}×{k})"),
                got: other.shape().to_vec(),
            });
        }
        let (a, b) = (self.to_vec(), other.to_vec());
        let mut c = vec![T::ZERO; m * n];
        T::gemm(m, k, n, &a, (k as isize, 1), &b, (n as isize, 1), T::ZERO, &mut c);
        Ok(Tensor::from_op(c, vec![m, n], "MmBackward0", vec![self.clone(), other.clone()], move |g| {
            // ∂a = g·bᵀ (m×n · n×k), ∂b = aᵀ·g (k×m · m×n)
            let mut ga = vec![T::ZERO; m * k];
            T::gemm(m, n, k, g, (n as isize, 1), &b, (1, n as isize), T::ZERO, &mut ga);
            let mut gb = vec![T::ZERO; k * n];
            T::gemm(k, m, n, &a, (1, k as isize), g, (n as isize, 1), T::ZERO, &mut gb);
            vec![Some(ga), Some(gb)]
        }))
    }

    /// `torch.matmul` for 2-D operands (the same as [`Tensor::mm`]).
    pub fn matmul(&self, other: &Tensor<T>) -> Result<Tensor<T>, Error> {
        self.mm(other)
    }

    /// `F.linear(self, weight, bias)` for a 2-D input: `self·weightᵀ + bias` (`AddmmBackward0`, or
    /// `MmBackward0` without bias, as PyTorch names them).
    pub fn linear(&self, weight: &Tensor<T>, bias: Option<&Tensor<T>>) -> Result<Tensor<T>, Error> {
        let (m, k) = self.require_2d("linear")?;
        let (n, k2) = weight.require_2d("linear")?;
        if k != k2 {
            return Err(Error::Shape {
                op: "linear",
                expected: format!("an input with {k2} features (weight is {n}×{k2})"),
                got: self.shape().to_vec(),
            });
        }
        if let Some(b) = bias
            && b.shape() != [n]
        {
            return Err(Error::Shape {
                op: "linear",
                expected: format!("a bias of shape [{n}]"),
                got: b.shape().to_vec(),
            });
        }
        let (x, w) = (self.to_vec(), weight.to_vec());
        let mut y = vec![T::ZERO; m * n];
        let beta = match bias {
            Some(b) => {
                let b = b.data();
                y.chunks_mut(n).for_each(|row| row.copy_from_slice(&b));
                T::ONE
            }
            None => T::ZERO,
        };
        // y (m×n) = x (m×k) · wᵀ (k×n): wᵀ is w read with swapped strides.
        T::gemm(m, k, n, &x, (k as isize, 1), &w, (1, k as isize), beta, &mut y);
        let backward = move |g: &[T]| {
            let mut gx = vec![T::ZERO; m * k];
            T::gemm(m, n, k, g, (n as isize, 1), &w, (k as isize, 1), T::ZERO, &mut gx);
            let mut gw = vec![T::ZERO; n * k];
            T::gemm(n, m, k, g, (1, n as isize), &x, (k as isize, 1), T::ZERO, &mut gw);
            let gb: Vec<T> = (0..n).map(|j| (0..m).fold(T::ZERO, |s, i| s + g[i * n + j])).collect();
            (gx, gw, gb)
        };
        Ok(match bias {
            Some(b) => Tensor::from_op(
                y,
                vec![m, n],
                "AddmmBackward0",
                vec![b.clone(), self.clone(), weight.clone()],
                move |g| {
                    let (gx, gw, gb) = backward(g);
                    vec![Some(gb), Some(gx), Some(gw)]
                },
            ),
            None => Tensor::from_op(y, vec![m, n], "MmBackward0", vec![self.clone(), weight.clone()], move |g| {
                let (gx, gw, _) = backward(g);
                vec![Some(gx), Some(gw)]
            }),
        })
    }

    // ---------------------------------------------------------------- shape

    /// `tensor.reshape(shape)`; one dimension may be `-1` (`ViewBackward0`).
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor<T>, Error> {
        let n = self.numel();
        let known: usize = shape.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
        let unknown = shape.iter().filter(|&&d| d < 0).count();
        let bad = || Error::Shape {
            op: "reshape",
            expected: format!("a shape with {n} elements, not {shape:?}"),
            got: self.shape().to_vec(),
        };
        if unknown > 1 || shape.iter().any(|&d| d < -1) {
            return Err(bad());
        }
        let new: Vec<usize> =
            shape.iter().map(|&d| if d < 0 { n.checked_div(known).unwrap_or(0) } else { d as usize }).collect();
        if numel(&new) != n {
            return Err(bad());
        }
        Ok(Tensor::from_op(self.to_vec(), new, "ViewBackward0", vec![self.clone()], |g| vec![Some(g.to_vec())]))
    }

    /// Swaps two dimensions (`TransposeBackward0`); the result is stored contiguously.
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor<T>, Error> {
        self.transpose_named(dim0, dim1, "TransposeBackward0")
    }

    /// `tensor.t()` for tensors of at most 2 dimensions (`TBackward0`).
    pub fn t(&self) -> Result<Tensor<T>, Error> {
        match self.dim() {
            0 | 1 => Ok(Tensor::from_op(self.to_vec(), self.shape().to_vec(), "TBackward0", vec![self.clone()], |g| {
                vec![Some(g.to_vec())]
            })),
            2 => self.transpose_named(0, 1, "TBackward0"),
            _ => Err(Error::Shape {
                op: "t",
                expected: "a tensor of at most 2 dimensions".into(),
                got: self.shape().to_vec(),
            }),
        }
    }

    fn transpose_named(&self, dim0: isize, dim1: isize, name: &'static str) -> Result<Tensor<T>, Error> {
        let nd = self.dim();
        let (a, b) = (normalize_dim("transpose", dim0, nd)?, normalize_dim("transpose", dim1, nd)?);
        if nd < 2 || a == b {
            return Ok(Tensor::from_op(self.to_vec(), self.shape().to_vec(), name, vec![self.clone()], |g| {
                vec![Some(g.to_vec())]
            }));
        }
        let mut shape = self.shape().to_vec();
        shape.swap(a, b);
        let perm = permutation(self.shape(), a, b);
        let src = self.data();
        let v: Vec<T> = perm.iter().map(|&i| src[i]).collect();
        drop(src);
        Ok(Tensor::from_op(v, shape, name, vec![self.clone()], move |g| {
            let mut out = vec![T::ZERO; g.len()];
            for (k, &i) in perm.iter().enumerate() {
                out[i] = g[k];
            }
            vec![Some(out)]
        }))
    }

    /// Rows `start..end` along dimension 0 (`tensor[start:end]`, `SliceBackward0`); bounds are clamped as in
    /// Python slicing.
    pub fn slice(&self, start: usize, end: usize) -> Result<Tensor<T>, Error> {
        if self.dim() == 0 {
            return Err(Error::Dim { op: "slice", dim: 0, ndim: 0 });
        }
        let rows = self.shape()[0];
        let (s, e) = (start.min(rows), end.min(rows).max(start.min(rows)));
        let inner = self.numel() / rows.max(1);
        let v = self.data()[s * inner..e * inner].to_vec();
        let mut shape = self.shape().to_vec();
        shape[0] = e - s;
        let total = self.numel();
        Ok(Tensor::from_op(v, shape, "SliceBackward0", vec![self.clone()], move |g| {
            let mut out = vec![T::ZERO; total];
            out[s * inner..e * inner].copy_from_slice(g);
            vec![Some(out)]
        }))
    }

    /// Row `index` along dimension 0 (`tensor[index]`, `SelectBackward0`).
    pub fn select(&self, index: usize) -> Result<Tensor<T>, Error> {
        if self.dim() == 0 {
            return Err(Error::Dim { op: "select", dim: 0, ndim: 0 });
        }
        let rows = self.shape()[0];
        if index >= rows {
            return Err(Error::Index { op: "select", index: format!("index {index}"), size: rows });
        }
        let inner = self.numel() / rows;
        let v = self.data()[index * inner..(index + 1) * inner].to_vec();
        let total = self.numel();
        Ok(Tensor::from_op(v, self.shape()[1..].to_vec(), "SelectBackward0", vec![self.clone()], move |g| {
            let mut out = vec![T::ZERO; total];
            out[index * inner..(index + 1) * inner].copy_from_slice(g);
            vec![Some(out)]
        }))
    }

    // ---------------------------------------------------------------- reductions

    /// Sum of all elements, a 0-d tensor (`SumBackward0`).
    pub fn sum(&self) -> Tensor<T> {
        let s = self.data().iter().fold(T::ZERO, |a, &b| a + b);
        let n = self.numel();
        Tensor::from_op(vec![s], vec![], "SumBackward0", vec![self.clone()], move |g| vec![Some(vec![g[0]; n])])
    }

    /// Mean of all elements, a 0-d tensor (`MeanBackward0`).
    pub fn mean(&self) -> Tensor<T> {
        let n = self.numel();
        let s = self.data().iter().fold(T::ZERO, |a, &b| a + b) / T::from_f64(n as f64);
        Tensor::from_op(vec![s], vec![], "MeanBackward0", vec![self.clone()], move |g| {
            vec![Some(vec![g[0] / T::from_f64(n as f64); n])]
        })
    }

    fn reduce_dim(
        &self,
        op: &'static str,
        name: &'static str,
        dim: isize,
        keepdim: bool,
        scale: bool,
    ) -> Result<Tensor<T>, Error> {
        let d = normalize_dim(op, dim, self.dim())?;
        let (outer, size, inner) = split_at_dim(self.shape(), d);
        let src = self.data();
        let mut v = vec![T::ZERO; outer * inner];
        for o in 0..outer {
            for s in 0..size {
                for i in 0..inner {
                    v[o * inner + i] = v[o * inner + i] + src[(o * size + s) * inner + i];
                }
            }
        }
        drop(src);
        let div = T::from_f64(if scale { size as f64 } else { 1.0 });
        if scale {
            v.iter_mut().for_each(|x| *x = *x / div);
        }
        let shape = reduced_shape(self.shape(), d, keepdim);
        Ok(Tensor::from_op(v, shape, name, vec![self.clone()], move |g| {
            let mut out = vec![T::ZERO; outer * size * inner];
            for o in 0..outer {
                for s in 0..size {
                    for i in 0..inner {
                        out[(o * size + s) * inner + i] = g[o * inner + i] / div;
                    }
                }
            }
            vec![Some(out)]
        }))
    }

    /// Sum along `dim` (`SumBackward1`).
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor<T>, Error> {
        self.reduce_dim("sum", "SumBackward1", dim, keepdim, false)
    }

    /// Mean along `dim` (`MeanBackward1`).
    pub fn mean_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor<T>, Error> {
        self.reduce_dim("mean", "MeanBackward1", dim, keepdim, true)
    }

    /// The largest element, a 0-d tensor (`MaxBackward1`; NaN if any element is NaN, as PyTorch). The gradient
    /// is split evenly between tied maxima, as PyTorch does.
    pub fn max(&self) -> Result<Tensor<T>, Error> {
        if self.numel() == 0 {
            return Err(Error::Invalid { op: "max", reason: "the tensor is empty".into() });
        }
        let x = self.to_vec();
        let m = x.iter().skip(1).fold(x[0], |m, &v| {
            if v.is_nan() || m.is_nan() {
                if m.is_nan() { m } else { v }
            } else if v > m {
                v
            } else {
                m
            }
        });
        Ok(Tensor::from_op(vec![m], vec![], "MaxBackward1", vec![self.clone()], move |g| {
            let ties = x.iter().filter(|&&v| v == m || (v.is_nan() && m.is_nan())).count().max(1);
            let share = g[0] / T::from_f64(ties as f64);
            vec![Some(x.iter().map(|&v| if v == m || (v.is_nan() && m.is_nan()) { share } else { T::ZERO }).collect())]
        }))
    }

    /// Flat index of the largest element (`argmax()`; the first one on ties, NaN counts as largest).
    pub fn argmax(&self) -> Result<usize, Error> {
        if self.numel() == 0 {
            return Err(Error::Invalid { op: "argmax", reason: "the tensor is empty".into() });
        }
        Ok(argmax_of(self.data().iter().copied()))
    }

    /// Largest values along `dim` and their indices (`torch.max(x, dim)`; values have `MaxBackward0`).
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor<T>, Vec<usize>), Error> {
        let d = normalize_dim("max", dim, self.dim())?;
        let (outer, size, inner) = split_at_dim(self.shape(), d);
        if size == 0 {
            return Err(Error::Invalid { op: "max", reason: "the dimension is empty".into() });
        }
        let src = self.to_vec();
        let mut idx = vec![0usize; outer * inner];
        let mut v = vec![T::ZERO; outer * inner];
        for o in 0..outer {
            for i in 0..inner {
                let k = argmax_of((0..size).map(|s| src[(o * size + s) * inner + i]));
                idx[o * inner + i] = k;
                v[o * inner + i] = src[(o * size + k) * inner + i];
            }
        }
        let shape = reduced_shape(self.shape(), d, keepdim);
        let picked = idx.clone();
        let out = Tensor::from_op(v, shape, "MaxBackward0", vec![self.clone()], move |g| {
            let mut out = vec![T::ZERO; outer * size * inner];
            for o in 0..outer {
                for i in 0..inner {
                    out[(o * size + picked[o * inner + i]) * inner + i] = g[o * inner + i];
                }
            }
            vec![Some(out)]
        });
        Ok((out, idx))
    }

    /// Indices of the largest values along `dim` (row-major over the other dimensions).
    pub fn argmax_dim(&self, dim: isize) -> Result<Vec<usize>, Error> {
        let _g = super::no_grad();
        Ok(self.max_dim(dim, false)?.1)
    }

    // ---------------------------------------------------------------- activations

    /// Applies an activation elementwise; the node calls the kernel crate's backward and is named as PyTorch
    /// names it (`ReluBackward0`, `LeakyReluBackward0`, `GeluBackward0`, …). RReLU here is its eval mode; see
    /// [`Tensor::rrelu_train`].
    ///
    /// ```
    /// use nonlin_nn::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2])?.requires_grad_(true)?;
    /// let y = x.activation(&"relu".parse()?)?;
    /// assert_eq!(y.grad_fn().unwrap().name(), "ReluBackward0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn activation(&self, act: &Activation) -> Result<Tensor<T>, Error> {
        let x = self.to_vec();
        let mut y = vec![T::ZERO; x.len()];
        act.forward(&x, &mut y)?;
        let act = *act;
        Ok(Tensor::from_op(y, self.shape().to_vec(), activation_node_name(&act), vec![self.clone()], move |g| {
            let mut gx = vec![T::ZERO; x.len()];
            act.backward(&x, g, &mut gx).expect("validated in forward, lengths equal");
            vec![Some(gx)]
        }))
    }

    /// `F.relu`.
    pub fn relu(&self) -> Tensor<T> {
        self.activation(&Activation::Relu).expect("relu has no parameters")
    }

    /// `F.leaky_relu(x, negative_slope)`.
    pub fn leaky_relu(&self, negative_slope: f64) -> Result<Tensor<T>, Error> {
        self.activation(&Activation::LeakyRelu { negative_slope })
    }

    /// `torch.sigmoid`.
    pub fn sigmoid(&self) -> Tensor<T> {
        self.activation(&Activation::Sigmoid).expect("sigmoid has no parameters")
    }

    /// `torch.tanh`.
    pub fn tanh(&self) -> Tensor<T> {
        self.activation(&Activation::Tanh).expect("tanh has no parameters")
    }

    /// `F.gelu(x)` (exact, erf form).
    pub fn gelu(&self) -> Tensor<T> {
        self.activation(&Activation::Gelu { approximate: GeluApproximate::None }).expect("gelu has no parameters")
    }

    /// `F.prelu(x, weight)` with one weight or one per channel (dimension 1) (`PreluKernelBackward0`); the
    /// weight receives its gradient.
    pub fn prelu(&self, weight: &Tensor<T>) -> Result<Tensor<T>, Error> {
        let (x, w, shape) = (self.to_vec(), weight.to_vec(), self.shape().to_vec());
        let mut y = vec![T::ZERO; x.len()];
        nonlin::prelu::forward(&x, &shape, &w, &mut y)?;
        Ok(Tensor::from_op(y, shape.clone(), "PreluKernelBackward0", vec![self.clone(), weight.clone()], move |g| {
            let (mut gx, mut gw) = (vec![T::ZERO; x.len()], vec![T::ZERO; w.len()]);
            nonlin::prelu::backward(&x, &shape, &w, g, &mut gx, &mut gw).expect("checked in forward");
            vec![Some(gx), Some(gw)]
        }))
    }

    /// RReLU in training mode: a slope drawn from U(lower, upper) for each non-positive element, from the
    /// default generator as PyTorch draws it (`RreluWithNoiseBackward0`).
    pub fn rrelu_train(&self, lower: f64, upper: f64) -> Result<Tensor<T>, Error> {
        let x = self.to_vec();
        let (mut y, mut noise) = (vec![T::ZERO; x.len()], vec![T::ZERO; x.len()]);
        {
            let mut generator = crate::rng::default_generator();
            // As `rrelu_with_noise`: the bounds are first converted to the element type, then a double is drawn
            // from U(lower, upper), unfused (that translation unit is compiled without FMA).
            let (lo, hi) = (T::from_f64(lower).to_f64(), T::from_f64(upper).to_f64());
            let draw = || generator.uniform(0.0f64, 1.0) * (hi - lo) + lo;
            nonlin::rrelu::forward_train(&x, lower, upper, draw, &mut y, &mut noise)?;
        }
        Ok(Tensor::from_op(y, self.shape().to_vec(), "RreluWithNoiseBackward0", vec![self.clone()], move |g| {
            let mut gx = vec![T::ZERO; g.len()];
            nonlin::rrelu::backward_train(&noise, g, &mut gx).expect("lengths equal");
            vec![Some(gx)]
        }))
    }
}

fn reduced_shape(shape: &[usize], d: usize, keepdim: bool) -> Vec<usize> {
    let mut s = shape.to_vec();
    if s.is_empty() {
        return s;
    }
    if keepdim {
        s[d] = 1;
    } else {
        s.remove(d);
    }
    s
}

/// Index of the maximum (first on ties; the first NaN wins, as in PyTorch).
fn argmax_of<T: Element>(values: impl Iterator<Item = T>) -> usize {
    let mut best: Option<(usize, T)> = None;
    for (i, v) in values.enumerate() {
        best = match best {
            None => Some((i, v)),
            Some((_, b)) if b.is_nan() => best,
            Some(_) if v.is_nan() => Some((i, v)),
            Some((_, b)) if v > b => Some((i, v)),
            keep => keep,
        };
    }
    best.map_or(0, |(i, _)| i)
}

/// For a transpose of dims `a` and `b` of `shape`, the source offset of each destination element.
fn permutation(shape: &[usize], a: usize, b: usize) -> Vec<usize> {
    let n = shape.len();
    let mut strides = vec![1usize; n];
    for i in (0..n.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    let mut out_shape = shape.to_vec();
    out_shape.swap(a, b);
    let mut src_strides = strides.clone();
    src_strides.swap(a, b);
    let total = numel(shape);
    let mut idx = vec![0usize; n];
    let mut perm = Vec::with_capacity(total);
    for _ in 0..total {
        perm.push(idx.iter().zip(&src_strides).map(|(i, s)| i * s).sum());
        for d in (0..n).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    perm
}
