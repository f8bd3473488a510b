//! Placeholder until the CloneCD module lands.
