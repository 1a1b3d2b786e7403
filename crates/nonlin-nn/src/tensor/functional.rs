//! Softmax, LogSoftmax, Flatten and Dropout, each with its backward.

use super::Tensor;
use super::shape::{normalize_dim, split_at_dim};
use crate::Error;
use crate::element::Element;

/// Applies `f` to every 1-D lane of `x` along `dim` (lanes are `(outer, inner)` strided by `inner`).
fn for_each_lane(shape: &[usize], dim: usize, mut f: impl FnMut(&mut dyn FnMut(usize) -> usize, usize)) {
    let (outer, size, inner) = split_at_dim(shape, dim);
    for o in 0..outer {
        for i in 0..inner {
            let mut index = |s: usize| (o * size + s) * inner + i;
            f(&mut index, size);
        }
    }
}

impl<T: Element> Tensor<T> {
    /// `F.softmax(x, dim)`, numerically stable (`SoftmaxBackward0`).
    pub fn softmax(&self, dim: isize) -> Result<Tensor<T>, Error> {
        let d = normalize_dim("softmax", dim, self.dim())?;
        let x = self.data();
        let mut y = vec![T::ZERO; x.len()];
        for_each_lane(self.shape(), d, |at, size| {
            let max = (0..size).map(|s| x[at(s)].to_f64()).fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = (0..size).map(|s| (x[at(s)].to_f64() - max).exp()).sum();
            for s in 0..size {
                y[at(s)] = T::from_f64((x[at(s)].to_f64() - max).exp() / sum);
            }
        });
        drop(x);
        let (out, shape) = (y.clone(), self.shape().to_vec());
        Ok(Tensor::from_op(y, shape.clone(), "SoftmaxBackward0", vec![self.clone()], move |g| {
            // ∂x = y·(g − Σ g·y) along the lane
            let mut gx = vec![T::ZERO; g.len()];
            for_each_lane(&shape, d, |at, size| {
                let dot: f64 = (0..size).map(|s| g[at(s)].to_f64() * out[at(s)].to_f64()).sum();
                for s in 0..size {
                    gx[at(s)] = T::from_f64(out[at(s)].to_f64() * (g[at(s)].to_f64() - dot));
                }
            });
            vec![Some(gx)]
        }))
    }

    /// `F.log_softmax(x, dim)`, numerically stable (`LogSoftmaxBackward0`).
    pub fn log_softmax(&self, dim: isize) -> Result<Tensor<T>, Error> {
        let d = normalize_dim("log_softmax", dim, self.dim())?;
        let x = self.data();
        let mut y = vec![T::ZERO; x.len()];
        for_each_lane(self.shape(), d, |at, size| {
            let max = (0..size).map(|s| x[at(s)].to_f64()).fold(f64::NEG_INFINITY, f64::max);
            let lse = max + (0..size).map(|s| (x[at(s)].to_f64() - max).exp()).sum::<f64>().ln();
            for s in 0..size {
                y[at(s)] = T::from_f64(x[at(s)].to_f64() - lse);
            }
        });
        drop(x);
        let (out, shape) = (y.clone(), self.shape().to_vec());
        Ok(Tensor::from_op(y, shape.clone(), "LogSoftmaxBackward0", vec![self.clone()], move |g| {
            // ∂x = g − exp(y)·Σ g along the lane
            let mut gx = vec![T::ZERO; g.len()];
            for_each_lane(&shape, d, |at, size| {
                let sum: f64 = (0..size).map(|s| g[at(s)].to_f64()).sum();
                for s in 0..size {
                    gx[at(s)] = T::from_f64(g[at(s)].to_f64() - out[at(s)].to_f64().exp() * sum);
                }
            });
            vec![Some(gx)]
        }))
    }

    /// `torch.flatten(x, start_dim, end_dim)` (`ViewBackward0`).
    pub fn flatten(&self, start_dim: isize, end_dim: isize) -> Result<Tensor<T>, Error> {
        if self.dim() == 0 {
            return self.reshape(&[1]);
        }
        let (s, e) = (normalize_dim("flatten", start_dim, self.dim())?, normalize_dim("flatten", end_dim, self.dim())?);
        if s > e {
            return Err(Error::Invalid {
                op: "flatten",
                reason: format!("start_dim {start_dim} comes after end_dim {end_dim}"),
            });
        }
        let shape = self.shape();
        let mut new: Vec<isize> = shape[..s].iter().map(|&d| d as isize).collect();
        new.push(shape[s..=e].iter().product::<usize>() as isize);
        new.extend(shape[e + 1..].iter().map(|&d| d as isize));
        self.reshape(&new)
    }

    /// `F.dropout(x, p, training)`: in training, zeroes each element with probability `p` (drawn from the default
    /// generator) and scales the rest by `1/(1 − p)` (`MulBackward0`, as PyTorch's CPU dropout); identity in eval.
    pub fn dropout(&self, p: f64, training: bool) -> Result<Tensor<T>, Error> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::Invalid {
                op: "dropout",
                reason: format!("probability has to be between 0 and 1, but got {p}"),
            });
        }
        if !training || p == 0.0 {
            return Ok(self.clone());
        }
        let scale = if p == 1.0 { T::ZERO } else { T::from_f64(1.0 / (1.0 - p)) };
        let mask: Vec<T> = {
            let mut g = crate::rng::default_generator();
            (0..self.numel()).map(|_| if g.uniform(0.0f64, 1.0) < p { T::ZERO } else { scale }).collect()
        };
        let mask = Tensor::from_vec(mask, self.shape())?;
        self.mul(&mask)
    }
}
