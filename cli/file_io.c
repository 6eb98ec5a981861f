/* Atomic output files for the eiw program (see file_io.h). The pending temporary's name lives
 * in a static buffer so an async-signal handler can unlink it; signals are blocked while that
 * buffer changes. Inputs are never opened for writing here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/file_io.h"

static char pending_tmp[PATH_MAX];
static volatile sig_atomic_t pending = 0;
static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NHANDLED (sizeof handled_signals / sizeof handled_signals[0])

static void on_fatal_signal(int sig)
{
    if (pending)
        unlink(pending_tmp);
    _exit(128 + sig);
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NHANDLED; i++) {
        struct sigaction old;
        /* Respect an inherited "ignore" (e.g. nohup), as other tools do. */
        if (sigaction(handled_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(handled_signals[i], &sa, NULL);
    }
}

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < NHANDLED; i++)
        sigaddset(&set, handled_signals[i]);
    sigprocmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

static char *tmp_name_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_len;
    size_t n = dir_len + 1 + strlen(base) + sizeof ".tmp-XXXXXX";
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%.*s.%s.tmp-XXXXXX", (int)dir_len, path, base);
    return t;
}

static mode_t default_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* An existing destination that is not a regular file or directory (followed through symbolic
 * links): opened for writing as it is, without a temporary. */
static int open_direct(cli_out_file *o, const char *path, int force, const struct stat *st)
{
    if (S_ISBLK(st->st_mode) && !force)
        return EEXIST;   /* a disk holds data: overwriting it takes -f */
    o->path = strdup(path);
    if (!o->path)
        return ENOMEM;
    /* no O_CREAT, O_TRUNC: it exists, and devices and FIFOs have nothing to truncate */
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        cli_out_abort(o);
        return err;
    }
    o->direct = 1;
    return 0;
}

int cli_out_open(cli_out_file *o, const char *path, int force, const struct stat *input)
{
    memset(o, 0, sizeof *o);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return EISDIR;   /* with or without force: a file never replaces a directory */
        if (!S_ISREG(st.st_mode))
            return open_direct(o, path, force, &st);
    }
    if (lstat(path, &st) == 0) {
        if (input && st.st_dev == input->st_dev && st.st_ino == input->st_ino)
            return EINVAL;
        if (!force)
            return EEXIST;
    } else if (errno != ENOENT) {
        return errno;
    }
    o->path = strdup(path);
    o->tmp_path = tmp_name_for(path);
    if (!o->path || !o->tmp_path || strlen(o->tmp_path) >= sizeof pending_tmp) {
        int e = o->path && o->tmp_path ? ENAMETOOLONG : ENOMEM;
        cli_out_abort(o);
        return e;
    }
    sigset_t old;
    block_signals(&old);
    int fd = mkstemp(o->tmp_path);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        memcpy(pending_tmp, o->tmp_path, strlen(o->tmp_path) + 1);
        pending = 1;
    }
    restore_signals(&old);
    if (fd < 0) {
        free(o->tmp_path);
        o->tmp_path = NULL;   /* nothing was created: abort must not unlink */
        cli_out_abort(o);
        return err;
    }
    int regular_input = input && S_ISREG(input->st_mode);
    mode_t mode = regular_input ? (input->st_mode & 0777) : default_mode();
    if (regular_input) {
        o->keep_mtime = 1;
        o->mtime = input->st_mtim;
    }
    if (fchmod(fd, mode) != 0 || !(o->f = fdopen(fd, "wb"))) {
        err = errno;
        close(fd);
        cli_out_abort(o);
        return err;
    }
    return 0;
}

/* Makes a rename in the directory of path durable. Best effort: some file systems cannot sync
 * a directory, and the data itself is already synced. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static void forget_pending(void)
{
    sigset_t old;
    block_signals(&old);
    pending = 0;
    restore_signals(&old);
}

int cli_out_commit(cli_out_file *o, int force)
{
    int err = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        err = errno ? errno : EIO;
    if (!err && o->sync && fsync(fileno(o->f)) != 0 && errno != EINVAL)
        err = errno;   /* EINVAL: a device or FIFO, nothing to sync */
    /* every byte is written: the time set now stays */
    if (!err && o->keep_mtime) {
        const struct timespec times[2] = { { 0, UTIME_OMIT }, o->mtime };
        if (futimens(fileno(o->f), times) != 0)
            err = errno;
    }
    if (fclose(o->f) != 0 && !err)
        err = errno ? errno : EIO;
    o->f = NULL;
    if (!err && !o->direct) {
        sigset_t old;
        block_signals(&old);
        if (force) {
            if (rename(o->tmp_path, o->path) != 0)
                err = errno;
        } else if (link(o->tmp_path, o->path) == 0) {
            /* link() fails if the destination appeared meanwhile: no silent overwrite. */
            unlink(o->tmp_path);
        } else if (errno == EEXIST) {
            err = EEXIST;
        } else {
            /* File systems without hard links: the existence check in open must do. */
            struct stat st;
            if (lstat(o->path, &st) == 0)
                err = EEXIST;
            else if (rename(o->tmp_path, o->path) != 0)
                err = errno;
        }
        if (!err)
            pending = 0;
        restore_signals(&old);
        if (!err && o->sync)
            sync_parent_dir(o->path);
    }
    if (err) {
        cli_out_abort(o);
        return err;
    }
    free(o->path);
    free(o->tmp_path);
    o->path = o->tmp_path = NULL;
    return 0;
}

void cli_out_abort(cli_out_file *o)
{
    if (o->f) {
        fclose(o->f);
        o->f = NULL;
    }
    if (o->tmp_path) {
        unlink(o->tmp_path);
        forget_pending();
    }
    free(o->path);
    free(o->tmp_path);
    o->path = o->tmp_path = NULL;
}

int cli_write_file(void *ctx, const char *path, const eiw_span *parts, size_t n)
{
    (void)ctx;
    cli_out_file of;
    int e = cli_out_open(&of, path, 1, NULL);
    for (size_t i = 0; e == 0 && i < n; i++)
        if (parts[i].len && fwrite(parts[i].data, 1, parts[i].len, of.f) != parts[i].len) {
            e = errno ? errno : EIO;
            cli_out_abort(&of);
        }
    return e ? e : cli_out_commit(&of, 1);
}
