/*
 * The WASI calls CPython and wasi-libc make, defined on the Kiln ABI (docs/adr/0050).
 *
 * A module of ABI `kiln` may import nothing but `kiln` (wasm-abi/ABI.md 1), so every
 * `__wasi_*` function wasi-libc declares is defined here and libc's own wrappers (which would
 * import wasi_snapshot_preview1) are never linked. If a future libc or CPython needs another
 * one, the link fails with a duplicate symbol: loud, not a silent import.
 *
 * The file system is read-only and in memory: a preopened "/" holding the files build.sh
 * embeds (lib/python311.zip, the standard library; function.zip, the function's code and the
 * runtime's kiln.py), imported through zipimport. stdout and stderr go to the function's logs,
 * clocks and randomness to the Kiln imports; everything else is EBADF, ENOENT, EROFS or ENOSYS.
 */
#include <stdint.h>
#include <string.h>
#include <wasi/api.h>

#define KILN_IMPORT(name) __attribute__((import_module("kiln"), import_name(name)))

KILN_IMPORT("log") int32_t kiln_log(int32_t level, const void *msg, int32_t len);
KILN_IMPORT("clock_unix_ns") int64_t kiln_clock_unix_ns(void);
KILN_IMPORT("clock_monotonic_ns") int64_t kiln_clock_monotonic_ns(void);
KILN_IMPORT("random_fill") int32_t kiln_random_fill(void *buf, int32_t len);

/* Embedded by build.sh (stdlib.o, cached with CPython; function.o, per function). */
extern const uint8_t kiln_py_stdlib[];
extern const uint32_t kiln_py_stdlib_len;
extern const uint8_t kiln_py_function[];
extern const uint32_t kiln_py_function_len;

typedef struct {
    const char *path; /* relative to "/", as wasi-libc passes it */
    const uint8_t *data;
    const uint32_t *len;
} file;

static const file files[] = {
    {"lib/python311.zip", kiln_py_stdlib, &kiln_py_stdlib_len},
    {"function.zip", kiln_py_function, &kiln_py_function_len},
};
#define NFILES (int)(sizeof files / sizeof files[0])
static const char *const dirs[] = {"", "lib"};
#define NDIRS (int)(sizeof dirs / sizeof dirs[0])

#define ROOT_FD 3
#define FIRST_FD 4
#define MAX_OPEN 32

enum kind { CLOSED = 0, OPEN_FILE, OPEN_DIR };
static struct {
    enum kind kind;
    int index; /* into files */
    uint64_t offset;
} fds[MAX_OPEN];

/* Strips "./", leading and trailing "/" into out; 0, or -1 when too long or using "..". */
static int normalize(const char *path, char *out, size_t cap) {
    size_t n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        if (p[0] == '.' && (p[1] == '/' || p[1] == 0)) {
            p++;
            continue;
        }
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == 0)) return -1;
        if (!*p) break;
        if (n > 0) {
            if (n + 1 >= cap) return -1;
            out[n++] = '/';
        }
        while (*p && *p != '/') {
            if (n + 1 >= cap) return -1;
            out[n++] = *p++;
        }
    }
    out[n] = 0;
    return 0;
}

/* >= 0: a file index; -2: a directory; -1: nothing. */
static int lookup(__wasi_fd_t dirfd, const char *path) {
    if (dirfd != ROOT_FD) return -1;
    char name[256];
    if (normalize(path, name, sizeof name)) return -1;
    for (int i = 0; i < NFILES; i++) {
        if (!strcmp(name, files[i].path)) return i;
    }
    for (int i = 0; i < NDIRS; i++) {
        if (!strcmp(name, dirs[i])) return -2;
    }
    return -1;
}

static void stat_of(int index, __wasi_filestat_t *st) {
    memset(st, 0, sizeof *st);
    st->ino = (uint64_t)(index + 2);
    st->nlink = 1;
    if (index >= 0) {
        st->filetype = __WASI_FILETYPE_REGULAR_FILE;
        st->size = *files[index].len;
    } else {
        st->filetype = __WASI_FILETYPE_DIRECTORY;
        st->ino = 1;
    }
}

