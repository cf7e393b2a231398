//! Reader for PyTorch's legacy (pre-1.6, non-zip) `torch.save` format, which Resemblyzer's
//! `pretrained.pt` uses. burn-store 0.20.1 parses this format but cannot place the storages in
//! the data blob when a file holds tensors outside the selected state dict (Resemblyzer's also
//! keeps optimizer state), and then silently yields zeros; so the few pickle opcodes
//! `torch.save` emits are interpreted here. Layout: four pickles (magic number, protocol,
//! system info, the object whose tensors point at storages by persistent id), a pickle of the
//! storage keys, then each storage in that order as an i64 element count and raw
//! little-endian data.

use std::collections::HashMap;

/// The legacy format's magic number, the first pickle of the file.
const MAGIC: i128 = 0x1950_a86a_20f9_469c_fc6c;

#[derive(Debug, Clone, PartialEq)]
enum Value {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Global(String),
    /// A storage reference: (type name, key).
    Storage(String, String),
    Tensor(TensorRef),
    /// A call this reader does not evaluate (kept so the stack stays aligned).
    Opaque,
    Mark,
}

/// Where a tensor's values live.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    pub storage_type: String,
    pub key: String,
    pub offset: usize,
    pub shape: Vec<usize>,
}

struct Pickle<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Pickle<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        let end = end.ok_or_else(|| format!("truncated pickle at byte {}", self.pos))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn line(&mut self) -> Result<String, String> {
        let rest = &self.data[self.pos..];
        let n = rest.iter().position(|b| *b == b'\n').ok_or("unterminated GLOBAL")?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }
    fn str(&mut self, n: usize) -> Result<Value, String> {
        Ok(Value::Str(String::from_utf8_lossy(self.take(n)?).into_owned()))
    }

    /// Runs one pickle to its STOP and returns the value.
    fn load(&mut self) -> Result<Value, String> {
        let mut stack: Vec<Value> = Vec::new();
        let mut memo: HashMap<u32, Value> = HashMap::new();
        let pop = |stack: &mut Vec<Value>| stack.pop().ok_or_else(|| "pickle stack underflow".to_owned());
        let pop_mark = |stack: &mut Vec<Value>| -> Result<Vec<Value>, String> {
            let at = stack.iter().rposition(|v| *v == Value::Mark).ok_or("pickle MARK missing")?;
            let items = stack.split_off(at + 1);
            stack.pop();
            Ok(items)
        };
        loop {
            let op = self.u8()?;
            match op {
                0x80 => {
                    self.u8()?;
                } // PROTO
                b'.' => return pop(&mut stack), // STOP
                b'(' => stack.push(Value::Mark),
                b'N' => stack.push(Value::None),
                0x88 => stack.push(Value::Bool(true)),
                0x89 => stack.push(Value::Bool(false)),
                b'K' => stack.push(Value::Int(i128::from(self.u8()?))),
                b'M' => stack.push(Value::Int(i128::from(self.u16()?))),
                b'J' => stack.push(Value::Int(i128::from(self.u32()? as i32))),
                0x8a => {
                    // LONG1: little-endian two's complement of n bytes.
                    let n = usize::from(self.u8()?);
                    let b = self.take(n)?;
                    let mut v: i128 = 0;
                    if n > 16 {
                        return Err("LONG1 wider than 128 bits".to_owned());
                    }
                    for (i, byte) in b.iter().enumerate() {
                        v |= i128::from(*byte) << (8 * i);
                    }
                    if n > 0 && n < 16 && b[n - 1] & 0x80 != 0 {
                        v -= 1i128 << (8 * n);
                    }
                    stack.push(Value::Int(v));
                }
                b'G' => {
                    let b = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    stack.push(Value::Float(f64::from_be_bytes(a)));
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    stack.push(self.str(n)?);
                }
                0x8c => {
                    let n = usize::from(self.u8()?);
                    stack.push(self.str(n)?);
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    stack.push(Value::Global(format!("{module}.{name}")));
                }
                b')' => stack.push(Value::Tuple(Vec::new())),
                b']' => stack.push(Value::List(Vec::new())),
                b'}' => stack.push(Value::Dict(Vec::new())),
                b't' => {
                    let items = pop_mark(&mut stack)?;
                    stack.push(Value::Tuple(items));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if stack.len() < n {
                        return Err("pickle stack underflow".to_owned());
                    }
                    let items = stack.split_off(stack.len() - n);
                    stack.push(Value::Tuple(items));
                }
                b'q' => {
                    let k = u32::from(self.u8()?);
                    memo.insert(k, stack.last().cloned().ok_or("BINPUT on empty stack")?);
                }
                b'r' => {
                    let k = self.u32()?;
                    memo.insert(k, stack.last().cloned().ok_or("LONG_BINPUT on empty stack")?);
                }
                b'h' | b'j' => {
                    let k = if op == b'h' { u32::from(self.u8()?) } else { self.u32()? };
                    stack.push(memo.get(&k).cloned().ok_or_else(|| format!("memo {k} missing"))?);
                }
                b'Q' => {
                    let pid = pop(&mut stack)?;
                    stack.push(storage(pid)?);
                }
                b'R' => {
                    let args = pop(&mut stack)?;
                    let f = pop(&mut stack)?;
                    stack.push(call(f, args)?);
                }
                b'b' => {
                    // BUILD: object state (OrderedDict metadata); not needed.
                    pop(&mut stack)?;
                }
                b'a' => {
                    let v = pop(&mut stack)?;
                    if let Some(Value::List(l)) = stack.last_mut() {
                        l.push(v);
                    }
                }
                b'e' => {
                    let items = pop_mark(&mut stack)?;
                    if let Some(Value::List(l)) = stack.last_mut() {
                        l.extend(items);
                    }
                }
                b's' => {
                    let v = pop(&mut stack)?;
                    let k = pop(&mut stack)?;
                    if let Some(Value::Dict(d)) = stack.last_mut() {
                        d.push((k, v));
                    }
                }
                b'u' => {
                    let items = pop_mark(&mut stack)?;
                    if let Some(Value::Dict(d)) = stack.last_mut() {
                        let mut it = items.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            d.push((k, v));
                        }
                    }
                }
                other => {
                    return Err(format!("unsupported pickle opcode 0x{other:02x} at byte {}", self.pos - 1));
                }
            }
        }
    }
}

