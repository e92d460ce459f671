//! Drawing a graph of your own values as `Tensor::graph` draws a tensor's: for an engine
//! written in a notebook (lesson 08's scalar `Value`), which the crate knows nothing about.
//!
//! A [`Diagram`] is a list of nodes, each a box with lines of text and, unless it is a leaf,
//! the op that made it from earlier nodes. It goes through the same layout and DOT code as
//! the crate's own graphs (`graph.rs`), so both kinds of picture look alike.

use crate::graph::{Graph, GraphTensor, Role};

/// A graph of values of your own, drawn like micrograd's `draw_dot` and [`Tensor::graph`]:
/// a box per value with the lines you give, an oval per op, arrows from inputs to the op and
/// from the op to its result. Leaves (nodes without an op) are light blue, the node added
/// last (the result) light green.
///
/// Add every node after its inputs, as a topological order lists them; an input used twice
/// by one op is listed twice, and gets two arrows.
///
/// ```
/// use autograd_core::Diagram;
/// // c = a * b, then d = c + c
/// let mut diagram = Diagram::new();
/// let a = diagram.node(["a", "data 2.0000"], None, &[]);
/// let b = diagram.node(["b", "data -3.0000"], None, &[]);
/// let c = diagram.node(["c", "data -6.0000"], Some("*"), &[a, b]);
/// diagram.node(["d", "data -12.0000"], Some("+"), &[c, c]);
/// let dot = diagram.to_dot();
/// assert!(dot.contains("t1 -> op2;") && dot.contains("t2 -> op3;\n    t2 -> op3;"));
/// # #[cfg(feature = "plot")]
/// assert!(diagram.draw().svg().contains("data -12.0000")); // end a notebook cell with it
/// ```
///
/// [`Tensor::graph`]: crate::Tensor
#[derive(Default)]
pub struct Diagram {
    graph: Graph,
}

impl Diagram {
    /// An empty diagram.
    ///
    /// ```
    /// assert!(autograd_core::Diagram::new().is_empty());
    /// ```
    pub fn new() -> Diagram {
        Diagram::default()
    }

    /// Adds a value: a box showing `lines`, made by `op` (an oval with that name) from the
    /// nodes at `inputs`, in argument order; `op` is `None` for a leaf, with no inputs.
    /// A line with a tab in it shows its parts side by side, as the crate's graphs show
    /// `data 0.5000 | grad 1.0000`. Returns the new node's index, for later nodes to use as
    /// an input. Panics if an input is not an earlier node, or if a leaf has inputs.
    ///
    /// ```
    /// use autograd_core::Diagram;
    /// let mut diagram = Diagram::new();
    /// let x = diagram.node(["x", "data 0.5000\tgrad 1.0000"], None, &[]);
    /// assert_eq!(diagram.node(["tanh(x)"], Some("tanh"), &[x]), 1);
    /// assert!(diagram.to_dot().contains("label=\"x | {data 0.5000 | grad 1.0000}\""));
    /// ```
    #[track_caller]
    pub fn node<S: Into<String>>(
        &mut self,
        lines: impl IntoIterator<Item = S>,
        op: Option<&str>,
        inputs: &[usize],
    ) -> usize {
        let count = self.graph.tensors.len();
        if let Some(&late) = inputs.iter().find(|&&i| i >= count) {
            panic!(
                "Diagram::node: input {late} is not a node yet (there are {count})\n  \
                 hint: add each node after its inputs, in topological order"
            );
        }
        assert!(
            op.is_some() || inputs.is_empty(),
            "Diagram::node: a leaf (op None) cannot have inputs\n  hint: name the op that made it"
        );
        self.graph.tensors.push(GraphTensor {
            op: op.map(str::to_string),
            role: Role::Computed,
            lines: lines.into_iter().map(Into::into).collect(),
            inputs: inputs.to_vec(),
        });
        count
    }

    /// Whether no node has been added yet.
    ///
    /// ```
    /// let mut diagram = autograd_core::Diagram::new();
    /// diagram.node(["x"], None, &[]);
    /// assert!(!diagram.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.graph.tensors.is_empty()
    }

    /// The graph in graphviz's DOT language, as [`Tensor::to_dot`](crate::Tensor::to_dot)
    /// writes a tensor's.
    ///
    /// ```
    /// let mut diagram = autograd_core::Diagram::new();
    /// let x = diagram.node(["x", "data 0.5000"], None, &[]);
    /// diagram.node(["y"], Some("tanh"), &[x]);
    /// assert!(diagram.to_dot().contains("label=\"x | data 0.5000\", style=filled, fillcolor=lightblue"));
    /// ```
    pub fn to_dot(&self) -> String {
        self.coloured().to_dot()
    }

    /// The picture (SVG and PNG), as [`Tensor::graph`](crate::Tensor::graph) draws a
    /// tensor's: as the last expression of a notebook cell it shows itself. Panics if there
    /// is no node, or if the graph is too big to draw.
    ///
    /// ```
    /// let mut diagram = autograd_core::Diagram::new();
    /// let x = diagram.node(["x"], None, &[]);
    /// diagram.node(["y"], Some("tanh"), &[x]);
    /// assert!(diagram.draw().svg().contains("tanh"));
    /// ```
    #[cfg(feature = "plot")]
    #[track_caller]
    pub fn draw(&self) -> crate::plot::Figure {
        assert!(!self.is_empty(), "Diagram::draw: the diagram has no node");
        self.coloured().draw("Diagram::draw")
    }

    /// The graph with its colours: leaves light blue (they collect gradients), the last
    /// node light green (the result).
    fn coloured(&self) -> Graph {
        let last = self.graph.tensors.len().saturating_sub(1);
        let tensors = self
            .graph
            .tensors
            .iter()
            .enumerate()
            .map(|(i, node)| GraphTensor {
                role: match (node.op.is_some(), i == last) {
                    (false, _) => Role::RequiresGrad,
                    (true, true) => Role::Output,
                    (true, false) => Role::Computed,
                },
                op: node.op.clone(),
                lines: node.lines.clone(),
                inputs: node.inputs.clone(),
            });
        Graph {
            tensors: tensors.collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// A diagram with a tensor graph's boxes and ops is drawn exactly as the tensor's graph:
    /// the same DOT text, colours and arrows included (`w` used twice by `*`, then again by `+`).
    #[test]
    fn draws_what_tensor_graphs_draw() {
        let w = tensor!(1.5).requires_grad_(true);
        let y = &(&w * &w) + &w;
        let mut diagram = Diagram::new();
        let leaf = diagram.node(["shape []", "data 1.5000", "requires_grad"], None, &[]);
        let square = diagram.node(
            ["shape []", "data 2.2500"],
            Some("MulBackward0"),
            &[leaf, leaf],
        );
        diagram.node(
            ["shape []", "data 3.7500"],
            Some("AddBackward0"),
            &[square, leaf],
        );
        assert_eq!(diagram.to_dot(), y.to_dot());
        #[cfg(feature = "plot")]
        assert_eq!(diagram.draw().svg(), y.graph().svg());
    }

    #[test]
    #[should_panic(expected = "Diagram::node: input 1 is not a node yet (there are 1)")]
    fn inputs_come_before_their_results() {
        let mut diagram = Diagram::new();
        diagram.node(["x"], None, &[]);
        diagram.node(["y"], Some("f"), &[1]);
    }

    #[test]
    #[should_panic(expected = "a leaf (op None) cannot have inputs")]
    fn leaves_have_no_inputs() {
        let mut diagram = Diagram::new();
        let x = diagram.node(["x"], None, &[]);
        diagram.node(["y"], None, &[x]);
    }
}
