//! Drawing the graph of ops that produced a tensor, like micrograd's `draw_dot`.
//!
//! [`Tensor::to_dot`] writes the graph in graphviz's DOT language, and (feature `plot`)
//! `Tensor::graph` draws it as a picture itself, so that a notebook needs no graphviz.
//! Both show the same thing:
//! - a box per tensor: its name if it has one (a parameter's `named_parameters` name, or a
//!   label), its shape, its value if it is a single number and, beside it, its gradient if it
//!   keeps one (`data 0.5000 | grad 2.5000`, as micrograd's `draw_dot`). A leaf that requires
//!   grad (a weight) is light blue, the result the graph was drawn for light green, as in
//!   PyTorch's torchviz; constants (data) are plain;
//! - an oval per op, named as PyTorch names its `grad_fn` (`MulBackward0`, ...);
//! - arrows from each input of an op to the op, and from the op to its result.
//!
//! The arrows follow the forward pass, left to right; `backward()` walks them right to left.
//! A tensor used twice is drawn once, with two arrows leaving it: that is where backward adds
//! up gradients. Nodes are numbered in the order they are found, so the same graph always
//! gives the same text and the same picture.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt::Write;
use std::rc::Rc;

use crate::tensor::{Tensor, TensorInner};

impl Tensor {
    /// The graph that computed this tensor, in graphviz's DOT language: one record box per
    /// tensor (shape, value if it is a single number, gradient if any), one ellipse per op,
    /// laid out left to right like micrograd's `draw_dot`. Render it with graphviz
    /// (`dot -Tsvg graph.dot`) or paste it into an online graphviz viewer; to see it in a
    /// notebook without graphviz, use `graph()` (feature `plot`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    /// let w = tensor!(0.5).requires_grad_(true);
    /// let l = (&w * &x).mean();
    /// l.backward();
    /// let dot = l.to_dot();
    /// assert!(dot.starts_with("digraph {"));
    /// assert!(dot.contains("MulBackward0") && dot.contains("MeanBackward0"));
    /// assert!(dot.contains("{data 0.5000 | grad 2.5000} | requires_grad")); // w, light blue
    /// ```
    pub fn to_dot(&self) -> String {
        self.to_dot_with_names(NO_NAMES)
    }

    /// [`Tensor::to_dot`] with names on the boxes of the given tensors, such as a model's
    /// parameters: `loss.to_dot_with_names(&model.named_parameters())`, like torchviz's
    /// `make_dot(loss, params=dict(model.named_parameters()))`. A name given here wins over a
    /// [`Tensor::set_label`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let model = nn::Linear::new(1, 1);
    /// let loss = model.forward(&tensor!([[2.0]])).sum();
    /// loss.backward();
    /// let dot = loss.to_dot_with_names(&model.named_parameters());
    /// assert!(dot.contains("label=\"weight | shape [1, 1] | {data "));  // {data ... | grad ...}
    /// let x = tensor!(3.0).requires_grad_(true);
    /// let dot = (&x * 2.0).to_dot_with_names(&[("x", &x)]);
    /// assert!(dot.contains("label=\"x | shape [] | data 3.0000 | requires_grad\""));
    /// ```
    pub fn to_dot_with_names<S: AsRef<str>, T: Borrow<Tensor>>(&self, names: &[(S, T)]) -> String {
        Graph::of(self, names).to_dot()
    }

    /// Names this tensor in graph drawings ([`Tensor::to_dot`], `graph()`), as micrograd's
    /// `Value(..., label='a')`; returns the same tensor, so it chains. Nothing else reads it.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let a = tensor!(2.0).requires_grad_(true).set_label("a");
    /// let b = (&a * 3.0).set_label("b");
    /// assert_eq!(b.label().as_deref(), Some("b"));
    /// assert!(b.to_dot().contains("label=\"a | shape [] | data 2.0000 | requires_grad\""));
    /// ```
    pub fn set_label(&self, label: &str) -> Tensor {
        *self.0.label.borrow_mut() = Some(label.into());
        self.shallow_clone()
    }

    /// The name given by [`Tensor::set_label`], if any.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!(1.0).label(), None);
    /// ```
    pub fn label(&self) -> Option<String> {
        self.0.label.borrow().as_deref().map(str::to_string)
    }
}

impl Graph {
    /// The DOT text of [`Tensor::to_dot`], for any graph (also a [`crate::Diagram`]'s).
    pub(crate) fn to_dot(&self) -> String {
        let mut dot = String::from("digraph {\n    rankdir=LR;\n    node [fontsize=12];\n");
        for (i, node) in self.tensors.iter().enumerate() {
            let label: Vec<String> = node.lines.iter().map(|l| record_row(l)).collect();
            let fill = match node.role {
                Role::RequiresGrad => ", style=filled, fillcolor=lightblue",
                Role::Output => ", style=filled, fillcolor=darkolivegreen1",
                Role::Constant | Role::Computed => "",
            };
            // Without braces the fields of a record stack top to bottom when rankdir=LR.
            let _ = writeln!(
                dot,
                "    t{i} [shape=record, label=\"{}\"{fill}];",
                label.join(" | ")
            );
            if let Some(op) = &node.op {
                let _ = writeln!(
                    dot,
                    "    op{i} [shape=ellipse, style=filled, fillcolor=lightgrey, label=\"{op}\"];"
                );
                // One arrow per argument: `&a * &a` has two arrows from `a`.
                for input in &node.inputs {
                    let _ = writeln!(dot, "    t{input} -> op{i};");
                }
                let _ = writeln!(dot, "    op{i} -> t{i};");
            }
        }
        dot.push_str("}\n");
        dot
    }
}

/// No names: what `to_dot()` and `graph()` pass on.
const NO_NAMES: &[(&str, &Tensor)] = &[];

/// Between the fields of one row of a box: `data 0.5000` and `grad 2.5000` side by side.
pub(crate) const FIELD_SEPARATOR: char = '\t';

