//! Mini-batches: `TensorDataset` and `DataLoader`, as in `torch.utils.data`.
//!
//! ```
//! use autograd_core::prelude::*;
//! // from torch.utils.data import DataLoader, TensorDataset
//! manual_seed(0);
//! let x = Tensor::arange(0.0, 10.0, 1.0).reshape(&[10, 1]);
//! let y = &x * 2.0;
//! let dataset = TensorDataset::new(&[&x, &y]);              // TensorDataset(x, y)
//! let loader = DataLoader::new(&dataset, 3).shuffle(true);   // DataLoader(dataset, batch_size=3, shuffle=True)
//! assert_eq!(loader.len(), 4);                               // len(loader): ceil(10 / 3)
//! let mut order = vec![];
//! for [xb, yb] in &loader {                                  // for xb, yb in loader:
//!     assert_eq!(yb.to_vec(), (&xb * 2.0).to_vec());
//!     order.push(xb.to_vec());
//! }
//! // PyTorch's batches after torch.manual_seed(0), the last one shorter
//! assert_eq!(order, vec![vec![6.0, 7.0, 1.0], vec![4.0, 2.0, 0.0], vec![9.0, 8.0, 3.0], vec![5.0]]);
//! ```
//!
//! What PyTorch draws, and so what is drawn here (torch 2.15, `dataloader.py` and `sampler.py`,
//! single-process loading): each `iter(loader)`, i.e. each epoch's `for`, first draws the
//! iterator's `_base_seed` (a seed for worker processes, unused without workers, but drawn from
//! the global generator all the same); then, at the first batch, a shuffling loader's
//! `RandomSampler` draws its own seed and shuffles with a private generator:
//!
//! ```text
//! base_seed = int(torch.empty((), dtype=torch.int64).random_())   # at iter(loader)
//! seed      = int(torch.empty((), dtype=torch.int64).random_())   # at the first next(), if shuffle
//! g = torch.Generator(); g.manual_seed(seed)
//! order = torch.randperm(n, generator=g)
//! ```
//!
//! `random_()` on an int64 is `random64() % 2^63` in ATen: two 32-bit draws. So a shuffled epoch
//! takes four 32-bit draws from the global stream, an unshuffled one two, whatever `n` is; the
//! permutation itself draws from the private generator only. Checked index for index, and in a
//! training loop interleaved with `nn.Linear` and `torch.rand`, against PyTorch
//! (`tests/data_loader.rs`, `reference/data_loader.json`).
//!
//! Layer: this module builds batches with [`Tensor::index_select`] and draws with `random.rs`;
//! nothing below it imports it.

use std::fmt;

use crate::error::{OrPanic, Result, TensorError};
use crate::random;
use crate::Tensor;

/// Tensors that share their first dimension, one sample per row: `TensorDataset(x, y)`.
///
/// `N` is the number of tensors, so that a sample and a batch are arrays `[Tensor; N]` that a
/// `for [xb, yb] in &loader` or `let [x0, y0] = dataset.get(0)` takes apart (PyTorch's
/// `x0, y0 = dataset[0]`). The dataset holds handles: the tensors' numbers are shared, not copied.
///
/// ```
/// use autograd_core::prelude::*;
/// let x = tensor!([[1.0], [2.0], [3.0]]);
/// let y = tensor!([2.0, 4.0, 6.0]);
/// let dataset = TensorDataset::new(&[&x, &y]);
/// assert_eq!(dataset.len(), 3);                 // len(dataset)
/// let [x1, y1] = dataset.get(1);                // x1, y1 = dataset[1]
/// assert_eq!((x1.to_vec(), y1.item()), (vec![2.0], 4.0));
/// ```
pub struct TensorDataset<const N: usize> {
    tensors: [Tensor; N],
}

impl<const N: usize> TensorDataset<N> {
    /// The dataset of `tensors`, which must have the same size along dimension 0:
    /// `TensorDataset(*tensors)`. Panics otherwise, with PyTorch's "Size mismatch between
    /// tensors"; [`TensorDataset::try_new`] returns the error instead.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = Tensor::zeros(&[4, 3]);
    /// let y = Tensor::ones(&[4]);
    /// let dataset = TensorDataset::new(&[&x, &y]);
    /// assert_eq!(dataset.len(), 4);
    /// ```
    #[track_caller]
    pub fn new(tensors: &[&Tensor; N]) -> TensorDataset<N> {
        Self::try_new(tensors).or_panic()
    }