static int slot(__wasi_fd_t fd) {
    if (fd < FIRST_FD || fd >= FIRST_FD + MAX_OPEN) return -1;
    return fds[fd - FIRST_FD].kind == CLOSED ? -1 : (int)(fd - FIRST_FD);
}

/* ---------- files ---------- */

__wasi_errno_t __wasi_fd_prestat_get(__wasi_fd_t fd, __wasi_prestat_t *out) {
    if (fd != ROOT_FD) return __WASI_ERRNO_BADF;
    out->tag = __WASI_PREOPENTYPE_DIR;
    out->u.dir.pr_name_len = 1;
    return 0;
}

__wasi_errno_t __wasi_fd_prestat_dir_name(__wasi_fd_t fd, uint8_t *path, __wasi_size_t len) {
    if (fd != ROOT_FD) return __WASI_ERRNO_BADF;
    if (len < 1) return __WASI_ERRNO_NAMETOOLONG;
    path[0] = '/';
    return 0;
}

__wasi_errno_t __wasi_path_open(__wasi_fd_t dirfd, __wasi_lookupflags_t dirflags,
                                const char *path, __wasi_oflags_t oflags,
                                __wasi_rights_t base, __wasi_rights_t inheriting,
                                __wasi_fdflags_t fdflags, __wasi_fd_t *out) {
    (void)dirflags, (void)base, (void)inheriting;
    int index = lookup(dirfd, path);
    if (index == -1) {
        if (dirfd != ROOT_FD) return __WASI_ERRNO_BADF;
        return (oflags & __WASI_OFLAGS_CREAT) ? __WASI_ERRNO_ROFS : __WASI_ERRNO_NOENT;
    }
    if (oflags & (__WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC | __WASI_OFLAGS_EXCL)) {
        return (oflags & __WASI_OFLAGS_EXCL) ? __WASI_ERRNO_EXIST : __WASI_ERRNO_ROFS;
    }
    if (fdflags & __WASI_FDFLAGS_APPEND) return __WASI_ERRNO_ROFS;
    if ((base & __WASI_RIGHTS_FD_WRITE) && index >= 0) return __WASI_ERRNO_ROFS;
    if ((oflags & __WASI_OFLAGS_DIRECTORY) && index >= 0) return __WASI_ERRNO_NOTDIR;
    for (int i = 0; i < MAX_OPEN; i++) {
        if (fds[i].kind == CLOSED) {
            fds[i].kind = index >= 0 ? OPEN_FILE : OPEN_DIR;
            fds[i].index = index;
            fds[i].offset = 0;
            *out = (__wasi_fd_t)(FIRST_FD + i);
            return 0;
        }
    }
    return __WASI_ERRNO_NFILE;
}

__wasi_errno_t __wasi_fd_close(__wasi_fd_t fd) {
    int s = slot(fd);
    if (s < 0) return fd <= ROOT_FD ? 0 : __WASI_ERRNO_BADF;
    fds[s].kind = CLOSED;
    return 0;
}

static __wasi_errno_t read_at(int s, const __wasi_iovec_t *iovs, size_t n, uint64_t offset,
                              __wasi_size_t *nread) {
    const file *f = &files[fds[s].index];
    uint64_t size = *f->len;
    size_t total = 0;
    for (size_t i = 0; i < n && offset < size; i++) {
        size_t k = iovs[i].buf_len;
        if (k > size - offset) k = (size_t)(size - offset);
        memcpy(iovs[i].buf, f->data + offset, k);
        offset += k;
        total += k;
    }
    *nread = (__wasi_size_t)total;
    return 0;
}

