//! One module per subcommand, each with its `Args` and its `run`; `write_args` holds the output
//! options `convert` and `batch` share.

pub mod batch;
pub mod compare;
pub mod convert;
pub mod create;
pub mod extract;
pub mod formats;
pub mod info;
pub mod ls;
#[cfg(all(feature = "mount", target_os = "linux"))]
pub mod mount;
#[cfg(all(feature = "mount", target_os = "linux"))]
pub mod unmount;
pub mod verify;
pub mod write_args;