    /// [`TensorDataset::new`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let err = TensorDataset::try_new(&[&Tensor::zeros(&[4, 1]), &Tensor::zeros(&[3])]);
    /// assert!(err.unwrap_err().to_string().starts_with("Size mismatch between tensors"));
    /// ```
    pub fn try_new(tensors: &[&Tensor; N]) -> Result<TensorDataset<N>> {
        let sizes: Vec<Vec<usize>> = tensors.iter().map(|t| t.shape()).collect();
        let first =
            match sizes.first() {
                None => return Err(TensorError::Invalid(
                    "TensorDataset needs at least one tensor\n  op: TensorDataset::new(&[])\n  \
                     hint: pass the inputs and the targets, e.g. TensorDataset::new(&[&x, &y])"
                        .to_string(),
                )),
                Some(shape) if shape.is_empty() => {
                    return Err(TensorError::Invalid(format!(
                "dimension specified as 0 but tensor has no dimensions\n  op: TensorDataset::new, \
                     tensor 0 of shape {shape:?}\n  hint: samples are the rows of dimension 0: \
                     reshape a single number to [1]"
            )))
                }
                Some(shape) => shape[0],
            };
        if sizes.iter().any(|s| s.first() != Some(&first)) {
            return Err(TensorError::Invalid(format!(
                "Size mismatch between tensors\n  op: TensorDataset::new, shapes {sizes:?}\n  \
                 hint: every tensor needs the same size along dimension 0 (one row per sample)"
            )));
        }
        Ok(TensorDataset {
            tensors: tensors.map(Tensor::shallow_clone),
        })
    }

    /// The number of samples, the size of dimension 0: `len(dataset)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = Tensor::zeros(&[5, 2]);
    /// assert_eq!(TensorDataset::new(&[&x]).len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.tensors[0].shape()[0]
    }

    /// Whether the dataset has no samples: `len(dataset) == 0`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(TensorDataset::new(&[&Tensor::zeros(&[0, 2])]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index`, row `index` of every tensor: `dataset[index]`. A negative index counts
    /// from the end, as in PyTorch; one out of range panics with PyTorch's `IndexError` text
    /// ([`TensorDataset::try_get`] returns it).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// let y = tensor!([10.0, 20.0]);
    /// let [x_last, y_last] = TensorDataset::new(&[&x, &y]).get(-1);   // dataset[-1]
    /// assert_eq!((x_last.to_vec(), y_last.item()), (vec![3.0, 4.0], 20.0));
    /// ```
    #[track_caller]
    pub fn get(&self, index: impl crate::Int) -> [Tensor; N] {
        self.try_get(index).or_panic()
    }

    /// [`TensorDataset::get`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[4])]);
    /// let err = dataset.try_get(4).unwrap_err();
    /// assert!(err.to_string().starts_with("index 4 is out of bounds for dimension 0 with size 4"));
    /// ```
    pub fn try_get(&self, index: impl crate::Int) -> Result<[Tensor; N]> {
        let (i, n) = (index.to_i64(), self.len() as i64);
        if i < -n || i >= n {
            // `tensor[i]` in PyTorch (an IndexError), not `select`'s RuntimeError
            return Err(TensorError::Invalid(format!(
                "index {i} is out of bounds for dimension 0 with size {n}\n  op: dataset.get({i})\n  \
                 hint: samples count from 0 to len() - 1; negative ones count from the end"
            )));
        }
        Ok(std::array::from_fn(|k| self.tensors[k].select(0, i)))
    }

    /// The tensors themselves: `dataset.tensors`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = Tensor::zeros(&[3, 1]);
    /// let dataset = TensorDataset::new(&[&x]);
    /// assert!(dataset.tensors()[0].same(&x));   // the same tensor, not a copy
    /// ```
    pub fn tensors(&self) -> &[Tensor; N] {
        &self.tensors
    }

    /// Rows `indices` of every tensor, in that order: one batch.
    fn batch(&self, indices: &[usize]) -> [Tensor; N] {
        std::array::from_fn(|k| self.tensors[k].index_select(0, indices))
    }

    /// A second handle on the same tensors (what a Python reference to the dataset is).
    fn share(&self) -> TensorDataset<N> {
        TensorDataset {
            tensors: std::array::from_fn(|k| self.tensors[k].shallow_clone()),
        }
    }
}

