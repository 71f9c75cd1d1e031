"""Packs CPython's Lib/ into lib/python311.zip for Kiln's Python runtime (docs/adr/0050).

    python3.11 stdlib_zip.py LIB_DIR OUT.zip

Bytecode only (compiled here by the build machine's Python 3.11, same magic number as the
runtime's), stored uncompressed (the runtime has no zlib), without what cannot work in the
sandbox (threads, processes, sockets servers, GUI, C extensions it lacks) or is not for
functions (tests, IDLE, installers, 2to3, pydoc's data).
"""
import importlib.util
import marshal
import os
import sys
import zipfile

LEFT_OUT = {
    "test", "tests", "idlelib", "tkinter", "turtledemo", "turtle.py", "ensurepip", "lib2to3",
    "distutils", "pydoc_data", "pydoc.py", "venv", "multiprocessing", "concurrent", "asyncio",
    "sqlite3", "ctypes", "curses", "dbm", "msilib", "xmlrpc", "wsgiref", "unittest",
    "site-packages", "__phello__", "_pydecimal.py", "_osx_support.py", "_aix_support.py",
    "_bootsubprocess.py", "antigravity.py", "this.py", "imaplib.py", "nntplib.py",
    "smtpd.py", "asynchat.py", "asyncore.py", "telnetlib.py", "ftplib.py", "poplib.py",
    "smtplib.py", "mailbox.py", "tabnanny.py", "pdb.py", "doctest.py", "idlelib",
}


def main(lib, out):
    entries = []
    for root, dirs, files in os.walk(lib):
        rel_root = os.path.relpath(root, lib)
        dirs[:] = sorted(d for d in dirs if d not in LEFT_OUT and not d.startswith("plat-")
                         and d != "__pycache__" and not d.startswith("config-"))
        for f in sorted(files):
            if not f.endswith(".py") or f in LEFT_OUT:
                continue
            rel = os.path.normpath(os.path.join(rel_root, f))
            entries.append(rel)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for rel in entries:
            with open(os.path.join(lib, rel), "rb") as fh:
                source = fh.read()
            # The file name tracebacks show: the module inside the zip.
            code = compile(source, "/lib/python311.zip/" + rel, "exec", dont_inherit=True,
                           optimize=2)
            # An unchecked hash-based pyc: zipimport does not compare it with a source.
            data = (importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little") + bytes(8)
                    + marshal.dumps(code))
            info = zipfile.ZipInfo(rel[:-3] + ".pyc", date_time=(2023, 2, 8, 0, 0, 0))
            z.writestr(info, data)
    print(f"{out}: {len(entries)} modules, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    if sys.version_info[:2] != (3, 11):
        sys.exit("stdlib_zip.py needs Python 3.11 (its bytecode must match the runtime's)")
    main(sys.argv[1], sys.argv[2])
