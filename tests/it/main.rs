//! The one integration-test binary of discus: every module tests one area against committed
//! samples, the shared corpus (skipped when absent) and real peer tools (required in CI).

mod addresses;
mod batch;
mod batch_naming;
mod batch_trust;
mod cdi;
mod chd;
mod chd_batch;
mod chd_codecs;
mod cluster;
mod create;
mod cso;
mod cue;
mod dvd;
mod ecm;
mod foundation;
mod fs;
mod gdi;
mod hardening;
mod matrix;
mod mds_ccd;
mod mount;
mod nrg;
mod outputs;
mod presets;
mod probe;
mod properties;
mod sheets;
mod toc;
mod unknown;
mod verify;
