"""The kernel's locks on the sensing process (issue 17; ARCHITECTURE: "sensing runs in its own
process that the kernel forbids to write files or open network sockets").

``lock_down(camera_paths, network)`` is called first thing in the sensing child
(sensing/child.py), before any other thread exists, and applies, each where the kernel has it:

- no core dump (signage/hardening.py) and ``no_new_privs``;
- Landlock (Linux 5.13+): no file may be created, written, truncated, removed, renamed or
  executed anywhere, except writing the camera's own device nodes (V4L2 opens them
  read-write); from ABI 4 no TCP bind or connect; from ABI 6 no abstract Unix socket and no
  signal to processes outside the sandbox;
- seccomp: ``socket()`` fails with EACCES for every family, ``io_uring_setup`` too (it could
  open sockets behind seccomp's back); the process keeps its inherited pipes to the player.

A stream URL camera needs the network: then only the file locks apply, and the log says so.
Reading stays allowed (models, Python's own files, /dev/video*). Returns what was applied,
for the log and the tests; nothing here raises.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import platform
import struct
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

# Landlock (include/uapi/linux/landlock.h)
_SYS = {"x86_64": {"landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
                   "socket": 41, "io_uring_setup": 425},
        "aarch64": {"landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
                    "socket": 198, "io_uring_setup": 425}}
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE = 1 << 0, 1 << 1
FS_WRITES = (FS_EXECUTE | FS_WRITE_FILE | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9)
             | (1 << 10) | (1 << 11) | (1 << 12))  # execute, write, remove dir/file, make char/dir/reg/sock/fifo/block/sym
FS_REFER, FS_TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2  # ABI 4
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2  # ABI 6


@dataclass
class Locks:
    core: bool = False
    no_new_privs: bool = False
    landlock_abi: int = 0  # 0: not available
    landlock: bool = False
    landlock_net: bool = False
    seccomp: bool = False
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"landlock ABI {self.landlock_abi}: files" + (" and TCP" if self.landlock_net else "")
                 if self.landlock else "no landlock",
                 "seccomp: no socket" if self.seccomp else "no seccomp",
                 "no core dump" if self.core else "core dumps possible"]
        return "; ".join(parts + self.notes)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _arch() -> str | None:
    m = platform.machine()
    return m if m in _SYS else None


def landlock_abi() -> int:
    arch = _arch()
    if arch is None:
        return 0
    r = _libc().syscall(_SYS[arch]["landlock_create_ruleset"], None, ctypes.c_size_t(0),
                        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return r if r > 0 else 0


def _landlock(abi: int, writable: list[str], network: bool, locks: Locks) -> None:
    arch = _arch()
    nr = _SYS[arch]
    libc = _libc()
    fs = FS_WRITES | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 and not network else 0
    scoped = (SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL) if abi >= 6 and not network else 0
    attr = struct.pack("=QQQ", fs, net, scoped)[: 8 if abi < 4 else 16 if abi < 6 else 24]
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = libc.syscall(nr["landlock_create_ruleset"], buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if fd < 0:
        locks.notes.append(f"landlock refused the ruleset (errno {ctypes.get_errno()})")
        return
    try:
        for path in writable:  # the camera's device nodes: V4L2 opens them read-write
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = ctypes.create_string_buffer(struct.pack("=Qi", FS_WRITE_FILE | (FS_TRUNCATE if abi >= 3 else 0),
                                                               pfd), 12)
                if libc.syscall(nr["landlock_add_rule"], ctypes.c_int(fd), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH),
                                rule, ctypes.c_uint32(0)) != 0:
                    locks.notes.append(f"landlock: {path} not writable (errno {ctypes.get_errno()})")
            finally:
                os.close(pfd)
        if libc.syscall(nr["landlock_restrict_self"], ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            locks.notes.append(f"landlock_restrict_self failed (errno {ctypes.get_errno()})")
            return
        locks.landlock, locks.landlock_net = True, bool(net)
    finally:
        os.close(fd)


def _bpf(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def _seccomp(locks: Locks) -> None:
    arch = _arch()
    nr = _SYS[arch]
    LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
    ALLOW, ERRNO = 0x7FFF0000, 0x00050000
    prog = b"".join([
        _bpf(LD_W_ABS, 4),  # seccomp_data.arch
        _bpf(JEQ_K, _AUDIT_ARCH[arch], 1, 0),
        _bpf(RET_K, ERRNO | errno.EACCES),  # another ABI (e.g. 32-bit calls): refused
        _bpf(LD_W_ABS, 0),  # seccomp_data.nr
        _bpf(JEQ_K, nr["socket"], 2, 0),
        _bpf(JEQ_K, nr["io_uring_setup"], 1, 0),
        _bpf(RET_K, ALLOW),
        _bpf(RET_K, ERRNO | errno.EACCES),
    ])
    filt = ctypes.create_string_buffer(prog, len(prog))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog) // 8, ctypes.cast(filt, ctypes.c_void_p))
    if _libc().prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        locks.notes.append(f"seccomp filter refused (errno {ctypes.get_errno()})")
        return
    locks.seccomp = True


def lock_down(camera_paths: list[str] | None = None, network: bool = False) -> Locks:
    """Apply every lock the kernel offers to this process (and its future threads)."""
    from signage.hardening import no_core_dumps

    locks = Locks()
    locks.core = no_core_dumps()
    if _arch() is None or not platform.system() == "Linux":
        locks.notes.append(f"no kernel sandbox on {platform.system()} {platform.machine()}")
        return locks
    if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        locks.notes.append("no_new_privs refused")
        return locks
    locks.no_new_privs = True
    locks.landlock_abi = landlock_abi()
    if locks.landlock_abi:
        _landlock(locks.landlock_abi, list(camera_paths or []), network, locks)
    else:
        locks.notes.append("landlock not in this kernel: files not locked by the kernel")
    if network:
        locks.notes.append("a stream URL camera: the network stays open")
    else:
        _seccomp(locks)
    return locks


def camera_paths(source: str) -> list[str]:
    """The device nodes a camera source opens read-write (none for a file or a URL)."""
    if source.isdigit():
        return [f"/dev/video{int(source)}"]
    if source.startswith("/dev/"):
        return [source]
    if source.startswith("picamera2"):  # libcamera opens the media and video nodes and DMA heaps
        return ["/dev"]
    return []


def needs_network(source: str) -> bool:
    return "://" in source and not source.startswith("file://")