/// `('storage', <type>, key, location, size, view)` into a storage reference.
fn storage(pid: Value) -> Result<Value, String> {
    match pid {
        Value::Tuple(t) if t.len() >= 3 && t[0] == Value::Str("storage".into()) => match (&t[1], &t[2]) {
            (Value::Global(ty), Value::Str(key)) => Ok(Value::Storage(ty.clone(), key.clone())),
            _ => Err("malformed storage persistent id".to_owned()),
        },
        _ => Err("unknown persistent id (expected a storage)".to_owned()),
    }
}

fn ints(v: &Value) -> Result<Vec<usize>, String> {
    match v {
        Value::Tuple(items) => items
            .iter()
            .map(|i| match i {
                Value::Int(n) => usize::try_from(*n).map_err(|_| "negative size".to_owned()),
                _ => Err("non-integer size".to_owned()),
            })
            .collect(),
        _ => Err("expected a size tuple".to_owned()),
    }
}

/// Evaluates the calls `torch.save` pickles: OrderedDict() and tensor rebuilds.
fn call(f: Value, args: Value) -> Result<Value, String> {
    let Value::Global(name) = f else { return Ok(Value::Opaque) };
    let Value::Tuple(a) = args else { return Ok(Value::Opaque) };
    match name.as_str() {
        "collections.OrderedDict" => Ok(Value::Dict(Vec::new())),
        "torch._utils._rebuild_tensor_v2" | "torch._utils._rebuild_tensor" if a.len() >= 4 => {
            let Value::Storage(ty, key) = &a[0] else { return Err("tensor without storage".to_owned()) };
            let Value::Int(offset) = a[1] else { return Err("tensor offset is not an integer".to_owned()) };
            let shape = ints(&a[2])?;
            let stride = ints(&a[3])?;
            // Only contiguous (row-major) tensors: what state dicts hold.
            let mut expect: usize = 1;
            for (d, s) in shape.iter().zip(&stride).rev() {
                if *d > 1 && *s != expect {
                    return Err(format!("tensor with strides {stride:?} is not contiguous"));
                }
                // A shape whose size does not fit in memory's address space is not a tensor.
                expect =
                    expect.checked_mul(*d).ok_or_else(|| format!("tensor shape {shape:?} is too large"))?;
            }
            Ok(Value::Tensor(TensorRef {
                storage_type: ty.clone(),
                key: key.clone(),
                offset: usize::try_from(offset).map_err(|_| "negative offset")?,
                shape,
            }))
        }
        _ => Ok(Value::Opaque),
    }
}

