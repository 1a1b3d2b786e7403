//! The usual PyTorch training loop as a library call: `DataLoader(shuffle, drop_last=False)`, a loss with
//! reduction mean, one optimizer step per batch, and per-epoch metrics including dead units.

use std::fmt;
use std::str::FromStr;

use crate::data::Dataset;
use crate::diagnostics::inspect;
use crate::loss::{self, Reduction};
use crate::nn::{Module, Sequential};
use crate::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use crate::{Error, Tensor, rng};

/// Which loss `nonlin train` minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    CrossEntropy,
    Mse,
    BceWithLogits,
}

impl FromStr for LossKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "cross_entropy" => Ok(LossKind::CrossEntropy),
            "mse" => Ok(LossKind::Mse),
            "bce_with_logits" => Ok(LossKind::BceWithLogits),
            _ => Err(Error::Invalid {
                op: "loss",
                reason: format!("unknown loss '{s}' (cross_entropy, mse, bce_with_logits)"),
            }),
        }
    }
}

/// An optimizer spec: `sgd:lr=0.1,momentum=0.9`, `adam:lr=0.001`, `adamw:lr=0.001,weight_decay=0.01`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimizerSpec {
    Sgd(SgdConfig),
    Adam(AdamConfig),
}

impl FromStr for OptimizerSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |reason: String| Error::Invalid { op: "optimizer", reason: format!("'{s}': {reason}") };
        let (name, args) = s.split_once(':').unwrap_or((s, ""));
        let mut spec = match name {
            "sgd" => OptimizerSpec::Sgd(SgdConfig::new(0.01)),
            "adam" => OptimizerSpec::Adam(AdamConfig::adam(1e-3)),
            "adamw" => OptimizerSpec::Adam(AdamConfig::adamw(1e-3)),
            _ => return Err(bad("unknown optimizer (sgd, adam, adamw)".into())),
        };
        for kv in args.split(',').filter(|a| !a.trim().is_empty()) {
            let (k, v) = kv.split_once('=').ok_or_else(|| bad("parameters are key=value".into()))?;
            let (k, v) = (k.trim(), v.trim());
            let num = || v.parse::<f64>().map_err(|_| bad(format!("{k}='{v}' is not a number")));
            let flag = || match v {
                "true" | "True" => Ok(true),
                "false" | "False" => Ok(false),
                _ => Err(bad(format!("{k} must be true or false"))),
            };
            match (&mut spec, k) {
                (OptimizerSpec::Sgd(c), "lr") | (OptimizerSpec::Sgd(c), "learning_rate") => c.lr = num()?,
                (OptimizerSpec::Sgd(c), "momentum") => c.momentum = num()?,
                (OptimizerSpec::Sgd(c), "dampening") => c.dampening = num()?,
                (OptimizerSpec::Sgd(c), "weight_decay") => c.weight_decay = num()?,
                (OptimizerSpec::Sgd(c), "nesterov") => c.nesterov = flag()?,
                (OptimizerSpec::Adam(c), "lr") => c.lr = num()?,
                (OptimizerSpec::Adam(c), "beta1") => c.betas.0 = num()?,
                (OptimizerSpec::Adam(c), "beta2") => c.betas.1 = num()?,
                (OptimizerSpec::Adam(c), "eps") => c.eps = num()?,
                (OptimizerSpec::Adam(c), "weight_decay") => c.weight_decay = num()?,
                (OptimizerSpec::Adam(c), "amsgrad") => c.amsgrad = flag()?,
                _ => return Err(bad(format!("unknown parameter '{k}'"))),
            }
        }
        Ok(spec)
    }
}

impl OptimizerSpec {
    /// The optimizer over `params` (options checked as PyTorch does).
    pub fn build(&self, params: Vec<Tensor>) -> Result<Box<dyn Optimizer>, Error> {
        Ok(match *self {
            OptimizerSpec::Sgd(c) => Box::new(Sgd::new(params, c)?),
            OptimizerSpec::Adam(c) => Box::new(Adam::new(params, c)?),
        })
    }
}

impl fmt::Display for OptimizerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptimizerSpec::Sgd(c) => write!(
                f,
                "sgd:lr={},momentum={},dampening={},weight_decay={},nesterov={}",
                c.lr, c.momentum, c.dampening, c.weight_decay, c.nesterov
            ),
            OptimizerSpec::Adam(c) => write!(
                f,
                "{}:lr={},beta1={},beta2={},eps={},weight_decay={},amsgrad={}",
                if c.decoupled_weight_decay { "adamw" } else { "adam" },
                c.lr,
                c.betas.0,
                c.betas.1,
                c.eps,
                c.weight_decay,
                c.amsgrad
            ),
        }
    }
}