/// PyTorch prints `<torch.utils.data.dataset.TensorDataset object at 0x...>`; this says more.
///
/// ```
/// use autograd_core::prelude::*;
/// let dataset = TensorDataset::new(&[&Tensor::zeros(&[4, 3]), &Tensor::zeros(&[4])]);
/// assert_eq!(format!("{dataset:?}"), "TensorDataset(len=4, shapes=[[4, 3], [4]])");
/// ```
impl<const N: usize> fmt::Debug for TensorDataset<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shapes: Vec<Vec<usize>> = self.tensors.iter().map(Tensor::shape).collect();
        write!(f, "TensorDataset(len={}, shapes={shapes:?})", self.len())
    }
}

/// Part of a dataset, the samples at `indices`: `torch.utils.data.Subset`, what [`random_split`]
/// returns. It is used wherever a [`TensorDataset`] is (`DataLoader::new(&train_set, 10)`,
/// `train_set.len()`, `train_set.get(0)`): it dereferences to a dataset of those samples, in
/// the order of `indices`. One difference from PyTorch: the rows are gathered
/// ([`Tensor::index_select`]) when the subset is made, so an in-place change to the original
/// tensors afterwards does not reach the subset (PyTorch's `Subset` reads them at each access).
///
/// ```
/// use autograd_core::prelude::*;
/// manual_seed(0);
/// let x = Tensor::arange(0.0, 5.0, 1.0);
/// let [part, _] = random_split(&TensorDataset::new(&[&x]), [2, 3]);
/// assert_eq!(part.len(), 2);
/// let [rows] = part.tensors();
/// let expected: Vec<f32> = part.indices().iter().map(|&i| i as f32).collect();
/// assert_eq!(rows.to_vec(), expected);   // row k is sample indices()[k] of the dataset
/// ```
pub struct Subset<const N: usize> {
    dataset: TensorDataset<N>,
    indices: Vec<usize>,
    rows: TensorDataset<N>,
}

impl<const N: usize> Subset<N> {
    /// The samples `indices` of `dataset`, in that order: `Subset(dataset, indices)`. Panics
    /// with PyTorch's `IndexError` text if an index is out of range.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&tensor!([10.0, 20.0, 30.0])]);
    /// let subset = Subset::new(&dataset, &[2, 0]);
    /// assert_eq!(subset.tensors()[0].to_vec(), vec![30.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn new(dataset: &TensorDataset<N>, indices: &[usize]) -> Subset<N> {
        Self::try_new(dataset, indices).or_panic()
    }

    /// [`Subset::new`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[4])]);
    /// let err = Subset::try_new(&dataset, &[1, 4]).unwrap_err();
    /// assert!(err.to_string().starts_with("index 4 is out of bounds for dimension 0 with size 4"));
    /// ```
    pub fn try_new(dataset: &TensorDataset<N>, indices: &[usize]) -> Result<Subset<N>> {
        let n = dataset.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            // what `subset[k]` raises in PyTorch, at the first access to that sample
            return Err(TensorError::Invalid(format!(
                "index {bad} is out of bounds for dimension 0 with size {n}\n  op: Subset::new\n  \
                 hint: a subset's indices count from 0 to len() - 1 of the dataset"
            )));
        }
        Ok(Subset {
            dataset: dataset.share(),
            indices: indices.to_vec(),
            rows: TensorDataset {
                tensors: dataset.batch(indices),
            },
        })
    }

    /// The positions of the subset's samples in the whole dataset: `subset.indices`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[4])]);
    /// assert_eq!(Subset::new(&dataset, &[3, 1]).indices(), &[3, 1]);
    /// ```
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The whole dataset the subset was taken from: `subset.dataset`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[4])]);
    /// assert_eq!(Subset::new(&dataset, &[3, 1]).dataset().len(), 4);
    /// ```
    pub fn dataset(&self) -> &TensorDataset<N> {
        &self.dataset
    }
}

/// A subset is a dataset of its samples: `len()`, `get(i)`, `tensors()` and `DataLoader::new`
/// see only them.
impl<const N: usize> std::ops::Deref for Subset<N> {
    type Target = TensorDataset<N>;

    fn deref(&self) -> &TensorDataset<N> {
        &self.rows
    }
}

