//! Placeholder until the cso crate lands.
