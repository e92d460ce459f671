//! The training-step benchmark with the Rust peers: autograd-core, candle and burn run the same
//! steps on the same data from the same initial weights, in one process, one thread each.
//!
//! ```text
//! cargo run --release -- [--quick] [--tsv] [--only=LIB] [FILTER...]    # in bench/peers
//! make bench-peers                                          # this, then PyTorch and NumPy: one table
//! ```
//!
//! Before timing a case, each peer runs a few steps beside autograd-core and the losses must
//! agree to 1e-5 (relative): every library computes the same step, or the program stops. Beside
//! the steps, `read_xy/N` times one pass that only reads `x` and `y` (summing them): for
//! N = 1 000 000 that is 8 MB, the least any training step on that data has to move, so the
//! memory-bandwidth limit of this machine in this run.
//!
//! The autograd-core cases and the harness are those of `cargo bench` (shared source:
//! `autograd-core/benches/common/mod.rs`).

#[path = "../../../autograd-core/benches/common/mod.rs"]
mod common;

mod burn_steps;
mod candle_steps;

use std::collections::HashMap;
use std::time::Duration;

use autograd_core::nn::Module as _;
use autograd_core::Tensor;

use common::{format_time, measure, Settings, MLP_N, SIZES};

/// Steps each library runs beside autograd-core before timing.
const CHECK_STEPS: usize = 5;
/// The largest relative difference of a loss allowed between two libraries.
const TOLERANCE: f32 = 1e-5;

/// What every library starts a case from: the data and the initial parameters as numbers
/// (autograd-core's shapes: a weight is `[out, in]`), taken from autograd-core's own case.
pub struct Start {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub params: Vec<(Vec<f32>, Vec<usize>)>,
}

impl Start {
    fn new(x: &Tensor, y: &Tensor, params: &[Tensor]) -> Start {
        Start {
            x: x.to_vec(),
            y: y.to_vec(),
            params: params.iter().map(|p| (p.to_vec(), p.shape())).collect(),
        }
    }
}

const LIBS: [&str; 3] = ["ours", "candle", "burn"];

/// One library's step for a case, type-erased for the case table. `check` runs the first steps
/// and returns their losses; `time` times the rest (the median time per step).
struct Runner {
    check: Box<dyn FnMut(usize) -> Vec<f32>>,
    time: Box<dyn FnMut(&Settings) -> Duration>,
}

impl Runner {
    /// A runner for `step`, whose loss `value` reads as a number.
    fn new<T: 'static>(step: impl FnMut() -> T + 'static, value: fn(&T) -> f32) -> Runner {
        let step = std::rc::Rc::new(std::cell::RefCell::new(step));
        let for_time = step.clone();
        Runner {
            check: Box::new(move |steps| {
                let mut step = step.borrow_mut();
                (0..steps).map(|_| value(&step())).collect()
            }),
            time: Box::new(move |settings| {
                let mut step = for_time.borrow_mut();
                measure(settings, "", &mut *step).median
            }),
        }
    }

    /// A case that only gets timed (no loss to compare).
    fn timed<T: 'static>(step: impl FnMut() -> T + 'static) -> Runner {
        let mut step = Some(step);
        Runner {
            check: Box::new(|_| Vec::new()),
            time: Box::new(move |settings| {
                measure(settings, "", step.as_mut().expect("timed once")).median
            }),
        }
    }
}

/// A case: its name and, for each of `LIBS`, how to build its runner (`None`: not written).
type Builders = [Option<Box<dyn Fn() -> Runner>>; 3];

fn ours_value(l: &Tensor) -> f32 {
    l.item()
}