/// One row of a box as DOT record text: a row of several fields in braces, which turns them
/// side by side (the rows themselves stack top to bottom when rankdir=LR).
fn record_row(row: &str) -> String {
    let fields: Vec<String> = row.split(FIELD_SEPARATOR).map(escape_record).collect();
    match fields.len() {
        1 => fields.into_iter().next().unwrap(),
        _ => format!("{{{}}}", fields.join(" | ")),
    }
}

/// What a tensor is in the graph, which decides how its box is drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// A leaf that requires grad (a weight): `backward()` stores its gradient. Light blue.
    RequiresGrad,
    /// A leaf that does not require grad: data, a constant. Plain.
    Constant,
    /// An intermediate result of an op. Plain.
    Computed,
    /// The result the graph was drawn for, computed by an op. Light green.
    Output,
}

/// A tensor in the graph, with the text of its box.
pub(crate) struct GraphTensor {
    /// The name of the op that computed it (its `grad_fn`); `None` for a leaf.
    pub(crate) op: Option<String>,
    pub(crate) role: Role,
    /// The rows of its box: its name if any, `shape [4]`, then `data ...` if it holds one
    /// number with `grad ...` beside it if it keeps a gradient (fields of a row are separated
    /// by [`FIELD_SEPARATOR`]), and `requires_grad` for a leaf that does.
    pub(crate) lines: Vec<String>,
    /// The inputs of the op that computed it, as indices into [`Graph::tensors`], in argument
    /// order (a tensor used twice is listed twice); empty for a leaf.
    pub(crate) inputs: Vec<usize>,
}

/// Every tensor a result depends on, once each, inputs before the results computed from
/// them: the result comes last. (A [`crate::Diagram`] builds one from values of its own.)
#[derive(Default)]
pub(crate) struct Graph {
    pub(crate) tensors: Vec<GraphTensor>,
}

/// Identifies a tensor (not its numbers: two handles to one tensor have the same key).
type TensorKey = *const TensorInner;

fn key(tensor: &Tensor) -> TensorKey {
    Rc::as_ptr(&tensor.0)
}

impl Graph {
    /// Walks back from `root` through the inputs of each op, depth first, and lists each
    /// tensor after all of its inputs. A loop and a stack instead of recursion, so a long
    /// chain of ops cannot overflow the call stack.
    fn of<S: AsRef<str>, T: Borrow<Tensor>>(root: &Tensor, names: &[(S, T)]) -> Graph {
        let names: HashMap<TensorKey, &str> = names
            .iter()
            .map(|(name, t)| (key(t.borrow()), name.as_ref()))
            .collect();
        let mut tensors: Vec<GraphTensor> = Vec::new();
        let mut index: HashMap<TensorKey, usize> = HashMap::new();
        // Each entry: a tensor, its inputs, and how many of them have been visited.
        let mut stack: Vec<(Tensor, Vec<Tensor>, usize)> =
            vec![(root.shallow_clone(), root.inputs(), 0)];
        while let Some((_, inputs, visited)) = stack.last_mut() {
            if let Some(input) = inputs.get(*visited).cloned() {
                *visited += 1;
                if !index.contains_key(&key(&input)) {
                    let its_inputs = input.inputs();
                    stack.push((input, its_inputs, 0));
                }
                continue;
            }
            // All inputs are listed: list the tensor itself.
            let (tensor, inputs, _) = stack.pop().expect("the stack is not empty");
            let role = match (tensor.is_leaf(), tensor.requires_grad()) {
                (true, true) => Role::RequiresGrad,
                (true, false) => Role::Constant,
                (false, _) if tensor.same(root) => Role::Output,
                (false, _) => Role::Computed,
            };
            index.insert(key(&tensor), tensors.len());
            tensors.push(GraphTensor {
                op: tensor.grad_fn().map(str::to_string),
                lines: box_lines(&tensor, role, names.get(&key(&tensor)).copied()),
                inputs: inputs.iter().map(|input| index[&key(input)]).collect(),
                role,
            });
        }
        Graph { tensors }
    }
}

/// The rows of text in a tensor's box.
fn box_lines(tensor: &Tensor, role: Role, name: Option<&str>) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(name) = name.map(str::to_string).or_else(|| tensor.label()) {
        lines.push(name);
    }
    lines.push(format!("shape {}", shape_text(&tensor.shape())));
    let mut values = Vec::new();
    if tensor.numel() == 1 {
        values.push(format!("data {}", number_text(tensor.item())));
    }
    if let Some(grad) = tensor.grad() {
        values.push(match grad.numel() {
            1 => format!("grad {}", number_text(grad.item())),
            _ => format!("grad {}", shape_text(&grad.shape())),
        });
    }
    if !values.is_empty() {
        lines.push(values.join(&FIELD_SEPARATOR.to_string()));
    }
    if role == Role::RequiresGrad {
        lines.push("requires_grad".to_string());
    }
    lines
}

/// `[4]`, `[16, 8]`, or `[]` for a 0-dimensional tensor.
fn shape_text(shape: &[usize]) -> String {
    format!("{shape:?}")
}

