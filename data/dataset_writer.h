/* Writing a token dataset: a coded shard as PREFIX-NNNNN.bin, .idx and .eiwd (each whole or not
 * at all, the sidecar last: it marks the shard complete), the check that finds a complete
 * shard of the same key (an interrupted run resumes from it), the manifest PREFIX.json from
 * the sidecars once every shard exists, and the removal of shards a shorter rerun left behind.
 * Files are written through the program's eiw_file_writer; nothing is printed. */
#ifndef EIW_DATA_DATASET_WRITER_H
#define EIW_DATA_DATASET_WRITER_H

#include <stdint.h>
#include "data/dataset_io.h"
#include "data/manifest.h"
#include "data/shard.h"
#include "data/shard_buffer.h"

/* Is shard `shard` complete on disk with this key (sidecar, .bin and .idx match)? Fills *sc
 * from its sidecar if so (free with eiw_sidecar_free). */
int eiw_shard_complete(const eiw_shard_settings *s, uint64_t shard, uint64_t key,
                       eiw_sidecar *sc);

/* Writes the documents of sb that coded (status EIW_OK; their tokens are turned to the .bin's
 * byte order in place); the others count as bad records. *sc receives the sidecar written
 * (free with eiw_sidecar_free; nothing to free on failure). */
eiw_status eiw_shard_write(const eiw_shard_settings *s, eiw_shard_buffer *sb, uint64_t shard,
                           uint64_t key, eiw_file_writer w, void *ctx, eiw_sidecar *sc,
                           eiw_dataset_error *e);

/* PREFIX.json for shards 0..mf->shard_count-1, from their sidecars; mf holds the settings
 * (its prefix_name and shards are filled here). */
eiw_status eiw_dataset_manifest_write(const char *prefix, eiw_manifest *mf, eiw_file_writer w,
                                      void *ctx, eiw_dataset_error *e);

/* Removes PREFIX-NNNNN.{bin,idx,eiwd} for NNNNN >= from, as long as any of them exists. */
void eiw_dataset_remove_shards_from(const char *prefix, uint64_t from);

#endif
