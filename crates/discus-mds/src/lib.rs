//! Placeholder until the mds crate lands.