/// A number with 4 decimals, as micrograd's `draw_dot` (`%.4f`) and PyTorch's printing do:
/// `30.0000`. Numbers that 4 decimals cannot show (below 1e-4, or huge) are written as PyTorch
/// writes them then: `1.0000e-05`.
fn number_text(value: f32) -> String {
    let value = f64::from(value);
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let size = value.abs();
    if size == 0.0 || (1e-4..1e8).contains(&size) {
        return format!("{value:.4}");
    }
    // Rust writes `1.0000e-5`; Python writes the exponent with a sign and two digits.
    let rust = format!("{value:.4e}");
    let (mantissa, exponent) = rust.split_once('e').expect("{:e} writes an 'e'");
    let exponent: i32 = exponent.parse().expect("{:e} writes an integer exponent");
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

/// Escapes the characters that structure a DOT record label (`{ } | < >`), and the quote and
/// backslash of the quoted string around it.
fn escape_record(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(feature = "plot")]
impl Tensor {
    /// The graph that computed this tensor, drawn as a picture (SVG and PNG): the same boxes
    /// and ovals as [`Tensor::to_dot`], laid out left to right without graphviz. As the last
    /// expression of a notebook cell it shows itself; [`save`](crate::plot::Figure::save)
    /// writes it to a file. Draw it before `backward()` to see the forward pass, after to
    /// see the gradients of the leaves.
    ///
    /// Panics if the graph is too big to draw (millions of pixels); print
    /// [`Tensor::to_dot`] for graphviz instead.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    /// let y = tensor!([2.0, 4.0, 6.0, 8.0]);
    /// let w = tensor!(0.0).requires_grad_(true);
    /// let l = (&y - &(&w * &x)).pow(2.0).mean();
    /// l.backward();
    /// let fig = l.graph(); // end a notebook cell with `l.graph()` to see it
    /// assert!(fig.svg().contains("PowBackward0") && fig.svg().contains("grad -30.0000"));
    /// fig.save(std::env::temp_dir().join("loss_graph.png")).unwrap();
    /// ```
    pub fn graph(&self) -> crate::plot::Figure {
        self.graph_with_names(NO_NAMES)
    }

    /// [`Tensor::graph`] with names on the boxes of the given tensors, such as a model's
    /// parameters, as [`Tensor::to_dot_with_names`]:
    /// `loss.graph_with_names(&model.named_parameters())`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let model = nn::Linear::new(1, 1);
    /// let x = tensor!([[1.0], [2.0]]);
    /// let loss = model.forward(&x).pow(2.0).mean();
    /// loss.backward();
    /// let mut names = model.named_parameters();
    /// names.push(("x".to_string(), x.shallow_clone()));
    /// let fig = loss.graph_with_names(&names);
    /// assert!(fig.svg().contains("weight\n") && fig.svg().contains("bias\n"));
    /// ```
    pub fn graph_with_names<S: AsRef<str>, T: Borrow<Tensor>>(
        &self,
        names: &[(S, T)],
    ) -> crate::plot::Figure {
        Graph::of(self, names).draw("graph")
    }
}

#[cfg(feature = "plot")]
impl Graph {
    /// The picture of [`Tensor::graph`], for any graph; `caller` names the function in the
    /// message of a graph too big to draw.
    pub(crate) fn draw(&self, caller: &str) -> crate::plot::Figure {
        let layout = picture::Layout::of(self);
        let (width, height) = layout.size();
        assert!(
            u64::from(width) * u64::from(height) <= picture::MAX_PIXELS,
            "{caller}: the graph needs a {width}x{height} picture, too big to draw; \
             print `to_dot()` and render it with graphviz instead"
        );
        crate::plot::render_picture(&layout)
    }
}

/// The picture of a graph: a layered layout computed here, drawn with the `plot` machinery.
///
/// The layout is the classic one for graphs that flow in one direction (Sugiyama's):
/// 1. *columns*: a result sits right of every input of its op; leaves sit just left of the op
///    that first uses them, so data does not wait at the far left with long arrows;
/// 2. an arrow that skips columns gets a waypoint in each column it crosses, which keeps a
///    place free for it there;
/// 3. *order* in each column: a few sweeps left to right and back that sort each column by
///    the average position of its neighbours (the barycenter), keeping the order with the
///    fewest crossing arrows;
/// 4. *heights*: each box moves toward the average height of its neighbours, as little as it
///    can without overlapping the next box, a few times in both directions.
#[cfg(feature = "plot")]
mod picture {
    use plotters::coord::Shift;
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    use super::{Graph, Role, FIELD_SEPARATOR};
    use crate::plot::{plotters_size, text_width, Picture, FAMILY};

    /// The largest picture drawn, in pixels (the PNG is drawn at twice the size first).
    pub(super) const MAX_PIXELS: u64 = 16_000_000;

    /// Sizes in pixels.
    const FONT_EM: f64 = 13.0;
    const LINE_HEIGHT: f64 = 19.0;
    const BOX_PADDING: f64 = 10.0;
    const OP_HEIGHT: f64 = 26.0;
    /// Room kept in a column for an arrow passing through it.
    const WAYPOINT_HEIGHT: f64 = 6.0;
    /// Vertical space between two boxes of a column.
    const ROW_GAP: f64 = 16.0;
    /// Horizontal space between columns: wider where arrows climb further.
    const MIN_COLUMN_GAP: f64 = 30.0;
    const MAX_COLUMN_GAP: f64 = 90.0;
    const MARGIN: f64 = 14.0;
    /// Distance between arrows side by side: where several leave or reach one box, and
    /// where an op uses one input twice.
    const PARALLEL_GAP: f64 = 9.0;
    const ARROW_LENGTH: f64 = 9.0;
    const ARROW_HALF_WIDTH: f64 = 4.0;

    /// Colours: the graphviz names used by `to_dot`.
    const LIGHTBLUE: RGBColor = RGBColor(173, 216, 230);
    const DARKOLIVEGREEN1: RGBColor = RGBColor(202, 255, 112);
    const LIGHTGREY: RGBColor = RGBColor(211, 211, 211);
    const OUTLINE: RGBColor = RGBColor(60, 60, 60);
    const ARROW: RGBColor = RGBColor(90, 90, 90);
    const TEXT: RGBColor = RGBColor(20, 20, 20);

    /// What an item of the layout stands for.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub(super) enum Kind {
        Tensor(Role),
        Op,
        /// Where an arrow that skips columns crosses one.
        Waypoint,
    }

    /// A box (or a waypoint) and where it goes.
    pub(super) struct Item {
        pub(super) kind: Kind,
        pub(super) lines: Vec<String>,
        pub(super) column: usize,
        pub(super) width: f64,
        pub(super) height: f64,
        /// Centre, in pixels from the top left corner.
        pub(super) x: f64,
        pub(super) y: f64,
    }

    impl Item {
        fn new(kind: Kind, lines: Vec<String>, column: usize) -> Item {
            // A row of several fields gives each the room of the widest, side by side.
            let row_width = |line: &String| {
                let fields = line.split(FIELD_SEPARATOR);
                let widest = fields
                    .clone()
                    .map(|f| text_width(f, FONT_EM))
                    .fold(0.0, f64::max);
                fields.count() as f64 * (widest + 2.0 * BOX_PADDING)
            };
            let text = lines.iter().map(row_width).fold(0.0, f64::max);
            let (width, height) = match kind {
                Kind::Tensor(_) => (text, LINE_HEIGHT * lines.len() as f64),
                // The round ends take half the height on each side.
                Kind::Op => (text + OP_HEIGHT, OP_HEIGHT),
                Kind::Waypoint => (0.0, WAYPOINT_HEIGHT),
            };
            Item {
                kind,
                lines,
                column,
                width: width.ceil(),
                height,
                x: 0.0,
                y: 0.0,
            }
        }

        pub(super) fn left(&self) -> f64 {
            self.x - self.width / 2.0
        }

        pub(super) fn right(&self) -> f64 {
            self.x + self.width / 2.0
        }

        /// Where a line `dy` below the middle meets the left or right side of the outline:
        /// further in on the round ends of an op.
        fn side_x(&self, dy: f64, side: Side) -> f64 {
            let inset = match self.kind {
                Kind::Op => {
                    let radius = self.height / 2.0;
                    radius - (radius * radius - dy * dy).max(0.0).sqrt()
                }
                _ => 0.0,
            };
            match side {
                Side::Left => self.left() + inset,
                Side::Right => self.right() - inset,
            }
        }

        pub(super) fn top(&self) -> f64 {
            self.y - self.height / 2.0
        }

        pub(super) fn bottom(&self) -> f64 {
            self.y + self.height / 2.0
        }
    }

    #[derive(Clone, Copy)]
    enum Side {
        Left,
        Right,
    }

    /// An arrow between two boxes in neighbouring columns, through waypoints if it skips
    /// columns; drawn `count` times side by side when an op uses the same input twice.
    struct Link {
        items: Vec<usize>,
        count: usize,
    }

    /// A graph laid out: every item's place, and every arrow as a polyline ending in a tip.
    pub(super) struct Layout {
        pub(super) items: Vec<Item>,
        pub(super) arrows: Vec<Vec<(f64, f64)>>,
        width: f64,
        height: f64,
    }

    impl Layout {
        pub(super) fn of(graph: &Graph) -> Layout {
            let columns = column_of_each_tensor(graph);

            // One item per tensor, one per op (just left of its result), and the arrows.
            let mut items = Vec::new();
            let mut tensor_item = Vec::with_capacity(graph.tensors.len());
            let mut links = Vec::new();
            for (i, node) in graph.tensors.iter().enumerate() {
                tensor_item.push(items.len());
                let lines = node.lines.clone();
                items.push(Item::new(Kind::Tensor(node.role), lines, columns[i]));
                let Some(name) = &node.op else {
                    continue;
                };
                let op = items.len();
                items.push(Item::new(Kind::Op, vec![name.to_string()], columns[i] - 1));
                let mut inputs: Vec<(usize, usize)> = Vec::new(); // (input, times used)
                for &input in &node.inputs {
                    match inputs.iter_mut().find(|(j, _)| *j == input) {
                        Some((_, count)) => *count += 1,
                        None => inputs.push((input, 1)),
                    }
                }
                for (input, count) in inputs {
                    let items = vec![tensor_item[input], op];
                    links.push(Link { items, count });
                }
                let items = vec![op, tensor_item[i]];
                links.push(Link { items, count: 1 });
            }
            for link in &mut links {
                let (from, to) = (link.items[0], link.items[1]);
                let waypoints: Vec<usize> = (items[from].column + 1..items[to].column)
                    .map(|column| {
                        let mut waypoint = Item::new(Kind::Waypoint, vec![], column);
                        waypoint.height += (link.count - 1) as f64 * PARALLEL_GAP;
                        items.push(waypoint);
                        items.len() - 1
                    })
                    .collect();
                link.items.splice(1..1, waypoints);
            }

            let mut layout = Layout {
                items,
                arrows: Vec::new(),
                width: 0.0,
                height: 0.0,
            };
            let (before, after) = neighbours(layout.items.len(), &links);
            let order = layout.order_columns(&before, &after);
            layout.place_vertically(&order, &before, &after);
            let column_x = layout.place_horizontally(&order, &links);
            let (leave, reach) = layout.lane_offsets(&links);
            let mut arrows = Vec::new();
            for (l, link) in links.iter().enumerate() {
                for copy in 0..link.count {
                    let ends = (leave[l][copy], reach[l][copy]);
                    arrows.push(layout.arrow_path(link, copy, ends, &column_x));
                }
            }
            layout.arrows = arrows;
            layout
        }

        /// Width and height of the picture in whole pixels.
        pub(super) fn size(&self) -> (u32, u32) {
            (self.width.ceil() as u32, self.height.ceil() as u32)
        }

        /// The items of each column, top to bottom: barycenter sweeps, keeping the order with
        /// the fewest crossings (the first found, on a tie, so the result is deterministic).
        fn order_columns(&self, before: &[Vec<usize>], after: &[Vec<usize>]) -> Vec<Vec<usize>> {
            let count = self.items.iter().map(|it| it.column + 1).max().unwrap_or(0);
            let mut order: Vec<Vec<usize>> = vec![Vec::new(); count];
            for (i, item) in self.items.iter().enumerate() {
                order[item.column].push(i);
            }
            let mut position = vec![0; self.items.len()];
            let remember = |order: &[Vec<usize>], position: &mut [usize]| {
                for column in order {
                    for (row, &item) in column.iter().enumerate() {
                        position[item] = row;
                    }
                }
            };
            remember(&order, &mut position);
            let mut best = (crossings(&order, after, &position), order.clone());
            for _sweep in 0..4 {
                for c in 1..count {
                    sort_by_barycenter(&mut order[c], before, &position);
                    remember(&order[c..=c], &mut position);
                }
                for c in (0..count.saturating_sub(1)).rev() {
                    sort_by_barycenter(&mut order[c], after, &position);
                    remember(&order[c..=c], &mut position);
                }
                let crossed = crossings(&order, after, &position);
                if crossed < best.0 {
                    best = (crossed, order.clone());
                }
            }
            best.1
        }

        /// Sets every `y`: stacked in each column, then pulled toward the neighbours on the
        /// left, then on the right, and so on; the picture then starts below the margin.
        fn place_vertically(
            &mut self,
            order: &[Vec<usize>],
            before: &[Vec<usize>],
            after: &[Vec<usize>],
        ) {
            for column in order {
                let mut top = 0.0;
                for &i in column {
                    self.items[i].y = top + self.items[i].height / 2.0;
                    top += self.items[i].height + ROW_GAP;
                }
            }
            let count = order.len();
            for pass in 0..8 {
                let (columns, pulled_by): (Vec<usize>, _) = if pass % 2 == 0 {
                    ((1..count).collect(), before)
                } else {
                    ((0..count.saturating_sub(1)).rev().collect(), after)
                };
                for c in columns {
                    let wanted: Vec<f64> = order[c]
                        .iter()
                        .map(|&i| match pulled_by[i].len() {
                            0 => self.items[i].y,
                            n => {
                                pulled_by[i].iter().map(|&j| self.items[j].y).sum::<f64>()
                                    / n as f64
                            }
                        })
                        .collect();
                    let spacing: Vec<f64> = order[c]
                        .windows(2)
                        .map(|w| {
                            (self.items[w[0]].height + self.items[w[1]].height) / 2.0 + ROW_GAP
                        })
                        .collect();
                    for (&i, y) in order[c].iter().zip(closest_spaced(&wanted, &spacing)) {
                        self.items[i].y = y;
                    }
                }
            }
            let top = self
                .items
                .iter()
                .map(Item::top)
                .fold(f64::INFINITY, f64::min);
            let bottom = self
                .items
                .iter()
                .map(Item::bottom)
                .fold(f64::NEG_INFINITY, f64::max);
            for item in &mut self.items {
                item.y += MARGIN - top;
            }
            self.height = bottom - top + 2.0 * MARGIN;
        }

        /// Sets every `x`: each column as wide as its widest box, boxes centred in it, and the
        /// gap to the next column wider where arrows climb further. Returns the left and right
        /// edge of each column.
        fn place_horizontally(&mut self, order: &[Vec<usize>], links: &[Link]) -> Vec<(f64, f64)> {
            let mut climb = vec![0.0f64; order.len()];
            for link in links {
                for pair in link.items.windows(2) {
                    let (a, b) = (&self.items[pair[0]], &self.items[pair[1]]);
                    climb[a.column] = climb[a.column].max((a.y - b.y).abs());
                }
            }
            let mut edges = Vec::with_capacity(order.len());
            let mut left = MARGIN;
            for (c, column) in order.iter().enumerate() {
                let width = column
                    .iter()
                    .map(|&i| self.items[i].width)
                    .fold(0.0, f64::max);
                for &i in column {
                    self.items[i].x = left + width / 2.0;
                }
                edges.push((left, left + width));
                left += width;
                if c + 1 < order.len() {
                    left += (0.3 * climb[c])
                        .clamp(MIN_COLUMN_GAP, MAX_COLUMN_GAP)
                        .round();
                }
            }
            self.width = left + MARGIN;
            edges
        }

        /// Where the arrows leave their first box and reach their last one, as distances
        /// from the box's middle (`[link][copy]`). The arrows at one side of a box are spread
        /// over it, in the order of where they go to or come from, so that they neither
        /// overlap nor cross there.
        fn lane_offsets(&self, links: &[Link]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
            // For each item, its arrows: (height of the item at the other end, link, copy).
            let mut leaving = vec![Vec::new(); self.items.len()];
            let mut reaching = vec![Vec::new(); self.items.len()];
            for (l, link) in links.iter().enumerate() {
                let n = link.items.len();
                let (first, second) = (link.items[0], link.items[1]);
                let (before_last, last) = (link.items[n - 2], link.items[n - 1]);
                for copy in 0..link.count {
                    leaving[first].push((self.items[second].y, l, copy));
                    reaching[last].push((self.items[before_last].y, l, copy));
                }
            }
            let spread = |lanes: &mut [Vec<(f64, usize, usize)>]| {
                let mut offsets: Vec<Vec<f64>> = links.iter().map(|l| vec![0.0; l.count]).collect();
                for (item, lanes) in lanes.iter_mut().enumerate() {
                    let n = lanes.len();
                    if n < 2 {
                        continue;
                    }
                    lanes.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
                    let room = (self.items[item].height - 8.0).max(0.0);
                    let gap = PARALLEL_GAP.min(room / (n - 1) as f64);
                    for (i, &(_, l, copy)) in lanes.iter().enumerate() {
                        offsets[l][copy] = (i as f64 - (n - 1) as f64 / 2.0) * gap;
                    }
                }
                offsets
            };
            (spread(&mut leaving), spread(&mut reaching))
        }

        /// The polyline of one copy of a link: from the right side of its first box, along to
        /// the edge of the column, a smooth S-curve across each gap, straight through each
        /// waypoint's column, and along to the left side of the last box, where the tip is.
        /// `leave` and `reach` are its distances from the middle of the first and last box.
        fn arrow_path(
            &self,
            link: &Link,
            copy: usize,
            (leave, reach): (f64, f64),
            column_x: &[(f64, f64)],
        ) -> Vec<(f64, f64)> {
            let last = link.items.len() - 1;
            // Copies of a link run side by side through the waypoints.
            let side_by_side = (copy as f64 - (link.count - 1) as f64 / 2.0) * PARALLEL_GAP;
            let offset = |n: usize| match n {
                0 => leave,
                n if n == last => reach,
                _ => side_by_side,
            };
            let first = &self.items[link.items[0]];
            let mut path = vec![(first.side_x(leave, Side::Right), first.y + leave)];
            for n in 1..=last {
                let (a, b) = (&self.items[link.items[n - 1]], &self.items[link.items[n]]);
                let (ya, yb) = (a.y + offset(n - 1), b.y + offset(n));
                let (x0, x1) = (column_x[a.column].1, column_x[b.column].0);
                path.push((x0, ya));
                // The last bit is straight, for the tip to point along it.
                path.extend(s_curve((x0, ya), (x1 - ARROW_LENGTH, yb)));
                path.push((x1, yb));
                let end = match n == last {
                    true => b.side_x(reach, Side::Left),
                    false => column_x[b.column].1,
                };
                path.push((end, yb));
            }
            path.dedup();
            path
        }
    }

    /// The column of each tensor. A result goes two columns (its op's, then its own) right of
    /// its rightmost input that is a result too; a leaf goes just left of the leftmost op that
    /// uses it; a leaf alone is in column 0. Ops are in odd columns, tensors in even ones.
    fn column_of_each_tensor(graph: &Graph) -> Vec<usize> {
        let tensors = &graph.tensors;
        let mut column = vec![0; tensors.len()];
        for (i, node) in tensors.iter().enumerate() {
            if !node.inputs.is_empty() {
                let inputs = node
                    .inputs
                    .iter()
                    .filter(|&&j| !tensors[j].inputs.is_empty());
                column[i] = 2 + inputs.map(|&j| column[j]).max().unwrap_or(0);
            }
        }
        let mut first_use = vec![usize::MAX; tensors.len()];
        for (i, node) in tensors.iter().enumerate() {
            for &j in &node.inputs {
                first_use[j] = first_use[j].min(column[i] - 2);
            }
        }
        for (i, node) in tensors.iter().enumerate() {
            if node.inputs.is_empty() && first_use[i] != usize::MAX {
                column[i] = first_use[i];
            }
        }
        column
    }

    /// For each item, the items it is linked to in the column before it and after it.
    fn neighbours(count: usize, links: &[Link]) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let (mut before, mut after) = (vec![Vec::new(); count], vec![Vec::new(); count]);
        for link in links {
            for pair in link.items.windows(2) {
                before[pair[1]].push(pair[0]);
                after[pair[0]].push(pair[1]);
            }
        }
        (before, after)
    }

    /// Sorts a column by the average row of each item's neighbours in the next column over.
    /// An item without neighbours there keeps its row. The sort is stable, so ties keep their
    /// order.
    fn sort_by_barycenter(column: &mut [usize], neighbours: &[Vec<usize>], position: &[usize]) {
        let barycenter = |row: usize, item: usize| match neighbours[item].len() {
            0 => row as f64,
            n => {
                neighbours[item]
                    .iter()
                    .map(|&j| position[j] as f64)
                    .sum::<f64>()
                    / n as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> = column
            .iter()
            .enumerate()
            .map(|(row, &item)| (barycenter(row, item), item))
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (slot, (_, item)) in column.iter_mut().zip(keyed) {
            *slot = item;
        }
    }

    /// How many pairs of arrows cross between neighbouring columns: two arrows cross when
    /// their ends are in opposite orders.
    fn crossings(order: &[Vec<usize>], after: &[Vec<usize>], position: &[usize]) -> usize {
        let mut total = 0;
        for column in order {
            let arrows: Vec<(usize, usize)> = column
                .iter()
                .flat_map(|&a| after[a].iter().map(move |&b| (position[a], position[b])))
                .collect();
            for (k, p) in arrows.iter().enumerate() {
                total += arrows[k + 1..]
                    .iter()
                    .filter(|q| (p.0 < q.0 && p.1 > q.1) || (p.0 > q.0 && p.1 < q.1))
                    .count();
            }
        }
        total
    }

    /// The positions closest to `wanted` (least squares) that keep the order and leave at
    /// least `spacing[k]` between item `k` and item `k + 1`.
    ///
    /// Subtracting the spacing already needed, `z[k] = y[k] - (spacing[0] + ... +
    /// spacing[k-1])`, turns "far enough apart" into "`z` never decreases". The closest such
    /// `z` comes from pooling: walk along, and while a group wants to be higher than the group
    /// after it, merge the two and give them their average.
    fn closest_spaced(wanted: &[f64], spacing: &[f64]) -> Vec<f64> {
        let mut offsets = vec![0.0; wanted.len()];
        for k in 1..wanted.len() {
            offsets[k] = offsets[k - 1] + spacing[k - 1];
        }
        let mut groups: Vec<(f64, usize)> = Vec::new(); // (sum of z, how many)
        for (w, offset) in wanted.iter().zip(&offsets) {
            groups.push((w - offset, 1));
            while groups.len() > 1 {
                let (b, a) = (groups[groups.len() - 1], groups[groups.len() - 2]);
                if a.0 / a.1 as f64 <= b.0 / b.1 as f64 {
                    break;
                }
                groups.pop();
                *groups.last_mut().expect("two groups") = (a.0 + b.0, a.1 + b.1);
            }
        }
        let z = groups
            .iter()
            .flat_map(|&(sum, n)| std::iter::repeat(sum / n as f64).take(n));
        z.zip(&offsets).map(|(z, offset)| z + offset).collect()
    }

    /// Points of the curve from `from` to `to` that leaves and arrives horizontally (a cubic
    /// Bézier curve with both control points level with their end), without `from`.
    fn s_curve(from: (f64, f64), to: (f64, f64)) -> Vec<(f64, f64)> {
        if (from.1 - to.1).abs() < 0.5 {
            return vec![to];
        }
        let middle = (from.0 + to.0) / 2.0;
        let (p1, p2) = ((middle, from.1), (middle, to.1));
        (1..=16)
            .map(|k| {
                let t = k as f64 / 16.0;
                let u = 1.0 - t;
                let mix = |a: f64, b: f64, c: f64, d: f64| {
                    u * u * u * a + 3.0 * u * u * t * b + 3.0 * u * t * t * c + t * t * t * d
                };
                (mix(from.0, p1.0, p2.0, to.0), mix(from.1, p1.1, p2.1, to.1))
            })
            .collect()
    }

    impl Picture for Layout {
        fn size(&self) -> (u32, u32) {
            Layout::size(self)
        }

        fn draw<DB: DrawingBackend>(
            &self,
            root: &DrawingArea<DB, Shift>,
            scale: f64,
        ) -> Result<(), String> {
            let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
            let px = |v: f64| (v * scale).round() as i32;
            let at = |(x, y): (f64, f64)| (px(x), px(y));
            let line = |color: RGBColor| color.stroke_width(scale.round() as u32);

            for arrow in &self.arrows {
                let points: Vec<(i32, i32)> = arrow.iter().copied().map(at).collect();
                root.draw(&PathElement::new(points, line(ARROW)))
                    .map_err(err)?;
                let tip: Vec<(i32, i32)> = arrowhead(arrow).into_iter().map(at).collect();
                root.draw(&Polygon::new(tip, ARROW.filled())).map_err(err)?;
            }

            let font = (FAMILY, plotters_size(FONT_EM * scale))
                .into_font()
                .color(&TEXT)
                .pos(Pos::new(HPos::Center, VPos::Center));
            for item in &self.items {
                let fill = match item.kind {
                    Kind::Waypoint => continue,
                    Kind::Op => LIGHTGREY,
                    Kind::Tensor(Role::RequiresGrad) => LIGHTBLUE,
                    Kind::Tensor(Role::Output) => DARKOLIVEGREEN1,
                    Kind::Tensor(Role::Constant | Role::Computed) => WHITE,
                };
                if item.kind == Kind::Op {
                    let mut outline: Vec<(i32, i32)> = pill(item).into_iter().map(at).collect();
                    root.draw(&Polygon::new(outline.clone(), fill.filled()))
                        .map_err(err)?;
                    outline.push(outline[0]);
                    root.draw(&PathElement::new(outline, line(OUTLINE)))
                        .map_err(err)?;
                } else {
                    let corners = [
                        at((item.left(), item.top())),
                        at((item.right(), item.bottom())),
                    ];
                    root.draw(&Rectangle::new(corners, fill.filled()))
                        .map_err(err)?;
                    root.draw(&Rectangle::new(corners, line(OUTLINE)))
                        .map_err(err)?;
                    // Lines between the fields, as in a graphviz record.
                    for row in 1..item.lines.len() {
                        let y = item.top() + row as f64 * LINE_HEIGHT;
                        let ends = vec![at((item.left(), y)), at((item.right(), y))];
                        root.draw(&PathElement::new(ends, line(OUTLINE)))
                            .map_err(err)?;
                    }
                }
                let first_row = item.y - (item.lines.len() - 1) as f64 * LINE_HEIGHT / 2.0;
                for (row, text) in item.lines.iter().enumerate() {
                    let y = first_row + row as f64 * LINE_HEIGHT;
                    // Fields side by side in equal cells, with a line between them.
                    let fields: Vec<&str> = text.split(FIELD_SEPARATOR).collect();
                    let cell = item.width / fields.len() as f64;
                    for (k, field) in fields.iter().enumerate() {
                        let left = item.left() + k as f64 * cell;
                        if k > 0 {
                            let ends =
                                [(left, y - LINE_HEIGHT / 2.0), (left, y + LINE_HEIGHT / 2.0)];
                            root.draw(&PathElement::new(ends.map(at).to_vec(), line(OUTLINE)))
                                .map_err(err)?;
                        }
                        root.draw_text(field, &font, at((left + cell / 2.0, y)))
                            .map_err(err)?;
                    }
                }
            }
            Ok(())
        }
    }

    /// The tip of an arrow: a triangle pointing along the polyline's last segment.
    fn arrowhead(arrow: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let tip = arrow[arrow.len() - 1];
        let from = arrow[arrow.len().saturating_sub(2)];
        let (dx, dy) = (tip.0 - from.0, tip.1 - from.1);
        let length = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (ux, uy) = (dx / length, dy / length);
        let base = (tip.0 - ux * ARROW_LENGTH, tip.1 - uy * ARROW_LENGTH);
        let side = (-uy * ARROW_HALF_WIDTH, ux * ARROW_HALF_WIDTH);
        vec![
            tip,
            (base.0 + side.0, base.1 + side.1),
            (base.0 - side.0, base.1 - side.1),
        ]
    }

    /// The outline of an op: a rectangle with half-circle ends (a pill).
    fn pill(item: &Item) -> Vec<(f64, f64)> {
        let radius = item.height / 2.0;
        let (left, right) = (item.left() + radius, item.right() - radius);
        let half_turn = |centre: f64, start: f64| {
            (0..=12).map(move |k| {
                let angle = start + std::f64::consts::PI * k as f64 / 12.0;
                (centre + radius * angle.cos(), item.y + radius * angle.sin())
            })
        };
        // Down the right end (from the top), then up the left end (from the bottom).
        let quarter = std::f64::consts::FRAC_PI_2;
        half_turn(right, -quarter)
            .chain(half_turn(left, quarter))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn record_labels_escape_their_structure() {
        assert_eq!(escape_record("{a|b} <c> \"d\\"), r#"\{a\|b\} \<c\> \"d\\"#);
        assert_eq!(escape_record("shape [2, 3]"), "shape [2, 3]");
    }

    #[test]
    fn graph_lists_inputs_before_results() {
        let w = tensor!(1.0).requires_grad_(true);
        let a = &w * &w;
        let b = &a + &w;
        let graph = Graph::of(&b, NO_NAMES);
        let roles: Vec<Role> = graph.tensors.iter().map(|t| t.role).collect();
        assert_eq!(roles, [Role::RequiresGrad, Role::Computed, Role::Output]);
        let inputs: Vec<&[usize]> = graph.tensors.iter().map(|t| &t.inputs[..]).collect();
        assert_eq!(inputs, [&[][..], &[0, 0], &[1, 0]]);
    }

    #[cfg(feature = "plot")]
    mod layout {
        use super::super::picture::{Item, Kind, Layout};
        use super::*;

        fn lesson_02_loss() -> Tensor {
            let x = tensor!([1.0, 2.0, 3.0, 4.0]);
            let y = tensor!([2.0, 4.0, 6.0, 8.0]);
            let w = tensor!(0.0).requires_grad_(true);
            (&y - &(&w * &x)).pow(2.0).mean()
        }

        fn mlp_loss() -> Tensor {
            manual_seed(1);
            let model = nn::Sequential::new()
                .add(nn::Linear::new(2, 16))
                .add(nn::ReLU)
                .add(nn::Linear::new(16, 16))
                .add(nn::Tanh)
                .add(nn::Linear::new(16, 1));
            let x = Tensor::randn(&[32, 2]);
            let y = Tensor::randn(&[32, 1]);
            let loss = nn::MSELoss::new().forward(&model.forward(&x), &y);
            // Weight decay: every weight is used a second time, far to the right.
            let decay = model
                .parameters()
                .iter()
                .map(|p| p.pow(2.0).sum())
                .fold(Tensor::scalar(0.0), |sum, s| &sum + &s);
            &loss + &(&decay * 1e-4)
        }

        /// No two items (boxes, and the room kept for arrows passing a column) overlap, and
        /// all are inside the picture.
        fn assert_nothing_overlaps(layout: &Layout) {
            let (width, height) = layout.size();
            for (i, a) in layout.items.iter().enumerate() {
                assert!(a.left() >= 0.0 && a.right() <= width as f64, "item {i}");
                assert!(a.top() >= 0.0 && a.bottom() <= height as f64, "item {i}");
                for (j, b) in layout.items.iter().enumerate().skip(i + 1) {
                    let apart_x = a.right() <= b.left() || b.right() <= a.left();
                    let apart_y = a.bottom() < b.top() || b.bottom() < a.top();
                    assert!(
                        apart_x || apart_y,
                        "items {i} {:?} and {j} {:?} overlap",
                        a.lines,
                        b.lines
                    );
                }
            }
        }

        #[test]
        fn boxes_of_an_mlp_loss_never_overlap() {
            let loss = mlp_loss();
            let layout = Layout::of(&Graph::of(&loss, NO_NAMES));
            assert!(layout.items.iter().any(|it| it.kind == Kind::Waypoint));
            assert_nothing_overlaps(&layout);
            loss.backward();
            assert_nothing_overlaps(&Layout::of(&Graph::of(&loss, NO_NAMES)));
        }

        #[test]
        fn every_arrow_runs_from_a_right_side_to_a_left_side() {
            let layout = Layout::of(&Graph::of(&mlp_loss(), NO_NAMES));
            let boxes: Vec<_> = layout
                .items
                .iter()
                .filter(|it| it.kind != Kind::Waypoint)
                .collect();
            // On the side of a box, or on the round end of an op (at most half its height in).
            let leaves = |(x, y): (f64, f64)| {
                let near = |b: &&Item| x <= b.right() && x >= b.right() - b.height / 2.0;
                boxes
                    .iter()
                    .any(|b| near(b) && y > b.top() && y < b.bottom())
            };
            let reaches = |(x, y): (f64, f64)| {
                let near = |b: &&Item| x >= b.left() && x <= b.left() + b.height / 2.0;
                boxes
                    .iter()
                    .any(|b| near(b) && y > b.top() && y < b.bottom())
            };
            for arrow in &layout.arrows {
                let (start, end) = (arrow[0], arrow[arrow.len() - 1]);
                assert!(leaves(start), "{start:?}");
                assert!(reaches(end), "{end:?}");
                // Left to right all the way.
                assert!(arrow.windows(2).all(|w| w[1].0 >= w[0].0 - 1e-9));
            }
        }

        #[test]
        fn leaves_sit_just_left_of_the_op_using_them() {
            let layout = Layout::of(&Graph::of(&lesson_02_loss(), NO_NAMES));
            // Columns: w x | Mul | w*x y | Sub | diff | Pow | square | Mean | loss.
            let columns: Vec<usize> = layout.items.iter().map(|it| it.column).collect();
            let lines: Vec<&str> = layout.items.iter().map(|it| it.lines[0].as_str()).collect();
            assert_eq!(
                lines,
                [
                    "shape [4]",
                    "shape []",
                    "shape [4]",
                    "shape [4]",
                    "MulBackward0",
                    "shape [4]",
                    "SubBackward0",
                    "shape [4]",
                    "PowBackward0",
                    "shape []",
                    "MeanBackward0",
                ]
            );
            assert_eq!(columns, [2, 0, 0, 2, 1, 4, 3, 6, 5, 8, 7]);
            assert_eq!(layout.arrows.len(), 10);
        }
    }
}
