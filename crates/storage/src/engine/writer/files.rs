//! The writer's changes to the file set: sealing the active file early, rotation, FLUSHALL,
//! and creating a new active file (storage-format §10). The commit path is in `mod.rs`.

use std::sync::Arc;

use super::{Writer, failure};
use crate::dbfile::DBFile;
use crate::error::Result;
use crate::fileset::{ActiveFile, FileSet};
use crate::format::FileKind;
use crate::shared::{FileStats, Shared, lock};

impl Writer {
    /// Seals the active file early when its own garbage passes both thresholds (§10.1), so
    /// the compactor can take it: a small working set overwritten in place would otherwise
    /// keep every old version in a file that never reaches `max_file_size`.
    pub(super) fn seal_if_mostly_dead(&mut self) {
        let opts = &self.shared.opts;
        let dead = {
            let stats = lock(&self.shared.stats);
            let Some(s) = stats.get(&self.active.fid()) else {
                return;
            };
            if s.dead < opts.seal_dead_bytes || !s.dead_at_least(opts.seal_dead_ratio) {
                return;
            }
            s.dead
        };
        if self.shared.refused().is_some() {
            return;
        }
        tracing::debug!(
            fid = self.active.fid(),
            dead,
            "sealing the active file early"
        );
        if let Err(e) = self.rotate() {
            self.shared.poison(e.to_string());
        }
    }

    /// Seals the active file, maps it for readers, and starts a new one (§10, rotation).
    pub(super) fn rotate(&mut self) -> Result<()> {
        let old_fid = self.active.fid();
        self.sync()?;
        let new = new_active_file(&self.shared)?;
        // Sealed before it is replaced: if this fails, the failed file is still the active
        // one, which is what healing expects (`heal.rs`).
        self.active.seal()?;
        let old = std::mem::replace(&mut self.active, new);
        self.durable_len = self.active.len();
        self.published_len = self.active.len();
        let mapped = Arc::new(old.into_mapped()?);
        let new_active = Arc::new(ActiveFile::open(
            &self.shared.dir,
            self.active.fid(),
            self.shared.opts.max_file_size,
        )?);
        self.shared.update_files(|cur| {
            let mut sealed = cur.sealed.clone();
            sealed.insert(old_fid, mapped);
            FileSet {
                sealed,
                active: new_active,
            }
        });
        tracing::debug!(
            old = old_fid,
            new = self.active.fid(),
            "rotated the active data file"
        );
        if let Some(c) = &self.compactor {
            let _ = c.send(crate::compactor::CompactorMsg::Sealed(old_fid));
        }
        Ok(())
    }

    pub(super) fn flush_all(&mut self) -> Result<()> {
        if let Some(e) = self.shared.refused() {
            return Err(e);
        }
        // No compaction may edit the file set meanwhile.
        let shared = self.shared.clone();
        let _compaction = lock(&shared.compaction);
        // A failure here is a failure to write: refuse writes from now on and answer it as
        // such (MISCONF in the server), like every other write failure.
        self.flush_all_locked().map_err(|e| {
            self.shared.poison(e.to_string());
            failure(&e)
        })
    }

    fn flush_all_locked(&mut self) -> Result<()> {
        let dir = self.shared.dir.clone();
        let fid = {
            let mut m = lock(&self.shared.manifest);
            m.raise_next_seq(self.next_seq)?;
            m.allocate_fid()?
        };
        let new = DBFile::create(&dir, FileKind::Data, fid)?;
        crate::dir::sync_dir(&dir)?;
        let old: Vec<_> = lock(&self.shared.manifest)
            .live_files()
            .iter()
            .copied()
            .collect();
        lock(&self.shared.manifest).add_or_remove(&[fid], &old)?;
        // Committed. Everything below only makes memory and the directory agree with it.
        let index = &self.shared.index;
        self.watches.touch_all(|key| index.contains_key(key));
        self.shared.index.clear();
        self.shared.elements.clear();
        self.collections.clear();
        self.expiries.clear();
        self.publish_expiries();
        let active = Arc::new(ActiveFile::open(&dir, fid, self.shared.opts.max_file_size)?);
        self.shared.update_files(|_| FileSet {
            sealed: Default::default(),
            active,
        });
        *lock(&self.shared.stats) = [(
            fid,
            FileStats {
                total: new.len(),
                ..Default::default()
            },
        )]
        .into();
        self.active = new;
        self.dirty = false;
        self.durable_len = self.active.len();
        self.published_len = self.active.len();
        for f in old {
            crate::compactor::remove_files(&dir, f);
        }
        crate::dir::sync_dir(&dir)?;
        tracing::info!("flushed all keys");
        Ok(())
    }
}

/// Allocates a fid, creates its data file, and makes it live (§10, new active data file).
pub(crate) fn new_active_file(shared: &Shared) -> Result<DBFile> {
    let fid = lock(&shared.manifest).allocate_fid()?;
    let file = DBFile::create(&shared.dir, FileKind::Data, fid)?;
    crate::dir::sync_dir(&shared.dir)?;
    lock(&shared.manifest).add_or_remove(&[fid], &[])?;
    lock(&shared.stats).insert(
        fid,
        FileStats {
            total: file.len(),
            ..Default::default()
        },
    );
    Ok(file)
}
