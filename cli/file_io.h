/* Output files that appear complete or not at all: data goes to a temporary file in the
 * destination's directory, which is renamed over the destination only after every write and
 * the close succeeded. The temporary is removed on failure and on SIGINT/SIGTERM/SIGHUP.
 * A destination that exists and is not a regular file or directory (a character device such
 * as /dev/null, a FIFO, a socket, a block device) is written directly instead, as gzip and zstd
 * do: replacing it by a regular file is never what was meant. A regular input's permission
 * bits and modification time are kept on the output.
 * One output file is open at a time (the CLI handles files one after another). */
#ifndef EIW_CLI_FILE_IO_H
#define EIW_CLI_FILE_IO_H

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "data/dataset_io.h"

typedef struct {
    FILE *f;           /* write here */
    char *path;        /* destination */
    char *tmp_path;    /* temporary next to it; NULL when writing directly */
    int direct;        /* the destination itself is open (a device, FIFO, ...) */
    int keep_mtime;    /* give the output the input's modification time, mtime */
    struct timespec mtime;
    int sync;          /* set before commit: the data reaches the disk before the rename, and
                        * the rename before commit returns (eiw --rm removes the input next) */
} cli_out_file;

/* Installs the signal handlers that remove a pending temporary and exit with 128 + signal. */
void cli_signals_install(void);

/* Creates the temporary for `path`. A destination that is a directory (or a link to one) is
 * refused (EISDIR), with or without `force`. Without `force`, an existing destination is an
 * error (EEXIST), except one written directly that holds no data of its own (a character device,
 * FIFO or socket: `-o /dev/null` needs no -f; a block device does); `input` (may be NULL) is
 * the input's stat: a regular destination that is the input itself is refused (EINVAL) even
 * with force, and a regular input's permission bits and modification time go to a new output
 * file (never to a destination written directly). Returns 0 or an errno value. */
int cli_out_open(cli_out_file *o, const char *path, int force, const struct stat *input);

/* Closes and renames the temporary onto the destination (without force, never replacing a
 * file that appeared meanwhile), or closes a destination written directly. Returns 0 or an
 * errno value; on error no temporary is left (what went into a device or FIFO stays there). */
int cli_out_commit(cli_out_file *o, int force);

/* Closes and removes the temporary. Safe to call after a failed open or commit. */
void cli_out_abort(cli_out_file *o);

/* The parts, in order, as the whole new content of path (replacing it); 0 or an errno value.
 * An eiw_file_writer (data/dataset_io.h): ctx is not used. */
int cli_write_file(void *ctx, const char *path, const eiw_span *parts, size_t n);

#endif
