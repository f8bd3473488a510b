//! One module per subcommand, each with its `Args` and its `run`.

pub mod batch;
pub mod compare;
pub mod convert;
pub mod formats;
pub mod info;
pub mod verify;