__wasi_errno_t __wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t n,
                              __wasi_size_t *nread) {
    if (fd == 0) { /* stdin is empty */
        *nread = 0;
        return 0;
    }
    int s = slot(fd);
    if (s < 0) return __WASI_ERRNO_BADF;
    if (fds[s].kind != OPEN_FILE) return __WASI_ERRNO_ISDIR;
    __wasi_errno_t e = read_at(s, iovs, n, fds[s].offset, nread);
    fds[s].offset += *nread;
    return e;
}

__wasi_errno_t __wasi_fd_pread(__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t n,
                               __wasi_filesize_t offset, __wasi_size_t *nread) {
    int s = slot(fd);
    if (s < 0) return __WASI_ERRNO_BADF;
    if (fds[s].kind != OPEN_FILE) return __WASI_ERRNO_ISDIR;
    return read_at(s, iovs, n, offset, nread);
}

__wasi_errno_t __wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t offset, __wasi_whence_t whence,
                              __wasi_filesize_t *out) {
    int s = slot(fd);
    if (s < 0) return fd <= 2 ? __WASI_ERRNO_SPIPE : __WASI_ERRNO_BADF;
    if (fds[s].kind != OPEN_FILE) return __WASI_ERRNO_BADF;
    int64_t base = whence == __WASI_WHENCE_SET   ? 0
                   : whence == __WASI_WHENCE_CUR ? (int64_t)fds[s].offset
                   : whence == __WASI_WHENCE_END ? (int64_t)*files[fds[s].index].len
                                                 : -1;
    if (base < 0 || base + offset < 0) return __WASI_ERRNO_INVAL;
    fds[s].offset = (uint64_t)(base + offset);
    *out = fds[s].offset;
    return 0;
}

__wasi_errno_t __wasi_fd_tell(__wasi_fd_t fd, __wasi_filesize_t *out) {
    return __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, out);
}

__wasi_errno_t __wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t *st) {
    if (fd <= 2) {
        memset(st, 0, sizeof *st);
        st->filetype = __WASI_FILETYPE_CHARACTER_DEVICE;
        return 0;
    }
    if (fd == ROOT_FD) {
        stat_of(-2, st);
        return 0;
    }
    int s = slot(fd);
    if (s < 0) return __WASI_ERRNO_BADF;
    stat_of(fds[s].kind == OPEN_FILE ? fds[s].index : -2, st);
    return 0;
}

__wasi_errno_t __wasi_path_filestat_get(__wasi_fd_t fd, __wasi_lookupflags_t flags,
                                        const char *path, __wasi_filestat_t *st) {
    (void)flags;
    int index = lookup(fd, path);
    if (index == -1) return fd == ROOT_FD ? __WASI_ERRNO_NOENT : __WASI_ERRNO_BADF;
    stat_of(index, st);
    return 0;
}

__wasi_errno_t __wasi_fd_fdstat_get(__wasi_fd_t fd, __wasi_fdstat_t *st) {
    memset(st, 0, sizeof *st);
    if (fd <= 2) {
        st->fs_filetype = __WASI_FILETYPE_CHARACTER_DEVICE;
        st->fs_rights_base = fd == 0 ? __WASI_RIGHTS_FD_READ : __WASI_RIGHTS_FD_WRITE;
        return 0;
    }
    int s = slot(fd);
    if (fd != ROOT_FD && s < 0) return __WASI_ERRNO_BADF;
    int is_file = fd != ROOT_FD && fds[s].kind == OPEN_FILE;
    st->fs_filetype = is_file ? __WASI_FILETYPE_REGULAR_FILE : __WASI_FILETYPE_DIRECTORY;
    st->fs_rights_base = is_file ? __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
                                       __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET
                                 : __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR |
                                       __WASI_RIGHTS_PATH_FILESTAT_GET |
                                       __WASI_RIGHTS_FD_FILESTAT_GET;
    st->fs_rights_inheriting = ~(__wasi_rights_t)0;
    return 0;
}

