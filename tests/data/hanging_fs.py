#!/usr/bin/python3
"""A read-only FUSE view of a directory in which reading some files never returns.

Stands in for a sysfs attribute whose driver hangs (a wedged I2C bus behind hwmon, a firmware
call that does not come back): the file is a regular file to stat and open, and read(2) blocks.

usage: hanging_fs.py <source-dir> <mount-point> <relative-path-that-hangs>...
Runs in the foreground until unmounted (fusermount3 -u <mount-point>) or killed.
"""
import errno
import os
import sys
import threading

import fusepy


class Hanging(fusepy.Operations):
    def __init__(self, root, hanging):
        self.root = root
        self.hanging = {"/" + p.strip("/") for p in hanging}
        self.forever = threading.Event()  # never set

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def getattr(self, path, fh=None):
        try:
            st = os.lstat(self._full(path))
        except FileNotFoundError:
            raise fusepy.FuseOSError(errno.ENOENT)
        return {k: getattr(st, k) for k in ("st_mode", "st_size", "st_nlink", "st_uid", "st_gid", "st_atime", "st_mtime", "st_ctime")}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._full(path))

    def readlink(self, path):
        return os.readlink(self._full(path))

    def open(self, path, flags):
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise fusepy.FuseOSError(errno.EROFS)
        return 0

    def read(self, path, size, offset, fh):
        if path in self.hanging:
            self.forever.wait()
        with open(self._full(path), "rb") as f:
            f.seek(offset)
            return f.read(size)


if __name__ == "__main__":
    source, mount, *hanging = sys.argv[1:]
    # direct_io: every read reaches us (no page cache answering a second read).
    fusepy.FUSE(Hanging(source, hanging), mount, foreground=True, nothreads=False, ro=True, direct_io=True)