/// PyTorch prints `<torch.utils.data.dataset.Subset object at 0x...>`; this says more.
///
/// ```
/// use autograd_core::prelude::*;
/// let dataset = TensorDataset::new(&[&Tensor::zeros(&[4, 3])]);
/// let subset = Subset::new(&dataset, &[3, 1]);
/// assert_eq!(format!("{subset:?}"), "Subset(len=2 of 4, indices=[3, 1])");
/// ```
impl<const N: usize> fmt::Debug for Subset<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // the first ten indices, as a long list would fill the screen
        let shown: Vec<String> = self.indices.iter().take(10).map(usize::to_string).collect();
        let more = if self.indices.len() > 10 { ", ..." } else { "" };
        write!(
            f,
            "Subset(len={} of {}, indices=[{}{more}])",
            self.indices.len(),
            self.dataset.len(),
            shown.join(", ")
        )
    }
}

/// Split `dataset` at random into parts of `lengths` samples: `random_split(dataset, lengths)`,
/// e.g. a training and a validation set, taken apart as in Python:
/// `let [train_set, val_set] = random_split(&dataset, [160, 40]);`. The same parts as
/// PyTorch's for the same seed: one `torch.randperm(len(dataset))` from the global generator,
/// cut in order (the first part takes the first `lengths[0]` indices). Lengths are counts;
/// PyTorch's fractions (`[0.8, 0.2]`) do not compile here: write the counts. Panics, as PyTorch
/// raises, if they do not add up to the dataset's length ([`try_random_split`] returns the
/// error).
///
/// ```
/// use autograd_core::prelude::*;
/// // torch.manual_seed(0); train_set, val_set = random_split(dataset, [6, 4])
/// manual_seed(0);
/// let dataset = TensorDataset::new(&[&Tensor::arange(0.0, 10.0, 1.0)]);
/// let [train_set, val_set] = random_split(&dataset, [6, 4]);
/// assert_eq!(train_set.indices(), &[4, 1, 7, 5, 3, 9]);   // train_set.indices
/// assert_eq!(val_set.indices(), &[0, 8, 6, 2]);
/// ```
#[track_caller]
pub fn random_split<const N: usize, const K: usize>(
    dataset: &TensorDataset<N>,
    lengths: [usize; K],
) -> [Subset<N>; K] {
    try_random_split(dataset, lengths).or_panic()
}

/// [`random_split`] returning an error instead of panicking.
///
/// ```
/// use autograd_core::prelude::*;
/// let dataset = TensorDataset::new(&[&Tensor::zeros(&[10])]);
/// let err = try_random_split(&dataset, [6, 3]).unwrap_err();
/// assert!(err.to_string().starts_with("Sum of input lengths does not equal the length of the input dataset!"));
/// ```
pub fn try_random_split<const N: usize, const K: usize>(
    dataset: &TensorDataset<N>,
    lengths: [usize; K],
) -> Result<[Subset<N>; K]> {
    let (total, n) = (lengths.iter().sum::<usize>(), dataset.len());
    if total != n {
        return Err(TensorError::Invalid(format!(
            "Sum of input lengths does not equal the length of the input dataset!\n  \
             op: random_split, lengths {lengths:?} (sum {total}) of a dataset of {n}\n  \
             hint: the parts must use every sample once, e.g. [{}, {}]",
            n - n / 5,
            n / 5
        )));
    }
    // `indices = randperm(sum(lengths), generator=generator).tolist()`, then consecutive cuts
    let indices = random::randperm(total);
    let mut start = 0;
    Ok(lengths.map(|length| {
        let part = Subset::new(dataset, &indices[start..start + length]);
        start += length;
        part
    }))
}

/// Batches of a [`TensorDataset`], in order or shuffled: `DataLoader(dataset, batch_size,
/// shuffle=..., drop_last=...)`. Each batch is an array `[Tensor; N]`, one tensor per tensor of
/// the dataset, made with [`Tensor::index_select`] along dimension 0 (PyTorch's collated list
/// `[xb, yb]`). Iterating starts an epoch: with `shuffle(true)` every epoch has a new order, the
/// one PyTorch gives after the same [`manual_seed`](crate::manual_seed) and the same draws (the
/// module's doc says which).
///
/// ```
/// use autograd_core::prelude::*;
/// let x = Tensor::arange(0.0, 5.0, 1.0);
/// let loader = DataLoader::new(&TensorDataset::new(&[&x]), 2);   // DataLoader(ds, batch_size=2)
/// let batches: Vec<Vec<f32>> = loader.iter().map(|[xb]| xb.to_vec()).collect();
/// assert_eq!(batches, vec![vec![0.0, 1.0], vec![2.0, 3.0], vec![4.0]]);
/// ```
#[derive(Debug)]
pub struct DataLoader<const N: usize> {
    dataset: TensorDataset<N>,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
}