fn cases() -> Vec<(String, Builders)> {
    let mut cases: Vec<(String, Builders)> = Vec::new();
    for n in SIZES {
        cases.push((
            format!("linear_module/{n}"),
            [
                Some(Box::new(move || {
                    Runner::new(common::linear_module(n), ours_value)
                })),
                Some(Box::new(move || {
                    let (x, y, model) = common::linear_setup(n);
                    let start = Start::new(&x, &y, &model.parameters());
                    let step = candle_steps::linear_module(&start).expect("candle set-up");
                    Runner::new(step, candle_steps::value)
                })),
                Some(Box::new(move || {
                    let (x, y, model) = common::linear_setup(n);
                    let start = Start::new(&x, &y, &model.parameters());
                    Runner::new(burn_steps::linear_module(&start), burn_steps::value)
                })),
            ],
        ));
        let raw_start = move || {
            let (x, y) = common::line_data(n, &[n]);
            Start::new(&x, &y, &[])
        };
        cases.push((
            format!("raw_tensors/{n}"),
            [
                Some(Box::new(move || {
                    Runner::new(common::raw_tensors(n), ours_value)
                })),
                Some(Box::new(move || {
                    let step = candle_steps::raw_tensors(&raw_start()).expect("candle set-up");
                    Runner::new(step, candle_steps::value)
                })),
                Some(Box::new(move || {
                    Runner::new(burn_steps::raw_tensors(&raw_start()), burn_steps::value)
                })),
            ],
        ));
        // The same step by hand in one loop (the crate's benchmark's fused_loop): its losses
        // must be those of raw_tensors (same start, w = b = 0).
        cases.push((
            format!("fused_loop/{n}"),
            [
                Some(Box::new(move || Runner::new(common::fused_line(n), |l| *l))),
                None,
                None,
            ],
        ));
        cases.push((
            format!("read_xy/{n}"),
            [
                Some(Box::new(move || {
                    let (x, y) = common::line_data(n, &[n]);
                    let (x, y) = (x.to_vec(), y.to_vec());
                    Runner::timed(move || common::read_xy(&x, &y))
                })),
                None,
                None,
            ],
        ));
    }
    let mlp_start = || {
        let (x, y, model) = common::mlp_setup();
        Start::new(&x, &y, &model.parameters())
    };
    cases.push((
        format!("mlp_1-64-64-1/{MLP_N}"),
        [
            Some(Box::new(|| Runner::new(common::mlp(), ours_value))),
            Some(Box::new(move || {
                let step = candle_steps::mlp(&mlp_start()).expect("candle set-up");
                Runner::new(step, candle_steps::value)
            })),
            Some(Box::new(move || {
                Runner::new(burn_steps::mlp(&mlp_start()), burn_steps::value)
            })),
        ],
    ));
    for (name, requires_grad) in [("no_grad", false), ("fwd_bwd", true)] {
        cases.push((
            format!("op_add_1elem/{name}"),
            [
                Some(Box::new(move || {
                    Runner::timed(common::op_add(requires_grad))
                })),
                Some(Box::new(move || {
                    Runner::timed(candle_steps::op_add(requires_grad).expect("candle set-up"))
                })),
                Some(Box::new(move || {
                    Runner::timed(burn_steps::op_add(requires_grad))
                })),
            ],
        ));
    }
    cases
}

/// The largest relative difference between two lists of losses.
fn max_relative_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs() / a.abs().max(b.abs()).max(f32::MIN_POSITIVE))
        .fold(0.0, f32::max)
}

fn main() {
    // One thread for everyone. candle's matrix products (gemm) and burn's ndarray backend
    // (rayon, and matrixmultiply's own threads) read these before their first use, so they are
    // set here, before any tensor exists; autograd-core has no threads.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    std::env::set_var("MATMUL_NUM_THREADS", "1");

    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let settings = Settings::new(flag("--quick"));
    // `--only=burn`: time one library (e.g. under a profiler); the check still runs them all.
    let only = args.iter().find_map(|a| a.strip_prefix("--only="));

    println!(
        "autograd-core, candle {}, burn {}, 1 thread; losses checked over {CHECK_STEPS} steps \
         (relative {TOLERANCE:e})",
        env!("CANDLE_VERSION"),
        env!("BURN_VERSION")
    );
    println!(
        "\n{:<24} {:>10} {:>10} {:>10} {:>18}",
        "case", "ours", "candle", "burn", "max loss diff"
    );
    let mut tsv = Vec::new();
    // Each case's reference losses (autograd-core's), by case name.
    let mut references: HashMap<String, Vec<f32>> = HashMap::new();
    for (name, builders) in cases() {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let mut runners: Vec<Option<Runner>> =
            builders.iter().map(|b| b.as_ref().map(|b| b())).collect();
        // The check, before any timing: autograd-core's losses are the reference, and every
        // other library's must agree with them; the hand-written loop must agree with
        // raw_tensors of the same size (same data, same start w = b = 0).
        let mut reference = name
            .strip_prefix("fused_loop/")
            .and_then(|n| references.get(&format!("raw_tensors/{n}")).cloned());
        let mut worst: Option<f32> = None;
        for (lib, runner) in LIBS.iter().zip(&mut runners) {
            let Some(runner) = runner else { continue };
            let losses = (runner.check)(CHECK_STEPS);
            if losses.is_empty() {
                continue;
            }
            let Some(reference) = &reference else {
                reference = Some(losses);
                continue;
            };
            let diff = max_relative_difference(reference, &losses);
            assert!(
                diff <= TOLERANCE,
                "{name}: {lib}'s losses {losses:?} differ from autograd-core's {reference:?} \
                 by {diff:e} (relative)"
            );
            worst = Some(worst.unwrap_or(0.0).max(diff));
        }
        if let Some(reference) = reference {
            references.insert(name.clone(), reference);
        }
        if let Some(worst) = worst {
            tsv.push(format!("CHECK\t{name}\t{worst:e}"));
        }
        let mut cells = Vec::new();
        for (lib, runner) in LIBS.iter().zip(&mut runners) {
            let timed = only.is_none_or(|only| only == *lib);
            let cell = runner.as_mut().filter(|_| timed).map(|runner| {
                let median = (runner.time)(&settings);
                tsv.push(format!("TSV\t{name}\t{lib}\t{}", median.as_nanos()));
                median
            });
            cells.push(cell);
        }
        let cell = |d: &Option<Duration>| d.map(format_time).unwrap_or_else(|| "-".into());
        let checked = worst.map_or("-".into(), |w| format!("{w:.1e}"));
        println!(
            "{:<24} {:>10} {:>10} {:>10} {:>18}",
            name,
            cell(&cells[0]),
            cell(&cells[1]),
            cell(&cells[2]),
            checked
        );
    }

    if flag("--tsv") {
        println!();
        for line in tsv {
            println!("{line}");
        }
    }
}