/* Directories are not listed: imports go through zipimport, which never lists one. */
__wasi_errno_t __wasi_fd_readdir(__wasi_fd_t fd, uint8_t *buf, __wasi_size_t len,
                                 __wasi_dircookie_t cookie, __wasi_size_t *used) {
    (void)buf, (void)len, (void)cookie;
    if (fd != ROOT_FD && slot(fd) < 0) return __WASI_ERRNO_BADF;
    *used = 0;
    return 0;
}

__wasi_errno_t __wasi_path_readlink(__wasi_fd_t fd, const char *path, uint8_t *buf,
                                    __wasi_size_t len, __wasi_size_t *used) {
    (void)buf, (void)len, (void)used;
    return lookup(fd, path) == -1 ? __WASI_ERRNO_NOENT : __WASI_ERRNO_INVAL;
}

/* ---------- stdout and stderr: the function's logs ---------- */

__wasi_errno_t __wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n,
                               __wasi_size_t *written) {
    if (fd != 1 && fd != 2) return __WASI_ERRNO_BADF;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = iovs[i].buf_len;
        while (l > 0 && iovs[i].buf[l - 1] == '\n') l--;
        if (l > 0) kiln_log(fd == 2 ? 3 : 1, iovs[i].buf, (int32_t)l);
        total += iovs[i].buf_len;
    }
    *written = (__wasi_size_t)total;
    return 0;
}

/* ---------- clocks, randomness, process ---------- */

__wasi_errno_t __wasi_clock_time_get(__wasi_clockid_t id, __wasi_timestamp_t precision,
                                     __wasi_timestamp_t *time) {
    (void)precision;
    *time = (uint64_t)(id == __WASI_CLOCKID_REALTIME ? kiln_clock_unix_ns()
                                                     : kiln_clock_monotonic_ns());
    return 0;
}

__wasi_errno_t __wasi_clock_res_get(__wasi_clockid_t id, __wasi_timestamp_t *res) {
    (void)id;
    *res = 1000;
    return 0;
}

__wasi_errno_t __wasi_random_get(uint8_t *buf, __wasi_size_t len) {
    while (len > 0) {
        __wasi_size_t k = len > 65536 ? 65536 : len;
        kiln_random_fill(buf, (int32_t)k);
        buf += k;
        len -= k;
    }
    return 0;
}

__wasi_errno_t __wasi_args_sizes_get(__wasi_size_t *argc, __wasi_size_t *size) {
    *argc = 0;
    *size = 0;
    return 0;
}

__wasi_errno_t __wasi_args_get(uint8_t **argv, uint8_t *buf) {
    (void)argv, (void)buf;
    return 0;
}

__wasi_errno_t __wasi_environ_sizes_get(__wasi_size_t *count, __wasi_size_t *size) {
    *count = 0;
    *size = 0;
    return 0;
}

__wasi_errno_t __wasi_environ_get(uint8_t **environ, uint8_t *buf) {
    (void)environ, (void)buf;
    return 0;
}

__wasi_errno_t __wasi_sched_yield(void) { return 0; }

/* exit() and abort() in a function: the invocation ends as a trap. */
_Noreturn void __wasi_proc_exit(__wasi_exitcode_t code) {
    (void)code;
    __builtin_trap();
}

/* There is no sleeping in Kiln (time.sleep raises OSError) and no sockets. */
__wasi_errno_t __wasi_poll_oneoff(const __wasi_subscription_t *in, __wasi_event_t *out,
                                  __wasi_size_t n, __wasi_size_t *nevents) {
    (void)in, (void)out, (void)n, (void)nevents;
    return __WASI_ERRNO_NOTSUP;
}

/* ---------- everything that writes: a read-only file system ---------- */

#define ROFS_1(name, T1)                                                                          \
    __wasi_errno_t name(T1 a) {                                                                  \
        (void)a;                                                                                 \
        return __WASI_ERRNO_ROFS;                                                                \
    }
#define BADF(name, params, uses)                                                                 \
    __wasi_errno_t name params {                                                                 \
        uses;                                                                                    \
        return __WASI_ERRNO_BADF;                                                                \
    }

