//! Semantic checks over a merged spec. Each pass appends to one list; nothing stops at the
//! first finding. Items may silence a finding with `allow: [{code, reason}]`.

mod access;
mod ids;
mod kubernetes;
mod naming;
mod refs;
mod remote;
mod values;

pub use crate::codes::{CODES, Code, CodeInfo, code, explain};

use crate::diag::Diagnostic;
use crate::index::Index;
use crate::model::Allow;

/// Collects findings, applying an item's `allow` entries as they are added.
#[derive(Debug, Default)]
pub struct Findings {
    pub list: Vec<Diagnostic>,
}

impl Findings {
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    /// Adds a finding about an item that may carry suppressions.
    pub fn push_for(&mut self, mut d: Diagnostic, allow: &[Allow]) {
        if let Some(a) = allow.iter().find(|a| a.code.as_str() == d.code && !a.reason.trim().is_empty()) {
            d.suppressed = Some(a.reason.value.clone());
        }
        self.list.push(d);
    }
}

/// Runs every spec-level check.
pub fn check(index: &Index<'_>) -> Vec<Diagnostic> {
    let spec = index.spec;
    let mut f = Findings::default();
    ids::check(spec, &mut f);
    naming::check(spec, &mut f);
    values::check(spec, index, &mut f);
    refs::check(spec, index, &mut f);
    refs::check_allows(spec, &mut f);
    kubernetes::check(spec, &mut f);
    remote::check(spec, &mut f);
    access::check(spec, &mut f);
    let mut list = f.list;
    crate::diag::sort(&mut list);
    list
}
