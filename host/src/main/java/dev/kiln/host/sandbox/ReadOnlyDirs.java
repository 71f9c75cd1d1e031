package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One invocation's view of the directories its function was granted: read-only, and closed at their
 * real (symlink-free) roots. Chicory resolves guest paths lexically, refusing {@code ..} above a
 * root, but lets the operating system follow symlinks; this class refuses any open or stat whose
 * target's real path lies outside every granted root, refuses opening for writing, and caps how
 * many files one invocation holds open.
 *
 * <p>Checks run before Chicory opens the file, so an administrator swapping a symlink in the same
 * instant could race them; guests cannot create symlinks (every mutating call is refused).
 */
final class ReadOnlyDirs {
    static final int MAX_OPEN_FILES = 64;

    private static final int OFLAG_CREAT = 1;
    private static final int OFLAG_TRUNC = 1 << 3;
    private static final int FDFLAG_APPEND = 1;
    private static final long RIGHT_FD_WRITE = 1L << 6;

    /** Guest path to host directory, in preopen order (fds 3, 4, ...). */
    private final Map<String, Path> grants;

    private final List<Path> roots = new ArrayList<>();

    /** Real path of every directory fd: the preopens, then directories the guest opened. */
    private final Map<Integer, Path> dirFds = new HashMap<>();

    /** Fds the guest opened itself (files and directories). */
    private final Set<Integer> opened = new HashSet<>();

    /** A grant whose directory now resolves outside every allowed root (ADR 0030). */
    static final class GrantRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String guestPath;

        GrantRefused(String guestPath, String detail) {
            super(detail, null, false, false);
            this.guestPath = guestPath;
        }

        /** The guest path of the grant, such as {@code /data}: safe to show a client. */
        String guestPath() {
            return guestPath;
        }
    }

    /**
     * Resolves every grant now, at the instance's creation: the grant was checked at {@code PATCH},
     * but the directory (or a parent) may since have been swapped for a symlink leading elsewhere.
     *
     * @param grants guest path (e.g. {@code /data}) to host directory; a directory that does not
     *     exist (any more) is left out
     * @param allowedRoots the host's {@code --wasi-dir-root} directories
     * @throws GrantRefused when a granted directory's real path lies outside every allowed root
     */
    ReadOnlyDirs(Map<String, Path> grants, List<Path> allowedRoots) {
        this.grants = new LinkedHashMap<>();
        List<Path> allowed = new ArrayList<>();
        for (Path root : allowedRoots) {
            try {
                allowed.add(root.toRealPath());
            } catch (IOException e) {
                // A root that does not exist (any more) allows nothing.
            }
        }
        int fd = 3; // after stdin, stdout, stderr, in the order Chicory preopens them
        for (var e : grants.entrySet()) {
            Path real;
            try {
                real = e.getValue().toRealPath();
            } catch (IOException ex) {
                continue;
            }
            if (!Files.isDirectory(real)) {
                continue;
            }
            if (allowed.stream().noneMatch(real::startsWith)) {
                throw new GrantRefused(
                        e.getKey(),
                        "granted directory "
                                + e.getValue()
                                + " now resolves to "
                                + real
                                + ", outside every --wasi-dir-root");
            }
            this.grants.put(e.getKey(), real);
            roots.add(real);
            dirFds.put(fd++, real);
        }
    }

    /** What Chicory should preopen: guest path to real host directory. */
    Map<String, Path> preopens() {
        return grants;
    }

    WasmFunctionHandle guard(String name, WasmFunctionHandle inner) {
        return switch (name) {
            case "path_open" -> (inst, args) -> pathOpen(inst, args, inner);
            case "path_filestat_get" ->
                    (inst, args) -> {
                        int check = checkTarget(inst, (int) args[0], args[2], args[3]);
                        return check != 0 ? WasiGuards.errno(check) : inner.apply(inst, args);
                    };
            case "fd_close" ->
                    (inst, args) -> {
                        long[] r = inner.apply(inst, args);
                        if (r[0] == WasiGuards.ESUCCESS) {
                            dirFds.remove((int) args[0]);
                            opened.remove((int) args[0]);
                        }
                        return r;
                    };
            case "fd_renumber" ->
                    (inst, args) -> {
                        long[] r = inner.apply(inst, args);
                        int from = (int) args[0];
                        int to = (int) args[1];
                        if (r[0] == WasiGuards.ESUCCESS && from != to) {
                            Path dir = dirFds.remove(from);
                            dirFds.remove(to);
                            if (dir != null) {
                                dirFds.put(to, dir);
                            }
                            if (opened.remove(from)) {
                                opened.add(to);
                            }
                        }
                        return r;
                    };
            default -> inner;
        };
    }

    /**
     * path_open(dirfd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags,
     * fd_out).
     */
    private long[] pathOpen(Instance inst, long[] args, WasmFunctionHandle inner) {
        long oflags = args[4];
        long rights = args[5];
        long fdflags = args[7];
        if ((oflags & (OFLAG_CREAT | OFLAG_TRUNC)) != 0
                || (rights & RIGHT_FD_WRITE) != 0
                || (fdflags & FDFLAG_APPEND) != 0) {
            return WasiGuards.errno(WasiGuards.EROFS);
        }
        if (opened.size() >= MAX_OPEN_FILES) {
            return WasiGuards.errno(WasiGuards.EMFILE);
        }
        int check = checkTarget(inst, (int) args[0], args[2], args[3]);
        if (check != 0) {
            return WasiGuards.errno(check);
        }
        long[] r = inner.apply(inst, args);
        if (r[0] == WasiGuards.ESUCCESS) {
            int fd = inst.memory().readInt((int) args[8]);
            opened.add(fd);
            Path target = target((int) args[0], readPath(inst, args[2], args[3]));
            if (target != null && Files.isDirectory(target)) {
                try {
                    dirFds.put(fd, target.toRealPath());
                } catch (IOException e) {
                    // Gone already: opens relative to it will find nothing to check.
                }
            }
        }
        return r;
    }

    /**
     * 0 when the guest path names nothing, or something whose real path lies inside a granted root;
     * ENOTCAPABLE when it would leave them. Paths Chicory refuses itself (absolute, {@code ..}
     * above the directory, unknown fds) are left to Chicory's own answer.
     */
    private int checkTarget(Instance inst, int dirFd, long ptr, long len) {
        if (!WasiGuards.inMemory(inst, ptr, len)) {
            return WasiGuards.EFAULT;
        }
        Path target = target(dirFd, readPath(inst, ptr, len));
        if (target == null || !Files.exists(target)) {
            return 0;
        }
        try {
            Path real = target.toRealPath();
            for (Path root : roots) {
                if (real.startsWith(root)) {
                    return 0;
                }
            }
            return WasiGuards.ENOTCAPABLE;
        } catch (IOException e) {
            return 0; // vanished between the two calls: Chicory will report it missing
        }
    }

    private static String readPath(Instance inst, long ptr, long len) {
        return new String(inst.memory().readBytes((int) ptr, (int) len), StandardCharsets.UTF_8);
    }

    /** The host path a guest path names relative to {@code dirFd}, or null if not resolvable. */
    private Path target(int dirFd, String raw) {
        Path base = dirFds.get(dirFd);
        if (base == null || raw.indexOf('\0') >= 0) {
            return null;
        }
        try {
            Path rel = base.getFileSystem().getPath(raw);
            if (rel.isAbsolute()) {
                return null;
            }
            Path normalized = rel.normalize();
            if (normalized.startsWith("..")) {
                return null;
            }
            return base.resolve(normalized);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