impl<const N: usize> DataLoader<N> {
    /// A loader over `dataset` (shared, not copied) in batches of `batch_size`, in order, the
    /// last batch shorter if `batch_size` does not divide the length:
    /// `DataLoader(dataset, batch_size=batch_size)`. Options are builder methods:
    /// [`shuffle`](DataLoader::shuffle), [`drop_last`](DataLoader::drop_last). A batch size of
    /// 0 panics as PyTorch raises.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[100, 1]), &Tensor::zeros(&[100, 1])]);
    /// let loader = DataLoader::new(&dataset, 32);
    /// assert_eq!((loader.len(), loader.batch_size()), (4, 32));   // 32 + 32 + 32 + 4
    /// ```
    #[track_caller]
    pub fn new(dataset: &TensorDataset<N>, batch_size: usize) -> DataLoader<N> {
        Self::try_new(dataset, batch_size).or_panic()
    }

    /// [`DataLoader::new`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[4])]);
    /// let err = DataLoader::try_new(&dataset, 0).unwrap_err();
    /// assert!(err.to_string().starts_with("batch_size should be a positive integer value"));
    /// ```
    pub fn try_new(dataset: &TensorDataset<N>, batch_size: usize) -> Result<DataLoader<N>> {
        if batch_size == 0 {
            return Err(TensorError::Invalid(
                "batch_size should be a positive integer value, but got batch_size=0\n  \
                 op: DataLoader::new\n  hint: the number of samples per step, e.g. 32"
                    .to_string(),
            ));
        }
        Ok(DataLoader {
            dataset: dataset.share(),
            batch_size,
            shuffle: false,
            drop_last: false,
        })
    }

    /// Reshuffle at every epoch: `shuffle=True`. The order is PyTorch's for the same seed. As
    /// in PyTorch, an empty dataset cannot be shuffled (PyTorch's `RandomSampler` refuses
    /// `num_samples=0`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// manual_seed(42);
    /// let x = Tensor::arange(0.0, 6.0, 1.0);
    /// let loader = DataLoader::new(&TensorDataset::new(&[&x]), 6).shuffle(true);
    /// let [epoch1] = loader.iter().next().unwrap();
    /// let [epoch2] = loader.iter().next().unwrap();
    /// assert_ne!(epoch1.to_vec(), epoch2.to_vec());   // a new order each epoch
    /// ```
    #[track_caller]
    pub fn shuffle(self, shuffle: bool) -> DataLoader<N> {
        self.try_shuffle(shuffle).or_panic()
    }

    /// [`DataLoader::shuffle`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let empty = TensorDataset::new(&[&Tensor::zeros(&[0, 1])]);
    /// let err = DataLoader::new(&empty, 2).try_shuffle(true).unwrap_err();
    /// assert!(err.to_string().starts_with("num_samples should be a positive integer value"));
    /// ```
    pub fn try_shuffle(mut self, shuffle: bool) -> Result<DataLoader<N>> {
        if shuffle && self.dataset.is_empty() {
            return Err(TensorError::Invalid(
                "num_samples should be a positive integer value, but got num_samples=0\n  \
                 op: DataLoader::shuffle(true) on an empty dataset\n  \
                 hint: a dataset with no samples has nothing to shuffle"
                    .to_string(),
            ));
        }
        self.shuffle = shuffle;
        Ok(self)
    }

    /// Leave out the last batch if it is shorter than `batch_size`: `drop_last=True`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[10])]);
    /// assert_eq!(DataLoader::new(&dataset, 3).len(), 4);
    /// assert_eq!(DataLoader::new(&dataset, 3).drop_last(true).len(), 3);
    /// ```
    pub fn drop_last(mut self, drop_last: bool) -> DataLoader<N> {
        self.drop_last = drop_last;
        self
    }

    /// The number of batches in an epoch: `len(loader)`, `n // batch_size` with `drop_last`,
    /// else `ceil(n / batch_size)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[100, 1])]);
    /// assert_eq!(DataLoader::new(&dataset, 32).len(), 4);
    /// assert_eq!(DataLoader::new(&dataset, 32).drop_last(true).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch has no batch: `len(loader) == 0`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[10])]);
    /// assert!(DataLoader::new(&dataset, 32).drop_last(true).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `loader.batch_size`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let dataset = TensorDataset::new(&[&Tensor::zeros(&[10])]);
    /// assert_eq!(DataLoader::new(&dataset, 4).batch_size(), 4);
    /// ```
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// `loader.dataset`: the dataset it reads (the same tensors).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = Tensor::zeros(&[10]);
    /// let loader = DataLoader::new(&TensorDataset::new(&[&x]), 4);
    /// assert!(loader.dataset().tensors()[0].same(&x));
    /// ```
    pub fn dataset(&self) -> &TensorDataset<N> {
        &self.dataset
    }

