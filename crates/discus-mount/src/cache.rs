//! A bounded cache of decoded blocks, shared by every reader of a mount.
//!
//! A block is a fixed span of one view's bytes ([`BLOCK`]), so a block of `image.iso` and the
//! same span of `image.bin` are cached apart (they hold different bytes). When the cache is full
//! the block used longest ago goes: a reader that streams the whole image keeps only the last
//! blocks it read, and the blocks many readers share stay.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// Bytes of one cached block: 64 sectors of 2048 bytes. Large enough that a sequential reader
/// (the kernel asks for 128 KiB at a time) decodes once per request and a CSO's blocks decode
/// in parallel; small enough that an uncached 2 KiB read decodes little around it.
pub const BLOCK: u64 = 128 * 1024;

/// Which block: the view it belongs to and its number in that view.
pub type Key = (usize, u64);

struct Entry {
    data: Arc<Vec<u8>>,
    /// When it was last used, in `tick` units: the key in `by_use`.
    used: u64,
}

struct Blocks {
    entries: HashMap<Key, Entry>,
    /// Keys by when they were last used, oldest first.
    by_use: BTreeMap<u64, Key>,
    tick: u64,
    bytes: u64,
}

/// The cache: at most `limit` bytes of blocks.
pub struct Cache {
    limit: u64,
    blocks: Mutex<Blocks>,
}

impl Cache {
    /// A cache that holds at most `limit` bytes of blocks (0 keeps nothing).
    pub fn new(limit: u64) -> Cache {
        Cache {
            limit,
            blocks: Mutex::new(Blocks {
                entries: HashMap::new(),
                by_use: BTreeMap::new(),
                tick: 0,
                bytes: 0,
            }),
        }
    }

    /// The block `key`, if it is cached; marks it as just used.
    pub fn get(&self, key: Key) -> Option<Arc<Vec<u8>>> {
        // A reader that panicked while holding the lock left the maps consistent (every change
        // below is completed before anything that can panic), so the data stays usable.
        let mut blocks = self.blocks.lock().unwrap_or_else(PoisonError::into_inner);
        let blocks = &mut *blocks;
        blocks.tick += 1;
        let tick = blocks.tick;
        let entry = blocks.entries.get_mut(&key)?;
        blocks.by_use.remove(&entry.used);
        entry.used = tick;
        blocks.by_use.insert(tick, key);
        Some(entry.data.clone())
    }

    /// Keeps `data` as block `key`, dropping the blocks used longest ago to stay within the limit.
    pub fn insert(&self, key: Key, data: Arc<Vec<u8>>) {
        let size = data.len() as u64;
        if size > self.limit {
            return;
        }
        let mut blocks = self.blocks.lock().unwrap_or_else(PoisonError::into_inner);
        let blocks = &mut *blocks;
        blocks.tick += 1;
        let tick = blocks.tick;
        if let Some(old) = blocks.entries.remove(&key) {
            blocks.by_use.remove(&old.used);
            blocks.bytes -= old.data.len() as u64;
        }
        while blocks.bytes + size > self.limit {
            let Some((_, oldest)) = blocks.by_use.pop_first() else {
                break;
            };
            if let Some(gone) = blocks.entries.remove(&oldest) {
                blocks.bytes -= gone.data.len() as u64;
            }
        }
        blocks.bytes += size;
        blocks.by_use.insert(tick, key);
        blocks.entries.insert(key, Entry { data, used: tick });
    }

    /// Bytes of blocks held now.
    pub fn bytes(&self) -> u64 {
        self.blocks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn block(byte: u8) -> Arc<Vec<u8>> {
        Arc::new(vec![byte; 10])
    }

    #[test]
    fn the_block_used_longest_ago_goes_first() {
        let cache = Cache::new(30);
        cache.insert((0, 1), block(1));
        cache.insert((0, 2), block(2));
        cache.insert((1, 1), block(3));
        // Using block 1 makes block 2 the oldest.
        assert_eq!(cache.get((0, 1)).unwrap()[0], 1);
        cache.insert((0, 4), block(4));
        assert!(cache.get((0, 2)).is_none());
        assert_eq!(cache.get((1, 1)).unwrap()[0], 3);
        assert_eq!(cache.get((0, 4)).unwrap()[0], 4);
        assert_eq!(cache.bytes(), 30);
    }

    #[test]
    fn memory_stays_within_the_limit_and_a_zero_limit_keeps_nothing() {
        let cache = Cache::new(25);
        for i in 0..100 {
            cache.insert((0, i), block(i as u8));
            assert!(cache.bytes() <= 25);
        }
        cache.insert((0, 99), block(7));
        assert_eq!(cache.get((0, 99)).unwrap()[0], 7);
        assert!(cache.bytes() <= 25);
        let none = Cache::new(0);
        none.insert((0, 0), block(1));
        assert!(none.get((0, 0)).is_none());
    }
}
