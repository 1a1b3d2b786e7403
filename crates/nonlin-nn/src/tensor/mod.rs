//! [`Tensor`]: contiguous N-d storage with a shape, and reverse-mode autograd in the style of micrograd.
//!
//! A `Tensor` is a cheap handle (`Rc`): cloning it refers to the same tensor, as a Python variable does. Every
//! operation that involves a tensor which requires grad records a [`GradFn`] named exactly as PyTorch names it
//! (`AddmmBackward0`, `ReluBackward0`, …); [`Tensor::backward`] walks them in reverse topological order and
//! accumulates into the `grad` of leaf tensors that require grad.

mod autograd;
mod functional;
mod ops;
mod print;
mod shape;

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

pub use autograd::{NoGradGuard, is_grad_enabled, no_grad};

use crate::Error;
use crate::element::Element;
use crate::rng::{self, Generator};

/// An N-d array of `f32` (the default, like PyTorch's) or `f64`, with autograd.
pub struct Tensor<T: Element = f32>(Rc<Inner<T>>);

impl<T: Element> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor(Rc::clone(&self.0))
    }
}

struct Inner<T: Element> {
    data: RefCell<Vec<T>>,
    shape: Vec<usize>,
    requires_grad: Cell<bool>,
    grad: RefCell<Option<Vec<T>>>,
    grad_fn: Option<GradFn<T>>,
}

/// From the gradient of an operation's output to the gradient of each input (`None` where none is needed).
type BackwardFn<T> = Box<dyn Fn(&[T]) -> Vec<Option<Vec<T>>>>;

/// The backward of one operation: its PyTorch name, its inputs, and its [`BackwardFn`].
pub struct GradFn<T: Element> {
    name: &'static str,
    inputs: Vec<Tensor<T>>,
    backward: BackwardFn<T>,
}

impl<T: Element> GradFn<T> {
    /// PyTorch's class name for this node (`type(t.grad_fn).__name__`).
    pub fn name(&self) -> &'static str {
        self.name
    }
}