    /// One epoch of batches: `iter(loader)`. `for [xb, yb] in &loader` calls it. Like PyTorch's
    /// it draws from the global generator when it starts (and, shuffled, again at the first
    /// batch), even without shuffling.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = Tensor::arange(0.0, 4.0, 1.0);
    /// let y = &x * 10.0;
    /// let loader = DataLoader::new(&TensorDataset::new(&[&x, &y]), 2);
    /// let mut epoch = loader.iter();
    /// assert_eq!(epoch.len(), 2);                       // len(iter(loader))
    /// let [xb, yb] = epoch.next().unwrap();             // xb, yb = next(it)
    /// assert_eq!((xb.to_vec(), yb.to_vec()), (vec![0.0, 1.0], vec![0.0, 10.0]));
    /// ```
    pub fn iter(&self) -> Iter<'_, N> {
        // `_BaseDataLoaderIter.__init__`: `self._base_seed = torch.empty((), dtype=torch.int64)
        // .random_(generator=loader.generator).item()`. Only worker processes use it, but the
        // draw moves the global stream, so it is made here too and thrown away.
        let _base_seed = random::random_int64();
        Iter {
            loader: self,
            order: None,
            next_batch: 0,
        }
    }
}

impl<'a, const N: usize> IntoIterator for &'a DataLoader<N> {
    type Item = [Tensor; N];
    type IntoIter = Iter<'a, N>;

    /// `for [xb, yb] in &loader`: [`DataLoader::iter`], one epoch.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = Tensor::arange(0.0, 4.0, 1.0);
    /// let loader = DataLoader::new(&TensorDataset::new(&[&x]), 3);
    /// let sizes: Vec<usize> = (&loader).into_iter().map(|[xb]| xb.shape()[0]).collect();
    /// assert_eq!(sizes, vec![3, 1]);
    /// ```
    fn into_iter(self) -> Iter<'a, N> {
        self.iter()
    }
}

/// One epoch of a [`DataLoader`]: the batches, each `[Tensor; N]`. Made by
/// [`DataLoader::iter`] or `for ... in &loader`.
///
/// ```
/// use autograd_core::prelude::*;
/// let x = Tensor::arange(0.0, 7.0, 1.0);
/// let loader = DataLoader::new(&TensorDataset::new(&[&x]), 3).drop_last(true);
/// let epoch: autograd_core::data::Iter<'_, 1> = loader.iter();
/// assert_eq!(epoch.count(), 2);   // the short batch [6] is dropped
/// ```
pub struct Iter<'a, const N: usize> {
    loader: &'a DataLoader<N>,
    /// The epoch's sample order, made at the first batch (PyTorch's sampler starts lazily).
    order: Option<Vec<usize>>,
    next_batch: usize,
}

impl<const N: usize> Iter<'_, N> {
    /// `RandomSampler.__iter__` (a seed from the global generator, then `randperm` on a private
    /// generator seeded with it) or `SequentialSampler`'s `0..n`.
    fn sample_order(&self) -> Vec<usize> {
        let n = self.loader.dataset.len();
        if self.loader.shuffle {
            random::randperm_seeded(n, random::random_int64())
        } else {
            (0..n).collect()
        }
    }
}

impl<const N: usize> Iterator for Iter<'_, N> {
    type Item = [Tensor; N];

    fn next(&mut self) -> Option<[Tensor; N]> {
        if self.order.is_none() {
            // PyTorch's sampler draws its seed at the first `next`, even when `drop_last`
            // leaves no batch to return
            self.order = Some(self.sample_order());
        }
        if self.next_batch >= self.loader.len() {
            return None;
        }
        let order = self.order.as_deref().unwrap_or_default();
        let size = self.loader.batch_size;
        let start = self.next_batch * size;
        let indices = &order[start..order.len().min(start + size)];
        self.next_batch += 1;
        Some(self.loader.dataset.batch(indices))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.loader.len() - self.next_batch;
        (left, Some(left))
    }
}

impl<const N: usize> ExactSizeIterator for Iter<'_, N> {}