/// A tensor read from the file: shape and row-major values.
pub type Named = (Vec<usize>, Vec<f32>);

/// Whether `bytes` start like a legacy-format file (the pickled magic number).
pub fn is_legacy(bytes: &[u8]) -> bool {
    let mut p = Pickle { data: bytes, pos: 0 };
    matches!(p.load(), Ok(Value::Int(MAGIC)))
}

/// The f32 tensors of the state dict under `key` (or the top-level dict), as
/// `name -> (shape, values)`.
pub fn read(bytes: &[u8], key: Option<&str>) -> Result<HashMap<String, Named>, String> {
    let mut p = Pickle { data: bytes, pos: 0 };
    if p.load()? != Value::Int(MAGIC) {
        return Err("not a legacy PyTorch file (magic number missing)".to_owned());
    }
    p.load()?; // protocol version
    p.load()?; // system info
    let root = p.load()?;
    let Value::List(keys) = p.load()? else { return Err("storage key list missing".to_owned()) };
    // Storages follow in key order: an i64 element count, then the elements, whose size comes
    // from the storage type the tensors name.
    let mut types: HashMap<String, String> = HashMap::new();
    collect_storages(&root, &mut types);
    let mut storages: HashMap<String, (usize, usize)> = HashMap::new();
    for k in keys {
        let Value::Str(k) = k else { return Err("storage key is not a string".to_owned()) };
        let ty = types.get(&k).ok_or_else(|| format!("storage {k} is not referenced by any tensor"))?;
        let elem = element_size(ty).ok_or_else(|| format!("storage {k} has unsupported type {ty}"))?;
        let b = p.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        let count = usize::try_from(i64::from_le_bytes(a)).map_err(|_| "negative storage size")?;
        let start = p.pos;
        p.take(count.checked_mul(elem).ok_or("storage too large")?)?;
        storages.insert(k, (start, count));
    }
    let dict = match (root, key) {
        (Value::Dict(d), Some(k)) => d
            .into_iter()
            .find(|(name, _)| *name == Value::Str(k.to_owned()))
            .map(|(_, v)| v)
            .ok_or_else(|| format!("no key `{k}` at the top level"))?,
        (v, _) => v,
    };
    let Value::Dict(entries) = dict else { return Err("the state dict is not a dictionary".to_owned()) };
    let mut out = HashMap::new();
    for (name, v) in entries {
        let (Value::Str(name), Value::Tensor(t)) = (name, v) else { continue };
        if t.storage_type != "torch.FloatStorage" {
            return Err(format!("tensor `{name}` is {}; only float32 is supported", t.storage_type));
        }
        let &(start, count) = storages.get(&t.key).ok_or_else(|| format!("storage {} missing", t.key))?;
        let n = t.shape.iter().try_fold(1usize, |a, d| a.checked_mul(*d));
        let end = n.and_then(|n| t.offset.checked_add(n)).filter(|end| *end <= count);
        let Some(n) = n.filter(|_| end.is_some()) else {
            return Err(format!("tensor `{name}` runs past the end of its storage"));
        };
        let raw = &bytes[start + 4 * t.offset..start + 4 * (t.offset + n)];
        let values = raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        out.insert(name, (t.shape, values));
    }
    Ok(out)
}

fn collect_storages(v: &Value, out: &mut HashMap<String, String>) {
    match v {
        Value::Tensor(t) => {
            out.insert(t.key.clone(), t.storage_type.clone());
        }
        Value::Storage(ty, key) => {
            out.insert(key.clone(), ty.clone());
        }
        Value::Tuple(items) | Value::List(items) => items.iter().for_each(|i| collect_storages(i, out)),
        Value::Dict(entries) => entries.iter().for_each(|(k, v)| {
            collect_storages(k, out);
            collect_storages(v, out);
        }),
        _ => {}
    }
}

fn element_size(storage_type: &str) -> Option<usize> {
    Some(match storage_type.rsplit('.').next()? {
        "DoubleStorage" | "LongStorage" => 8,
        "FloatStorage" | "IntStorage" => 4,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "ByteStorage" | "CharStorage" | "BoolStorage" => 1,
        _ => return None,
    })
}