pub(crate) fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl<T: Element> Tensor<T> {
    fn leaf(data: Vec<T>, shape: Vec<usize>) -> Self {
        debug_assert_eq!(data.len(), numel(&shape));
        Tensor(Rc::new(Inner {
            data: RefCell::new(data),
            shape,
            requires_grad: Cell::new(false),
            grad: RefCell::new(None),
            grad_fn: None,
        }))
    }

    /// The result of an operation: records `backward` if grad mode is on and any input requires grad.
    pub(crate) fn from_op(
        data: Vec<T>,
        shape: Vec<usize>,
        name: &'static str,
        inputs: Vec<Tensor<T>>,
        backward: impl Fn(&[T]) -> Vec<Option<Vec<T>>> + 'static,
    ) -> Self {
        let track = is_grad_enabled() && inputs.iter().any(Tensor::requires_grad);
        if !track {
            return Tensor::leaf(data, shape);
        }
        Tensor(Rc::new(Inner {
            data: RefCell::new(data),
            shape,
            requires_grad: Cell::new(true),
            grad: RefCell::new(None),
            grad_fn: Some(GradFn { name, inputs, backward: Box::new(backward) }),
        }))
    }

    /// A tensor holding `data` in row-major order (`torch.tensor(data).reshape(shape)`).
    ///
    /// ```
    /// use nonlin_nn::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2])?;
    /// assert_eq!(t.shape(), &[2, 2]);
    /// # Ok::<(), nonlin_nn::Error>(())
    /// ```
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self, Error> {
        if data.len() != numel(shape) {
            return Err(Error::ElementCount { shape: shape.to_vec(), len: data.len() });
        }
        Ok(Tensor::leaf(data, shape.to_vec()))
    }

    /// A 0-d tensor.
    pub fn scalar(value: T) -> Self {
        Tensor::leaf(vec![value], vec![])
    }

    /// `torch.full(shape, value)`.
    pub fn full(shape: &[usize], value: T) -> Self {
        Tensor::leaf(vec![value; numel(shape)], shape.to_vec())
    }

    /// `torch.zeros(shape)`.
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor::full(shape, T::ZERO)
    }

    /// `torch.ones(shape)`.
    pub fn ones(shape: &[usize]) -> Self {
        Tensor::full(shape, T::ONE)
    }

    /// `torch.arange(start, end, step)`: values `start + i·step` below `end` (above, for a negative step).
    pub fn arange(start: f64, end: f64, step: f64) -> Result<Self, Error> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
            return Err(Error::Invalid { op: "arange", reason: format!("invalid range {start}..{end} step {step}") });
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        Ok(Tensor::leaf((0..n).map(|i| T::from_f64(start + i as f64 * step)).collect(), vec![n]))
    }

    /// `torch.linspace(start, end, steps)`, with PyTorch's symmetric evaluation (from both ends).
    pub fn linspace(start: f64, end: f64, steps: usize) -> Self {
        let step = if steps > 1 { (end - start) / (steps - 1) as f64 } else { 0.0 };
        let half = steps / 2;
        let data = (0..steps)
            .map(|i| {
                let v = if i < half { start + step * i as f64 } else { end - step * (steps - 1 - i) as f64 };
                T::from_f64(v)
            })
            .collect();
        Tensor::leaf(data, vec![steps])
    }

    /// `torch.randn(shape)` from the default generator.
    pub fn randn(shape: &[usize]) -> Self {
        Tensor::randn_with(shape, &mut rng::default_generator())
    }

    /// `torch.randn(shape, generator=g)`.
    pub fn randn_with(shape: &[usize], g: &mut Generator) -> Self {
        let mut data = vec![T::ZERO; numel(shape)];
        g.fill_normal(&mut data, 0.0, 1.0);
        Tensor::leaf(data, shape.to_vec())
    }

    /// `torch.rand(shape)` (uniform on [0, 1)) from the default generator.
    pub fn rand(shape: &[usize]) -> Self {
        Tensor::rand_with(shape, &mut rng::default_generator())
    }

    /// `torch.rand(shape, generator=g)`.
    pub fn rand_with(shape: &[usize], g: &mut Generator) -> Self {
        let mut data = vec![T::ZERO; numel(shape)];
        g.fill_uniform(&mut data, 0.0, 1.0);
        Tensor::leaf(data, shape.to_vec())
    }

    /// `tensor.uniform_(from, to)` with the default generator (in place; no autograd record, like PyTorch's
    /// initialisers under `no_grad`).
    pub fn uniform_(&self, from: f64, to: f64) -> &Self {
        rng::default_generator().fill_uniform(&mut self.0.data.borrow_mut(), from, to);
        self
    }

    /// `tensor.normal_(mean, std)` with the default generator.
    pub fn normal_(&self, mean: f64, std: f64) -> &Self {
        rng::default_generator().fill_normal(&mut self.0.data.borrow_mut(), mean, std);
        self
    }

    /// Overwrites every element with `value` (`fill_`).
    pub fn fill_(&self, value: T) -> &Self {
        self.0.data.borrow_mut().iter_mut().for_each(|v| *v = value);
        self
    }

    /// The shape (`tensor.shape`).
    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.0.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        numel(&self.0.shape)
    }

    /// The values, row-major.
    pub fn data(&self) -> Ref<'_, Vec<T>> {
        self.0.data.borrow()
    }

    /// A copy of the values, row-major (`tensor.tolist()` flattened).
    pub fn to_vec(&self) -> Vec<T> {
        self.0.data.borrow().clone()
    }

    /// The single value of a one-element tensor (`tensor.item()`).
    pub fn item(&self) -> Result<T, Error> {
        let d = self.0.data.borrow();
        if d.len() != 1 {
            return Err(Error::Shape {
                op: "item",
                expected: "a tensor with one element".into(),
                got: self.shape().to_vec(),
            });
        }
        Ok(d[0])
    }

    /// Replaces the values in place (for optimizers and loaders; no autograd record).
    pub fn set_data(&self, values: &[T]) -> Result<(), Error> {
        let mut d = self.0.data.borrow_mut();
        if values.len() != d.len() {
            return Err(Error::ElementCount { shape: self.shape().to_vec(), len: values.len() });
        }
        d.copy_from_slice(values);
        Ok(())
    }

    /// Applies `f` to the values in place (no autograd record), e.g. an optimizer step.
    pub fn update_data(&self, f: impl FnOnce(&mut [T])) {
        f(&mut self.0.data.borrow_mut());
    }

    /// Whether gradients flow to this tensor.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.get()
    }

    /// `tensor.requires_grad_(flag)` on a leaf; returns the tensor for chaining.
    pub fn requires_grad_(self, flag: bool) -> Result<Self, Error> {
        if self.0.grad_fn.is_some() && !flag {
            return Err(Error::Invalid {
                op: "requires_grad_",
                reason: "you can only change requires_grad flags of leaf variables".into(),
            });
        }
        self.0.requires_grad.set(flag);
        Ok(self)
    }

    /// The accumulated gradient of a leaf, if any (`tensor.grad`).
    pub fn grad(&self) -> Option<Tensor<T>> {
        self.0.grad.borrow().as_ref().map(|g| Tensor::leaf(g.clone(), self.0.shape.clone()))
    }

    /// Clears the gradient (`tensor.grad = None`, what `zero_grad()` does by default).
    pub fn zero_grad(&self) {
        *self.0.grad.borrow_mut() = None;
    }

    /// The node that produced this tensor (`tensor.grad_fn`), `None` for leaves.
    pub fn grad_fn(&self) -> Option<&GradFn<T>> {
        self.0.grad_fn.as_ref()
    }

    /// `True` for tensors not produced by a recorded operation.
    pub fn is_leaf(&self) -> bool {
        self.0.grad_fn.is_none()
    }

    /// A new leaf with the same values and no history (`tensor.detach()`; the values are copied).
    pub fn detach(&self) -> Self {
        Tensor::leaf(self.to_vec(), self.0.shape.clone())
    }

    /// `true` if both handles refer to the same tensor.
    pub fn same(&self, other: &Tensor<T>) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The values converted to another element type (`tensor.to(dtype)`, no autograd record).
    pub fn cast<U: Element>(&self) -> Tensor<U> {
        Tensor::leaf(self.data().iter().map(|v| U::from_f64(v.to_f64())).collect(), self.0.shape.clone())
    }
}
