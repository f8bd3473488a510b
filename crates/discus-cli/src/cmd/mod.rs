//! One module per subcommand, each with its `Args` and its `run`.

pub mod convert;
pub mod formats;
pub mod info;
