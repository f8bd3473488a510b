//! The UDF bridge (`--udf`): placeholder until written.

use super::layout::{Layout, Places as LayoutPlaces};

/// Where the UDF structures go.
#[derive(Clone, Debug, Default)]
pub(crate) struct Places {}

pub(crate) fn reserve(next: u32, _: &mut Places) -> u32 {
    next
}

pub(crate) fn place_entries(_: &Layout, next: u32, _: &mut Places) -> u32 {
    next
}

pub(crate) fn render(_: &Layout, _: &LayoutPlaces, _: &mut dyn FnMut(u32, &[u8]), _: &mut Vec<u8>) {
}