/// Options of one training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub loss: LossKind,
    pub optimizer: OptimizerSpec,
    pub epochs: usize,
    pub batch_size: usize,
    pub shuffle: bool,
}

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochMetrics {
    pub epoch: usize,
    /// Mean of the batch losses.
    pub loss: f64,
    /// Accuracy on the whole training set after the epoch (classification only).
    pub accuracy: Option<f64>,
    /// Dead fraction of each activation layer on the whole training set after the epoch.
    pub dead_fractions: Vec<f64>,
}

/// The prepared targets.
enum Targets {
    Classes(Vec<usize>),
    Values(Tensor),
}

fn targets(data: &Dataset, loss: LossKind, outputs: usize) -> Result<Targets, Error> {
    match loss {
        LossKind::CrossEntropy => {
            data.class_targets(outputs).map(Targets::Classes).map_err(|reason| Error::Invalid { op: "data", reason })
        }
        _ => {
            if outputs != 1 {
                return Err(Error::Invalid {
                    op: "train",
                    reason: format!("{loss:?} needs a model with 1 output, this one has {outputs}"),
                });
            }
            Tensor::from_vec(data.targets.clone(), &[data.len(), 1]).map(Targets::Values)
        }
    }
}

fn batch_loss(loss: LossKind, y: &Tensor, t: &Targets, rows: &[usize]) -> Result<Tensor, Error> {
    match (loss, t) {
        (LossKind::CrossEntropy, Targets::Classes(c)) => {
            let target: Vec<usize> = rows.iter().map(|&r| c[r]).collect();
            loss::cross_entropy(y, &target, Reduction::Mean)
        }
        (_, Targets::Values(v)) => {
            let all = v.data();
            let target = Tensor::from_vec(rows.iter().map(|&r| all[r]).collect(), &[rows.len(), 1])?;
            if loss == LossKind::Mse {
                loss::mse_loss(y, &target, Reduction::Mean)
            } else {
                loss::binary_cross_entropy_with_logits(y, &target, Reduction::Mean)
            }
        }
        _ => unreachable!("targets match the loss"),
    }
}

/// Fraction of rows whose arg-max output is the class.
pub fn accuracy(model: &Sequential, data: &Dataset, classes: &[usize]) -> Result<f64, Error> {
    let _g = crate::no_grad();
    let pred = model.forward(&data.all())?.argmax_dim(1)?;
    Ok(pred.iter().zip(classes).filter(|(p, c)| p == c).count() as f64 / classes.len().max(1) as f64)
}

/// Trains `model` on `data`; `on_batch(epoch, batch, batches)` and `on_epoch(metrics)` report progress.
/// Shuffling draws a permutation per epoch from the default generator.
pub fn fit(
    model: &mut Sequential,
    data: &Dataset,
    config: &TrainConfig,
    mut on_batch: impl FnMut(usize, usize, usize),
    mut on_epoch: impl FnMut(&EpochMetrics),
) -> Result<Vec<EpochMetrics>, Error> {
    if config.batch_size == 0 {
        return Err(Error::Invalid { op: "train", reason: "batch size must be at least 1".into() });
    }
    let probe = {
        let _g = crate::no_grad();
        model.forward(&data.batch(&[0]))?
    };
    let outputs = probe.shape().last().copied().unwrap_or(1);
    let t = targets(data, config.loss, outputs)?;
    let mut opt = config.optimizer.build(model.parameters())?;
    let n = data.len();
    let batches = n.div_ceil(config.batch_size);
    let mut history = Vec::new();
    for epoch in 1..=config.epochs {
        model.train(true);
        let mut order: Vec<usize> = (0..n).collect();
        if config.shuffle {
            let mut g = rng::default_generator();
            for i in (1..n).rev() {
                let j = (g.random64() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
        }
        let mut total = 0.0;
        for (b, rows) in order.chunks(config.batch_size).enumerate() {
            opt.zero_grad();
            let loss = batch_loss(config.loss, &model.forward(&data.batch(rows))?, &t, rows)?;
            total += loss.item()? as f64;
            loss.backward()?;
            opt.step()?;
            on_batch(epoch, b + 1, batches);
        }
        model.train(false);
        let report = inspect(model, &data.all())?;
        let accuracy = match &t {
            Targets::Classes(c) => Some(accuracy(model, data, c)?),
            Targets::Values(_) => None,
        };
        let m = EpochMetrics { epoch, loss: total / batches as f64, accuracy, dead_fractions: report.dead_fractions() };
        on_epoch(&m);
        history.push(m);
    }
    Ok(history)
}
