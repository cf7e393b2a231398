//! The voice service below the API: validated requests, how their work runs (admission,
//! deadline, blocking threads), the espeak-ng front end, the voice transform, whole and
//! streamed synthesis, quality measurement, enrollment and model loading. Nothing here knows HTTP.

pub mod cached;
pub mod enroll;
pub mod error;
pub mod frontend;
pub mod joins;
pub mod load;
pub mod measure;
pub mod pieces;
pub mod request;
pub mod run;
pub mod stream;
pub mod synthesis;
pub mod voice;

pub use crate::answer::{Answer, Output};
pub use error::{PipelineError, RequestError};
pub use request::{ConvertRequest, EnrollRequest, QualityMode, SynthesisRequest};
pub use synthesis::{convert, synthesize};