BADF(__wasi_fd_advise, (__wasi_fd_t f, __wasi_filesize_t o, __wasi_filesize_t l, __wasi_advice_t a),
     (void)f; (void)o; (void)l; (void)a)
BADF(__wasi_fd_allocate, (__wasi_fd_t f, __wasi_filesize_t o, __wasi_filesize_t l),
     (void)f; (void)o; (void)l)
ROFS_1(__wasi_fd_datasync, __wasi_fd_t)
ROFS_1(__wasi_fd_sync, __wasi_fd_t)
BADF(__wasi_fd_fdstat_set_flags, (__wasi_fd_t f, __wasi_fdflags_t fl), (void)f; (void)fl)
BADF(__wasi_fd_fdstat_set_rights, (__wasi_fd_t f, __wasi_rights_t b, __wasi_rights_t i),
     (void)f; (void)b; (void)i)
BADF(__wasi_fd_filestat_set_size, (__wasi_fd_t f, __wasi_filesize_t s), (void)f; (void)s)
BADF(__wasi_fd_filestat_set_times,
     (__wasi_fd_t f, __wasi_timestamp_t a, __wasi_timestamp_t m, __wasi_fstflags_t fl),
     (void)f; (void)a; (void)m; (void)fl)
BADF(__wasi_fd_pwrite,
     (__wasi_fd_t f, const __wasi_ciovec_t *v, size_t n, __wasi_filesize_t o, __wasi_size_t *w),
     (void)f; (void)v; (void)n; (void)o; (void)w)
BADF(__wasi_fd_renumber, (__wasi_fd_t f, __wasi_fd_t t), (void)f; (void)t)
BADF(__wasi_sock_accept, (__wasi_fd_t f, __wasi_fdflags_t fl, __wasi_fd_t *o),
     (void)f; (void)fl; (void)o)
BADF(__wasi_sock_recv,
     (__wasi_fd_t f, const __wasi_iovec_t *v, size_t n, __wasi_riflags_t fl, __wasi_size_t *r,
      __wasi_roflags_t *ro),
     (void)f; (void)v; (void)n; (void)fl; (void)r; (void)ro)
BADF(__wasi_sock_send,
     (__wasi_fd_t f, const __wasi_ciovec_t *v, size_t n, __wasi_siflags_t fl, __wasi_size_t *w),
     (void)f; (void)v; (void)n; (void)fl; (void)w)
BADF(__wasi_sock_shutdown, (__wasi_fd_t f, __wasi_sdflags_t h), (void)f; (void)h)

#define ROFS(name, params, uses)                                                                 \
    __wasi_errno_t name params {                                                                 \
        uses;                                                                                    \
        return __WASI_ERRNO_ROFS;                                                                \
    }
ROFS(__wasi_path_create_directory, (__wasi_fd_t f, const char *p), (void)f; (void)p)
ROFS(__wasi_path_filestat_set_times,
     (__wasi_fd_t f, __wasi_lookupflags_t fl, const char *p, __wasi_timestamp_t a,
      __wasi_timestamp_t m, __wasi_fstflags_t ff),
     (void)f; (void)fl; (void)p; (void)a; (void)m; (void)ff)
ROFS(__wasi_path_link,
     (__wasi_fd_t of, __wasi_lookupflags_t fl, const char *op, __wasi_fd_t nf, const char *np),
     (void)of; (void)fl; (void)op; (void)nf; (void)np)
ROFS(__wasi_path_remove_directory, (__wasi_fd_t f, const char *p), (void)f; (void)p)
ROFS(__wasi_path_rename, (__wasi_fd_t f, const char *op, __wasi_fd_t nf, const char *np),
     (void)f; (void)op; (void)nf; (void)np)
ROFS(__wasi_path_symlink, (const char *op, __wasi_fd_t f, const char *np),
     (void)op; (void)f; (void)np)
ROFS(__wasi_path_unlink_file, (__wasi_fd_t f, const char *p), (void)f; (void)p)
