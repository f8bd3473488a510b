//! Placeholder until the cue crate lands.
