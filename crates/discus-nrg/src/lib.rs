//! Placeholder until the nrg crate lands.
