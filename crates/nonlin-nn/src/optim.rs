//! `torch.optim`: SGD, Adam and AdamW with PyTorch's update rules, defaults and operation order.

use crate::element::Element;
use crate::{Error, Tensor};

/// What every optimizer does.
pub trait Optimizer {
    /// One update of every parameter that has a gradient (parameters without one are skipped, as in PyTorch).
    fn step(&mut self) -> Result<(), Error>;
    /// Clears the gradients of all parameters (`zero_grad()`, i.e. sets them to `None`).
    fn zero_grad(&self);
    /// The current learning rate.
    fn lr(&self) -> f64;
    /// Changes the learning rate (what a scheduler does).
    fn set_lr(&mut self, lr: f64);
}

/// `x ≥ 0` and not NaN.
fn non_negative(x: f64) -> bool {
    x >= 0.0
}

fn invalid(op: &'static str, reason: String) -> Error {
    Error::Invalid { op, reason }
}

/// `torch.optim.SGD` options (PyTorch's defaults except `lr`, which has none worth guessing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub maximize: bool,
}

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        SgdConfig { lr, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false }
    }
}

/// `torch.optim.SGD`.
pub struct Sgd<T: Element> {
    params: Vec<Tensor<T>>,
    config: SgdConfig,
    momentum_buffers: Vec<Option<Vec<T>>>,
}

impl<T: Element> Sgd<T> {
    /// Checks the options as PyTorch does.
    pub fn new(params: Vec<Tensor<T>>, config: SgdConfig) -> Result<Self, Error> {
        let c = config;
        if !non_negative(c.lr) {
            return Err(invalid("SGD", format!("Invalid learning rate: {}", c.lr)));
        }
        if !non_negative(c.momentum) {
            return Err(invalid("SGD", format!("Invalid momentum value: {}", c.momentum)));
        }
        if !non_negative(c.weight_decay) {
            return Err(invalid("SGD", format!("Invalid weight_decay value: {}", c.weight_decay)));
        }
        if c.nesterov && (c.momentum <= 0.0 || c.dampening != 0.0) {
            return Err(invalid("SGD", "Nesterov momentum requires a momentum and zero dampening".into()));
        }
        let n = params.len();
        Ok(Sgd { params, config, momentum_buffers: vec![None; n] })
    }
}

impl<T: Element> Optimizer for Sgd<T> {
    fn step(&mut self) -> Result<(), Error> {
        let c = self.config;
        let t = T::from_f64;
        for (p, buf) in self.params.iter().zip(self.momentum_buffers.iter_mut()) {
            let Some(grad) = p.grad() else { continue };
            let mut g = grad.to_vec();
            if c.maximize {
                g.iter_mut().for_each(|v| *v = -*v);
            }
            let param = p.to_vec();
            if c.weight_decay != 0.0 {
                g.iter_mut().zip(&param).for_each(|(g, &w)| *g = *g + t(c.weight_decay) * w);
            }
            if c.momentum != 0.0 {
                let b = match buf {
                    None => buf.insert(g.clone()),
                    Some(b) => {
                        b.iter_mut().zip(&g).for_each(|(b, &g)| *b = *b * t(c.momentum) + t(1.0 - c.dampening) * g);
                        b
                    }
                };
                if c.nesterov {
                    g.iter_mut().zip(b.iter()).for_each(|(g, &b)| *g = *g + t(c.momentum) * b);
                } else {
                    g.copy_from_slice(b);
                }
            }
            p.update_data(|w| w.iter_mut().zip(&g).for_each(|(w, &g)| *w = *w + t(-c.lr) * g));
        }
        Ok(())
    }
    fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }
    fn lr(&self) -> f64 {
        self.config.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }
}

/// `torch.optim.Adam` / `AdamW` options, with PyTorch's defaults from [`AdamConfig::adam`] and
/// [`AdamConfig::adamw`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
    pub maximize: bool,
    /// `true` for AdamW: weight decay multiplies the parameter by `1 − lr·weight_decay` instead of adding to
    /// the gradient.
    pub decoupled_weight_decay: bool,
}

impl AdamConfig {
    /// `Adam(lr=lr)` defaults: betas (0.9, 0.999), eps 1e-8, no weight decay.
    pub fn adam(lr: f64) -> Self {
        AdamConfig {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
            decoupled_weight_decay: false,
        }
    }

