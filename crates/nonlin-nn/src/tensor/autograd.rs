//! `backward()`, gradient accumulation and `no_grad`.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use super::Tensor;
use crate::Error;
use crate::element::Element;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether operations currently record their backward (`torch.is_grad_enabled()`).
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Restores the previous grad mode when dropped; see [`no_grad`].
pub struct NoGradGuard {
    previous: bool,
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// `with torch.no_grad():` — operations record nothing until the guard is dropped.
///
/// ```
/// use nonlin_nn::{Tensor, no_grad};
/// let w = Tensor::<f32>::ones(&[2]).requires_grad_(true)?;
/// let y = { let _g = no_grad(); w.mul_scalar(2.0) };
/// assert!(!y.requires_grad());
/// # Ok::<(), nonlin_nn::Error>(())
/// ```
pub fn no_grad() -> NoGradGuard {
    let previous = GRAD_ENABLED.with(|g| g.replace(false));
    NoGradGuard { previous }
}

impl<T: Element> Tensor<T> {
    /// `tensor.backward()` for a one-element tensor: gradient 1.
    pub fn backward(&self) -> Result<(), Error> {
        if self.numel() != 1 {
            return Err(Error::BackwardNonScalar { shape: self.shape().to_vec() });
        }
        self.backward_with(&Tensor::ones(self.shape()))
    }

    /// `tensor.backward(gradient)`: accumulates `∂(gradient·self)/∂leaf` into every leaf that requires grad.
    pub fn backward_with(&self, gradient: &Tensor<T>) -> Result<(), Error> {
        if !self.requires_grad() {
            return Err(Error::NoGrad);
        }
        if gradient.shape() != self.shape() {
            return Err(Error::Shape {
                op: "backward",
                expected: format!("a gradient of shape {:?}", self.shape()),
                got: gradient.shape().to_vec(),
            });
        }
        let order = self.topological_order();
        let key = |t: &Tensor<T>| Rc::as_ptr(&t.0) as usize;
        let mut grads: HashMap<usize, Vec<T>> = HashMap::new();
        grads.insert(key(self), gradient.to_vec());
        let _no_grad = super::no_grad();
        for t in order.iter().rev() {
            let Some(g) = grads.remove(&key(t)) else { continue };
            match &t.0.grad_fn {
                None => {
                    if t.requires_grad() {
                        let mut slot = t.0.grad.borrow_mut();
                        match slot.as_mut() {
                            Some(acc) => acc.iter_mut().zip(&g).for_each(|(a, &b)| *a = *a + b),
                            None => *slot = Some(g),
                        }
                    }
                }
                Some(node) => {
                    for (input, grad) in node.inputs.iter().zip((node.backward)(&g)) {
                        let Some(grad) = grad else { continue };
                        if !input.requires_grad() {
                            continue;
                        }
                        match grads.get_mut(&key(input)) {
                            Some(acc) => acc.iter_mut().zip(&grad).for_each(|(a, &b)| *a = *a + b),
                            None => {
                                grads.insert(key(input), grad);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Tensors reachable from `self` through grad_fn inputs, each after all of its inputs.
    fn topological_order(&self) -> Vec<Tensor<T>> {
        let mut order = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // Iterative DFS (deep networks would overflow a recursive one).
        let mut stack: Vec<(Tensor<T>, bool)> = vec![(self.clone(), false)];
        while let Some((t, expanded)) = stack.pop() {
            let k = Rc::as_ptr(&t.0) as usize;
            if expanded {
                order.push(t);
                continue;
            }
            if !seen.insert(k) {
                continue;
            }
            stack.push((t.clone(), true));
            if let Some(node) = &t.0.grad_fn {
                for input in &node.inputs {
                    if !seen.contains(&(Rc::as_ptr(&input.0) as usize)) {
                        stack.push((input.clone(), false));
                    }
                }
            }
        }
        order
    }
}