    /// `AdamW(lr=lr)` defaults: as Adam, with decoupled weight decay 0.01.
    pub fn adamw(lr: f64) -> Self {
        AdamConfig { weight_decay: 1e-2, decoupled_weight_decay: true, ..AdamConfig::adam(lr) }
    }
}

/// `torch.optim.Adam` and `torch.optim.AdamW` (single-tensor implementation, as PyTorch uses on the CPU).
pub struct Adam<T: Element> {
    params: Vec<Tensor<T>>,
    config: AdamConfig,
    state: Vec<Option<AdamState<T>>>,
}

struct AdamState<T> {
    step: u64,
    exp_avg: Vec<T>,
    exp_avg_sq: Vec<T>,
    max_exp_avg_sq: Vec<T>,
}

impl<T: Element> Adam<T> {
    /// Checks the options as PyTorch does.
    pub fn new(params: Vec<Tensor<T>>, config: AdamConfig) -> Result<Self, Error> {
        let c = config;
        let name = if c.decoupled_weight_decay { "AdamW" } else { "Adam" };
        if !non_negative(c.lr) {
            return Err(invalid(name, format!("Invalid learning rate: {}", c.lr)));
        }
        if !non_negative(c.eps) {
            return Err(invalid(name, format!("Invalid epsilon value: {}", c.eps)));
        }
        for (i, b) in [c.betas.0, c.betas.1].into_iter().enumerate() {
            if !(0.0..1.0).contains(&b) {
                return Err(invalid(name, format!("Invalid beta parameter at index {i}: {b}")));
            }
        }
        if !non_negative(c.weight_decay) {
            return Err(invalid(name, format!("Invalid weight_decay value: {}", c.weight_decay)));
        }
        let n = params.len();
        Ok(Adam { params, config, state: (0..n).map(|_| None).collect() })
    }
}

impl<T: Element> Optimizer for Adam<T> {
    fn step(&mut self) -> Result<(), Error> {
        let c = self.config;
        let t = T::from_f64;
        let (beta1, beta2) = c.betas;
        for (p, state) in self.params.iter().zip(self.state.iter_mut()) {
            let Some(grad) = p.grad() else { continue };
            let mut g = grad.to_vec();
            if c.maximize {
                g.iter_mut().for_each(|v| *v = -*v);
            }
            let n = g.len();
            let s = state.get_or_insert_with(|| AdamState {
                step: 0,
                exp_avg: vec![T::ZERO; n],
                exp_avg_sq: vec![T::ZERO; n],
                max_exp_avg_sq: vec![T::ZERO; n],
            });
            s.step += 1;
            let mut param = p.to_vec();
            if c.weight_decay != 0.0 {
                if c.decoupled_weight_decay {
                    param.iter_mut().for_each(|w| *w = *w * t(1.0 - c.lr * c.weight_decay));
                } else {
                    g.iter_mut().zip(&param).for_each(|(g, &w)| *g = *g + t(c.weight_decay) * w);
                }
            }
            // exp_avg.lerp_(grad, 1 − β1); exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1 − β2)
            let w = t(1.0 - beta1);
            s.exp_avg.iter_mut().zip(&g).for_each(|(m, &g)| *m = *m + w * (g - *m));
            s.exp_avg_sq.iter_mut().zip(&g).for_each(|(v, &g)| *v = *v * t(beta2) + t(1.0 - beta2) * g * g);
            let step = s.step as f64;
            let bias_correction1 = 1.0 - beta1.powf(step);
            let bias_correction2 = 1.0 - beta2.powf(step);
            let step_size = c.lr / bias_correction1;
            let bias_correction2_sqrt = bias_correction2.sqrt();
            let second = if c.amsgrad {
                s.max_exp_avg_sq.iter_mut().zip(&s.exp_avg_sq).for_each(|(m, &v)| *m = if v > *m { v } else { *m });
                &s.max_exp_avg_sq
            } else {
                &s.exp_avg_sq
            };
            for ((w, &m), &v) in param.iter_mut().zip(&s.exp_avg).zip(second) {
                let denom = T::from_f64(v.to_f64().sqrt()) / t(bias_correction2_sqrt) + t(c.eps);
                *w = *w + t(-step_size) * (m / denom);
            }
            p.set_data(&param)?;
        }
        Ok(())
    }
    fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }
    fn lr(&self) -> f64 {
        self.config.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }
}
